//! Integer resource vectors, as the scheduler's `framework.Resource` holds them.

use std::collections::BTreeMap;

/// Resource name of CPU (values in millicores).
pub const CPU: &str = "cpu";
/// Resource name of memory (values in bytes).
pub const MEMORY: &str = "memory";
/// Resource name of local ephemeral storage (values in bytes).
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
/// Resource name of the pod count (allocatable `pods`).
pub const PODS: &str = "pods";
/// Extended resource name of a whole NVIDIA GPU.
pub const NVIDIA_GPU: &str = "nvidia.com/gpu";

/// CPU a container without a cpu request counts for in scoring: 100 millicores
/// (kube-scheduler's `DefaultMilliCPURequest`). Never used by Filter.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory a container without a memory request counts for in scoring: 200 MiB in bytes
/// (kube-scheduler's `DefaultMemoryRequest`). Never used by Filter.
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Upstream `IsExtendedResourceName` (`pkg/apis/core/v1/helper`): a domain-prefixed name outside
/// `kubernetes.io/` (not native) that is not itself a quota key (`requests.…`), e.g.
/// `nvidia.com/gpu`.
pub fn is_extended_resource_name(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

/// An integer resource vector: cpu in millicores, memory and ephemeral storage in bytes, the pod
/// count, and scalar resources (extended resources such as `nvidia.com/gpu`, and `hugepages-*`) in
/// units of `Quantity.Value()`.
///
/// Mirrors kube-scheduler's `framework.Resource`. Scalars live in a `BTreeMap` so iteration order
/// is the resource name order and never leaks hash order into decisions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// CPU in millicores.
    pub milli_cpu: i64,
    /// Memory in bytes.
    pub memory: i64,
    /// Local ephemeral storage in bytes.
    pub ephemeral_storage: i64,
    /// Number of pods (meaningful for allocatable; a pod's own request has 0 here).
    pub pods: i64,
    /// Extended and hugepages resources by name, in units.
    pub scalar: BTreeMap<String, i64>,
}

impl Resources {
    /// The value of resource `name` (0 when absent). cpu is in millicores.
    pub fn get(&self, name: &str) -> i64 {
        match name {
            CPU => self.milli_cpu,
            MEMORY => self.memory,
            EPHEMERAL_STORAGE => self.ephemeral_storage,
            PODS => self.pods,
            _ => self.scalar.get(name).copied().unwrap_or(0),
        }
    }

    /// Sets resource `name` to `value` (cpu in millicores).
    pub fn set(&mut self, name: &str, value: i64) {
        match name {
            CPU => self.milli_cpu = value,
            MEMORY => self.memory = value,
            EPHEMERAL_STORAGE => self.ephemeral_storage = value,
            PODS => self.pods = value,
            _ => {
                self.scalar.insert(name.to_string(), value);
            }
        }
    }

    /// Adds `other` to `self`, resource by resource. The sums wrap on overflow as upstream's
    /// Go `int64` sums do (`framework.Resource.Add`), so extreme quantities give upstream's
    /// decisions instead of a panic.
    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.wrapping_add(other.milli_cpu);
        self.memory = self.memory.wrapping_add(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.wrapping_add(other.ephemeral_storage);
        self.pods = self.pods.wrapping_add(other.pods);
        for (name, v) in &other.scalar {
            let e = self.scalar.entry(name.clone()).or_insert(0);
            *e = e.wrapping_add(*v);
        }
    }

    /// Subtracts `other` from `self`, resource by resource.
    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.pods -= other.pods;
        for (name, v) in &other.scalar {
            *self.scalar.entry(name.clone()).or_insert(0) -= v;
        }
    }

    /// Raises each resource of `self` to at least the value in `other` (upstream `SetMaxResource`).
    pub fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        self.pods = self.pods.max(other.pods);
        for (name, v) in &other.scalar {
            let e = self.scalar.entry(name.clone()).or_insert(0);
            *e = (*e).max(*v);
        }
    }

    /// True when every resource is zero.
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.pods == 0
            && self.scalar.values().all(|v| *v == 0)
    }

    /// Names and values of every resource that is present (cpu, memory, ephemeral-storage, pods
    /// when non-zero, then scalars in name order).
    pub fn iter_nonzero(&self) -> impl Iterator<Item = (&str, i64)> {
        [
            (CPU, self.milli_cpu),
            (MEMORY, self.memory),
            (EPHEMERAL_STORAGE, self.ephemeral_storage),
            (PODS, self.pods),
        ]
        .into_iter()
        .chain(self.scalar.iter().map(|(k, v)| (k.as_str(), *v)))
        .filter(|(_, v)| *v != 0)
    }
}

/// True for resources whose values count in `Quantity.MilliValue()` units (only cpu).
pub fn is_milli_resource(name: &str) -> bool {
    name == CPU
}

/// True for resources kube-scheduler treats as scalar: extended resources (a domain-prefixed
/// name such as `nvidia.com/gpu`, not `kubernetes.io/`), `hugepages-*`, and `attachable-volumes-*`.
pub fn is_scalar_resource(name: &str) -> bool {
    !matches!(name, CPU | MEMORY | EPHEMERAL_STORAGE | PODS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sub_and_get_cover_scalars() {
        let mut a = Resources { milli_cpu: 500, memory: 1 << 30, ..Default::default() };
        let mut b = Resources::default();
        b.set(NVIDIA_GPU, 2);
        b.set(CPU, 250);
        a.add(&b);
        assert_eq!(a.get(CPU), 750);
        assert_eq!(a.get(NVIDIA_GPU), 2);
        a.sub(&b);
        assert_eq!(a.get(CPU), 500);
        assert_eq!(a.get(NVIDIA_GPU), 0);
        assert_eq!(a.iter_nonzero().collect::<Vec<_>>(), vec![(CPU, 500), (MEMORY, 1 << 30)]);
    }
}
