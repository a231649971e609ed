//! capsim: a discrete-event Kubernetes cluster-capacity simulator.
pub mod api;
pub mod cli;
pub mod controllers;
pub mod error;
pub mod experiment;
pub mod hash;
pub mod kubelet;
pub mod metrics;
pub mod model;
pub mod names;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod time;
pub mod workload;
