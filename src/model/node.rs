//! The compact Node the simulator works with.

use super::labels::{Labels, Taint};
use super::resources::Resources;

/// Index of a node in its [`crate::model::Cluster`].
pub type NodeId = u32;

/// A container image present on a node (`status.images`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerImage {
    /// Every name the image is known by, as the node reports it (pod images are normalised
    /// with `:latest` when matched, node names are not).
    pub names: Vec<String>,
    /// Size in bytes.
    pub size_bytes: i64,
}

/// A Node as the simulator holds it.
#[derive(Clone, Debug)]
pub struct Node {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`.
    pub labels: Labels,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `status.allocatable` (a copy of capacity when unset, as the API server defaults it).
    pub allocatable: Resources,
    /// `status.capacity`.
    pub capacity: Resources,
    /// `status.images`.
    pub images: Vec<ContainerImage>,
}

/// Normalises an image reference the way ImageLocality does: a name without a tag or digest gets
/// `:latest` appended.
pub fn normalized_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') { name.to_string() } else { format!("{name}:latest") }
}
