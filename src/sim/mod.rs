//! The discrete-event engine: integer virtual time, the (time, sequence) event queue, and the
//! run loop ([`engine`]), with the engine's work split by concern: pod life cycle (`pods.rs`),
//! nodes (`nodes.rs`), scheduler processes (`scheduling.rs`), the workload controllers' glue
//! (`owners.rs`), kubelet runtime timers (`kubelet_timers.rs`), the scenario timeline
//! (`timeline.rs`) and the time-series sample (`sampling.rs`).

pub mod engine;
pub mod event;
mod invariants;
mod kubelet_timers;
mod nodes;
mod owners;
mod pods;
pub mod queue;
mod sampling;
mod scheduling;
mod stall;
mod timeline;
