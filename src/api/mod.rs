//! Kubernetes objects as written (serde structs), `Quantity` parsing, the YAML wrapper, and
//! conversion into the compact [`crate::model`].

pub mod convert;
pub mod objects;
pub mod policy;
pub mod quantity;
pub mod scenario;
pub mod scheduler_config;
pub mod workloads;
pub mod yaml;
