//! Workload controllers as written: `DaemonSet`, `Deployment`, `ReplicaSet` (apps/v1,
//! `k8s.io/api/apps/v1/types.go`) and `Job` (batch/v1, `k8s.io/api/batch/v1/types.go`), with only
//! the fields capsim simulates. Unknown fields are ignored, as in every
//! Kubernetes object capsim reads.

use serde::{Deserialize, Serialize};

use super::objects::{LabelSelector, ObjectMeta, PodSpec, null_default};

/// A `PodTemplateSpec`: the pods a controller creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodTemplateSpec {
    /// `template.metadata` (labels, annotations).
    #[serde(deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// `template.spec`.
    #[serde(deserialize_with = "null_default")]
    pub spec: PodSpec,
}

/// An apps/v1 `DaemonSet`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DaemonSet {
    /// `metadata`.
    #[serde(deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// `spec`.
    #[serde(deserialize_with = "null_default")]
    pub spec: DaemonSetSpec,
}

/// `DaemonSet.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DaemonSetSpec {
    /// `spec.selector`.
    pub selector: Option<LabelSelector>,
    /// `spec.template`.
    #[serde(deserialize_with = "null_default")]
    pub template: PodTemplateSpec,
}

/// An apps/v1 `Deployment` or `ReplicaSet` (capsim reads the same fields of both).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Deployment {
    /// `metadata`.
    #[serde(deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// `spec`.
    #[serde(deserialize_with = "null_default")]
    pub spec: DeploymentSpec,
}

/// `Deployment.spec` / `ReplicaSet.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeploymentSpec {
    /// `spec.replicas` (API default 1).
    pub replicas: Option<i32>,
    /// `spec.selector`.
    pub selector: Option<LabelSelector>,
    /// `spec.template`.
    #[serde(deserialize_with = "null_default")]
    pub template: PodTemplateSpec,
}

/// A batch/v1 `Job`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Job {
    /// `metadata`.
    #[serde(deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// `spec`.
    #[serde(deserialize_with = "null_default")]
    pub spec: JobSpec,
}

/// `Job.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JobSpec {
    /// `spec.completions` (default 1; with `parallelism` only, the Job is done when one pod
    /// succeeds — capsim treats an unset value as 1).
    pub completions: Option<i32>,
    /// `spec.parallelism` (default 1).
    pub parallelism: Option<i32>,
    /// `spec.backoffLimit` (default 6).
    pub backoff_limit: Option<i32>,
    /// `spec.template`.
    #[serde(deserialize_with = "null_default")]
    pub template: PodTemplateSpec,
}
