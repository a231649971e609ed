//! The discrete-event engine: integer virtual time, the (time, sequence) event queue, and the
//! run loop ([`engine`]), with the engine's work split by concern: pod life cycle ([`pods`]),
//! nodes ([`nodes`]), scheduler processes ([`scheduling`]), the workload controllers' glue
//! ([`owners`]), kubelet runtime timers ([`kubelet_timers`]), the scenario timeline
//! ([`timeline`]) and the time-series sample ([`sampling`]).

pub mod engine;
pub mod event;
mod kubelet_timers;
mod nodes;
mod owners;
mod pods;
pub mod queue;
mod sampling;
mod scheduling;
mod timeline;
