//! capsim: a discrete-event Kubernetes cluster-capacity simulator.
pub mod api;
pub mod cli;
pub mod controllers;
pub mod error;
pub mod experiment;
pub mod metrics;
pub mod model;
pub mod report;
pub mod runtime;
pub mod scheduler;
pub mod sim;
pub mod workload;
