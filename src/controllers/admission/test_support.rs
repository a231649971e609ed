//! Fixtures of the admission tests: objects read from YAML as the simulator reads them, and the
//! Kubernetes website's LimitRange / ResourceQuota examples
//! (`content/en/examples/admin/resource/` and `policy/`).

use std::path::Path;

use crate::api::objects::KubeObject;
use crate::api::{convert, policy, yaml};
use crate::model::pod::Pod;
use crate::model::policy::{LimitRange, ResourceMap, ResourceQuota};

pub(super) const MI: i64 = 1 << 20;
pub(super) const GI: i64 = 1 << 30;

/// The objects of a YAML text, each with its value and line.
pub(super) fn objects(text: &str) -> Vec<(KubeObject, usize)> {
    yaml::objects_from_str(text, Path::new("test.yaml"))
        .expect("test YAML parses")
        .into_iter()
        .map(|o| (o.value, o.line))
        .collect()
}

/// A pod converted with API defaulting, as the simulator gets it; every named PriorityClass
/// exists (value 1000).
pub(super) fn pod(text: &str) -> Pod {
    let (obj, line) = objects(text).remove(0);
    let KubeObject::Pod(p) = obj else { panic!("not a Pod") };
    let classes = |name: &str| (!name.is_empty()).then_some(1000);
    convert::pod_to_model(&p, Path::new("test.yaml"), line, classes).expect("pod converts")
}

pub(super) fn untyped(text: &str) -> Vec<(serde_json::Value, usize)> {
    objects(text)
        .into_iter()
        .map(|(o, line)| match o {
            KubeObject::Other { value, .. } => (value, line),
            other => panic!("unexpected {}", other.kind()),
        })
        .collect()
}

pub(super) fn limit_range(text: &str) -> LimitRange {
    let (v, line) = untyped(text).remove(0);
    policy::limit_range_from_value(&v, Path::new("test.yaml"), line).expect("LimitRange parses")
}

pub(super) fn quotas(text: &str) -> Vec<ResourceQuota> {
    untyped(text)
        .into_iter()
        .map(|(v, line)| {
            policy::resource_quota_from_value(&v, Path::new("test.yaml"), line).expect("quota parses")
        })
        .collect()
}

/// A pod with one container `c` per `(requests, limits)` entry, written as YAML flow maps.
pub(super) fn pod_with(name: &str, containers: &[(&str, &str)]) -> Pod {
    let mut text = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n");
    for (i, (req, lim)) in containers.iter().enumerate() {
        text +=
            &format!("  - name: c{i}\n    image: nginx\n    resources: {{requests: {req}, limits: {lim}}}\n");
    }
    pod(&text)
}

pub(super) fn amounts(pairs: &[(&str, i64)]) -> ResourceMap {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

// Kubernetes website examples (content/en/examples/admin/resource/ and policy/).
pub(super) const MEMORY_DEFAULTS: &str = r#"---
{
  apiVersion: "v1",
  kind: "LimitRange",
  metadata: {
    name: "mem-limit-range",
  },
  spec: {
    limits: [{
      default: {
        memory: "512Mi",
      },
      defaultRequest: {
        memory: "256Mi",
      },
      type: "Container",
    }],
  },
}
"#;
pub(super) const CPU_DEFAULTS: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-limit-range}, spec: {limits: [{default: {cpu: 1}, defaultRequest: {cpu: 0.5}, type: Container}]}}";
pub(super) const CPU_CONSTRAINTS: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-min-max-demo-lr}, spec: {limits: [{max: {cpu: 800m}, min: {cpu: 200m}, type: Container}]}}";
pub(super) const LIMIT_MEM_CPU_CONTAINER: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: limit-mem-cpu-per-container}, spec: {limits: [{max: {cpu: 800m, memory: 1Gi}, min: {cpu: 100m, memory: 99Mi}, default: {cpu: 700m, memory: 900Mi}, defaultRequest: {cpu: 110m, memory: 111Mi}, type: Container}]}}";
pub(super) const LIMIT_MEM_CPU_POD: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: limit-mem-cpu-per-pod}, spec: {limits: [{max: {cpu: '2', memory: 2Gi}, type: Pod}]}}";
pub(super) const LIMIT_MEMORY_RATIO_POD: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: limit-memory-ratio-pod}, spec: {limits: [{maxLimitRequestRatio: {memory: 2}, type: Pod}]}}";
pub(super) const QUOTA_MEM_CPU: &str = "{apiVersion: v1, kind: ResourceQuota, metadata: {name: mem-cpu-demo}, spec: {hard: {requests.cpu: '1', requests.memory: 1Gi, limits.cpu: '2', limits.memory: 2Gi}}}";
pub(super) const QUOTA_POD: &str =
    "{apiVersion: v1, kind: ResourceQuota, metadata: {name: pod-demo}, spec: {hard: {pods: '2'}}}";
pub(super) const QUOTA_PRIORITY: &str = r#"apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods-high
spec:
  hard:
    cpu: "1000"
    memory: "200Gi"
    pods: "10"
  scopeSelector:
    matchExpressions:
    - operator: In
      scopeName: PriorityClass
      values: ["high"]
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods-medium
spec:
  hard:
    cpu: "10"
    memory: "20Gi"
    pods: "10"
  scopeSelector:
    matchExpressions:
    - operator: In
      scopeName: PriorityClass
      values: ["medium"]
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods-low
spec:
  hard:
    cpu: "5"
    memory: "10Gi"
    pods: "10"
  scopeSelector:
    matchExpressions:
    - operator: In
      scopeName: PriorityClass
      values: ["low"]
"#;
pub(super) const LIMIT_RANGE_POD_1: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: busybox1
spec:
  containers:
  - name: busybox-cnt01
    image: busybox
    resources:
      requests:
        memory: "100Mi"
        cpu: "100m"
      limits:
        memory: "200Mi"
        cpu: "500m"
  - name: busybox-cnt02
    image: busybox
    resources:
      requests:
        memory: "100Mi"
        cpu: "100m"
  - name: busybox-cnt03
    image: busybox
    resources:
      limits:
        memory: "200Mi"
        cpu: "500m"
  - name: busybox-cnt04
    image: busybox
"#;

pub(super) fn container_values(p: &Pod, i: usize) -> (i64, i64, i64, i64) {
    let c = &p.containers[i];
    (c.requests.milli_cpu, c.requests.memory, c.limits.milli_cpu, c.limits.memory)
}
