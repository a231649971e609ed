//! Kubernetes objects as written (serde structs), `Quantity` parsing, the YAML wrapper, and
//! conversion into the compact [`crate::model`].

pub mod quantity;
