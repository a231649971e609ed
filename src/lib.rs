//! capsim: a discrete-event Kubernetes cluster-capacity simulator.
pub mod api;
pub mod error;
pub mod model;
pub mod scheduler;
