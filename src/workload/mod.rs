//! Workloads: trace readers (one file per format) and the scenario loader that turns a scenario
//! file into the inputs of a run.

pub mod alibaba_openb;
pub mod generator;
pub mod manifests;
pub mod scenario;
pub mod timeline;

pub use alibaba_openb::Arrival;
