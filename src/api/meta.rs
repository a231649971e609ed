//! Parts of `metav1.ObjectMeta` that only some objects use: `ownerReferences`.

use serde::{Deserialize, Serialize};

use super::objects::null_default;

/// One `metadata.ownerReferences` entry (`metav1.OwnerReference`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OwnerReference {
    /// `apiVersion` of the owner.
    #[serde(deserialize_with = "null_default")]
    pub api_version: String,
    /// `kind` of the owner.
    #[serde(deserialize_with = "null_default")]
    pub kind: String,
    /// `name` of the owner.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// `uid` of the owner.
    #[serde(deserialize_with = "null_default")]
    pub uid: String,
    /// `controller` (unset = false).
    pub controller: Option<bool>,
    /// `blockOwnerDeletion` (read and unused).
    pub block_owner_deletion: Option<bool>,
}
