//! GPU devices and GPU-sharing requests, as Alibaba's GPU-sharing scheduler (the `Open-Gpu-Share`
//! plugin of the FGD paper's simulator, hkust-adsl/kubernetes-scheduler-simulator) models them:
//! a GPU node has `nvidia.com/gpu` devices of 1000 milli-GPU each and a GPU model (label
//! `alibabacloud.com/gpu-card-model`); a pod asks for `count` GPUs of `milli` each. A pod with
//! `milli < 1000` shares one device that has that much left; `milli = 1000` takes `count` whole,
//! fully free devices. A pod's `nvidia.com/gpu: N` request is the same as `count = N, milli = 1000`.

use super::node::Node;
use super::pod::Pod;
use std::collections::BTreeMap;

use super::resources::NVIDIA_GPU;

/// Milli-GPU of one device.
pub const GPU_MILLI: u32 = 1000;
/// Annotation with the milli-GPU a pod asks for on each of its GPUs (1..=1000).
pub const ANNOTATION_GPU_MILLI: &str = "alibabacloud.com/gpu-milli";
/// Annotation with the number of GPUs a pod asks for.
pub const ANNOTATION_GPU_COUNT: &str = "alibabacloud.com/gpu-count";
/// Annotation (and node label) with the GPU model(s): `V100M16|V100M32` on a pod accepts either.
pub const GPU_MODEL_KEY: &str = "alibabacloud.com/gpu-card-model";

/// What a pod asks of GPU devices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GpuShare {
    /// GPUs wanted (≥ 1; a sharing pod has 1).
    pub count: u32,
    /// Milli-GPU wanted on each (1..=1000; 1000 = whole, fully free devices).
    pub milli: u32,
    /// Accepted GPU models (empty: any); matched exactly against the node's model.
    pub models: Vec<String>,
}

impl GpuShare {
    /// Total milli-GPU the pod takes (`count × milli`).
    pub fn total_milli(&self) -> i64 {
        i64::from(self.count) * i64::from(self.milli)
    }

    /// Whether the pod shares one device (`milli < 1000`).
    pub fn is_shared(&self) -> bool {
        self.milli < GPU_MILLI
    }

    /// Whether a node with GPU model `model` is acceptable (`models` empty: any; a node without a
    /// model accepts only pods without a model restriction).
    pub fn accepts_model(&self, model: Option<&str>) -> bool {
        self.models.is_empty() || model.is_some_and(|m| self.models.iter().any(|x| x == m))
    }

    /// Devices a pod would take on a node whose devices have `left` milli free each, by the
    /// default ("best") rule: a sharing pod the device with the least left that still fits
    /// (lowest index on ties); whole GPUs the lowest-index fully free devices. `None` when it does
    /// not fit.
    pub fn best_devices(&self, left: &[u32]) -> Option<Vec<u8>> {
        if self.is_shared() {
            let mut best: Option<(u32, usize)> = None;
            for (i, l) in left.iter().enumerate() {
                if *l >= self.milli && best.is_none_or(|(b, _)| *l < b) {
                    best = Some((*l, i));
                }
            }
            best.map(|(_, i)| vec![i as u8])
        } else {
            let free: Vec<u8> =
                left.iter().enumerate().filter(|(_, l)| **l == GPU_MILLI).map(|(i, _)| i as u8).collect();
            (free.len() >= self.count as usize).then(|| free[..self.count as usize].to_vec())
        }
    }

    /// Whether the pod fits devices with `left` milli free each.
    pub fn fits(&self, left: &[u32]) -> bool {
        if self.is_shared() {
            left.iter().any(|l| *l >= self.milli)
        } else {
            left.iter().filter(|l| **l == GPU_MILLI).count() >= self.count as usize
        }
    }
}

/// The pod's GPU request: its sharing annotations when set, else `nvidia.com/gpu` whole GPUs;
/// `None` without either.
pub fn pod_gpu(pod: &Pod) -> Option<GpuShare> {
    if let Some(s) = &pod.gpu_share {
        return Some(s.clone());
    }
    let n = pod.requests.get(NVIDIA_GPU);
    (n > 0).then(|| GpuShare { count: n as u32, milli: GPU_MILLI, models: Vec::new() })
}

/// Devices of a node: its `nvidia.com/gpu` allocatable (at most 255).
pub fn node_devices(node: &Node) -> usize {
    node.allocatable.get(NVIDIA_GPU).clamp(0, 255) as usize
}

