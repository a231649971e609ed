//! Workloads: trace readers (one file per format) and pod generators. They produce pods and their
//! arrival times; the scenario loader ([`crate::scenario`]) puts them into a run.

pub mod alibaba_openb;
pub mod generator;

pub use alibaba_openb::Arrival;
