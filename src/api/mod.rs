//! Kubernetes objects as written (serde structs), `Quantity` parsing, the YAML wrapper, and
//! conversion into the compact [`crate::model`]:
//!
//! - [`objects`], [`workloads`], [`scheduler_config`], [`scenario`]: the files as written;
//! - [`quantity`]: `Quantity` parsing and printing (apimachinery's `resource` package);
//! - [`yaml`]: multi-document manifests with errors naming file, line and field;
//! - [`spans`]: where a field path is in a YAML text (serde-saphyr's spans);
//! - [`convert`]: API objects into the model, with the API server's defaulting;
//! - [`policy`]: LimitRange and ResourceQuota read from untyped objects into
//!   [`crate::model::policy`].

pub mod convert;
mod fast_yaml;
pub mod input;
pub mod meta;
pub mod names;
pub mod objects;
pub mod policy;
pub mod quantity;
pub mod scenario;
pub mod scheduler_config;
pub mod spans;
pub mod strict_fields;
pub mod workloads;
pub mod yaml;