/// The node's GPU model (label `alibabacloud.com/gpu-card-model`).
pub fn node_model(node: &Node) -> Option<&str> {
    node.labels.get(GPU_MODEL_KEY).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(count: u32, milli: u32) -> GpuShare {
        GpuShare { count, milli, models: vec![] }
    }

    #[test]
    fn sharing_pods_take_the_tightest_device_and_whole_gpus_the_first_free_ones() {
        let left = [1000, 300, 500, 1000];
        assert_eq!(share(1, 250).best_devices(&left), Some(vec![1]));
        assert_eq!(share(1, 400).best_devices(&left), Some(vec![2]));
        assert_eq!(share(1, 600).best_devices(&left), Some(vec![0]));
        assert_eq!(share(2, 1000).best_devices(&left), Some(vec![0, 3]));
        assert_eq!(share(3, 1000).best_devices(&left), None);
        assert!(!share(1, 1000).fits(&[999, 500]));
        assert!(share(1, 999).fits(&[999, 500]));
    }

    #[test]
    fn models_match_exactly() {
        let g = GpuShare { count: 1, milli: 500, models: vec!["V100M16".into(), "V100M32".into()] };
        assert!(g.accepts_model(Some("V100M32")));
        assert!(!g.accepts_model(Some("V100")));
        assert!(!g.accepts_model(None));
        assert!(share(1, 500).accepts_model(None));
    }
}

/// Share of the workload's pods the target workload covers (the simulator's
/// `podPopularityThreshold`).
pub const POPULARITY_THRESHOLD: f64 = 0.95;

/// A pod shape of the target workload.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shape {
    /// Cpu, millicores (the non-zero request).
    pub cpu: i64,
    /// Milli-GPU per GPU (0: cpu-only).
    pub milli: u32,
    /// GPUs (0: cpu-only).
    pub count: u32,
    /// Accepted GPU models (empty: any).
    pub models: Vec<String>,
}

/// The workload's popular pod shapes with their probabilities (summing to 1).
#[derive(Clone, Debug, Default)]
pub struct TargetWorkload {
    /// Shapes, most frequent first.
    pub shapes: Vec<(Shape, f64)>,
    /// A number unique to this workload in the process (memo keys of the FGD score).
    pub id: u64,
}

impl TargetWorkload {
    /// The simulator's `GetTypicalPods`: count pods per shape, sort by count (descending; equal
    /// counts: larger shape first), keep the shortest prefix covering `threshold` of the pods,
    /// renormalise.
    pub fn from_pods<'a>(pods: impl IntoIterator<Item = &'a Pod>, threshold: f64) -> Self {
        let mut counts: BTreeMap<Shape, u64> = BTreeMap::new();
        let mut total = 0u64;
        for p in pods {
            let g = pod_gpu(p);
            let shape = Shape {
                cpu: p.non_zero_requests.milli_cpu,
                milli: g.as_ref().map_or(0, |g| g.milli),
                count: g.as_ref().map_or(0, |g| g.count),
                models: g.map(|g| g.models).unwrap_or_default(),
            };
            *counts.entry(shape).or_default() += 1;
            total += 1;
        }
        let mut sorted: Vec<(Shape, u64)> = counts.into_iter().collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
        let mut kept = Vec::new();
        let mut cum = 0u64;
        for (s, n) in sorted {
            if (cum as f64) >= threshold * total as f64 {
                break;
            }
            cum += n;
            kept.push((s, n));
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        TargetWorkload {
            shapes: kept.into_iter().map(|(s, n)| (s, n as f64 / cum as f64)).collect(),
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The expected fragmentation (milli-GPU) of a node with `cpu_left` millicores and devices
    /// with `left` milli-GPU free, of GPU model `model`.
    pub fn fragmentation(&self, cpu_left: i64, left: &[u32], model: Option<&str>) -> f64 {
        let free: u32 = left.iter().sum();
        let mut f = 0.0;
        for (m, p) in &self.shapes {
            let frag = if m.count == 0 {
                free
            } else {
                let g = GpuShare { count: m.count, milli: m.milli, models: Vec::new() };
                let accepted = m.models.is_empty() || model.is_some_and(|x| m.models.iter().any(|y| y == x));
                let fits = left.iter().filter(|l| **l >= g.milli).count() >= g.count as usize;
                if accepted && fits && cpu_left >= m.cpu {
                    left.iter().filter(|l| **l < g.milli).sum()
                } else {
                    free
                }
            };
            f += p * f64::from(frag);
        }
        f
    }
}
