//! FGDScore: the paper's "FGD" policy, fragmentation gradient descent (`fgd_score.go`,
//! `pkg/utils/frag.go`): place the pod (and, for a sharing pod, choose its device) where the
//! node's expected GPU fragmentation grows least.
//!
//! The target workload is the distribution of the workload's pod shapes (cpu, milli-GPU per GPU,
//! GPU count, GPU models; memory is not part of a shape): the most frequent shapes covering 95 %
//! of the pods, renormalised ([`TargetWorkload`]). For a shape `m`, a node's fragment is all its
//! free milli-GPU when `m` is cpu-only, does not accept the node's model, or does not fit the
//! node (GPUs or cpu); otherwise the free milli-GPU of the devices too small for `m`. The node's
//! fragmentation `F = Σ p_m · frag(m)`; the score is `⌊100 · σ((F_before − F_after) / 1000)⌋`.
//! Sharing pods try each device with room (lowest index on equal scores); whole-GPU and cpu-only
//! pods take the simulator's `Sub` devices for the score and the lowest idle devices at binding.

use std::cell::RefCell;
#[allow(clippy::disallowed_types)] // a lookup-only memo, never iterated
use std::collections::HashMap;
use std::sync::Arc;

use super::{cpu_left, pod_cpu, score_plugin, sub_devices};
use crate::model::gpu::{GpuShare, TargetWorkload, node_model, pod_gpu};
use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, ScorePlugin, Status};

/// Plugin name (the simulator's).
pub const NAME: &str = "FGDScore";
/// `⌊100 · σ(x)⌋`.
fn sigmoid_score(x: f64) -> i64 {
    (100.0 / (1.0 + (-x).exp())) as i64
}

/// The score and the device (for sharing pods) of `g` with `cpu` on a node.
fn fgd(
    w: &TargetWorkload,
    cpu: i64,
    g: Option<&GpuShare>,
    cpu_left: i64,
    left: &[u32],
    model: Option<&str>,
) -> (i64, Option<u8>) {
    let before = w.fragmentation(cpu_left, left, model);
    let after = |l: &[u32]| sigmoid_score((before - w.fragmentation(cpu_left - cpu, l, model)) / 1000.0);
    match g {
        Some(g) if g.is_shared() => {
            let mut best: Option<(i64, u8)> = None;
            let mut l = left.to_vec();
            for i in 0..left.len() {
                if left[i] < g.milli || left[..i].contains(&left[i]) {
                    continue; // equal devices score alike; the lowest index is kept
                }
                l[i] -= g.milli;
                let s = after(&l);
                l[i] += g.milli;
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, i as u8));
                }
            }
            best.map_or((0, None), |(s, i)| (s, Some(i)))
        }
        Some(g) => {
            let mut l = left.to_vec();
            for i in sub_devices(left, g) {
                l[i] -= g.milli;
            }
            (after(&l), None)
        }
        None => (after(left), None),
    }
}

/// Memo key: the workload, the pod's (cpu, GPU count, milli, models) and the node's (cpu left,
/// model, devices' milli left). A pure function of these, so a per-thread memo is safe across
/// runs; strings enter as hashes, devices as a fixed array (nodes of more than 8 GPUs are not
/// memoised).
type Key = (u64, i64, u32, u32, u64, i64, u64, [u16; 8], u8);

thread_local! {
    #[allow(clippy::disallowed_types)]
    static MEMO: RefCell<HashMap<Key, (i64, Option<u8>)>> = RefCell::new(HashMap::new());
}

fn hash_of<T: std::hash::Hash>(x: &T) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(x)
}

/// Memoised [`fgd`].
fn fgd_memo(w: &TargetWorkload, pod: &Pod, node: &NodeInfo) -> (i64, Option<u8>) {
    let g = pod_gpu(pod);
    let model = node_model(&node.node);
    let compute = || fgd(w, pod_cpu(pod), g.as_ref(), cpu_left(node), &node.gpu_left, model);
    if node.gpu_left.len() > 8 {
        return compute();
    }
    let mut lefts = [0u16; 8];
    for (d, l) in lefts.iter_mut().zip(&node.gpu_left) {
        *d = *l as u16;
    }
    let key: Key = (
        w.id,
        pod_cpu(pod),
        g.as_ref().map_or(0, |g| g.count),
        g.as_ref().map_or(0, |g| g.milli),
        g.as_ref().map_or(0, |g| if g.models.is_empty() { 0 } else { hash_of(&g.models) }),
        cpu_left(node),
        model.map_or(0, |m| hash_of(&m)),
        lefts,
        node.gpu_left.len() as u8,
    );
    if let Some(v) = MEMO.with(|m| m.borrow().get(&key).copied()) {
        return v;
    }
    let v = compute();
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 4_000_000 {
            m.clear();
        }
        m.insert(key, v);
    });
    v
}

/// The FGD policy.
#[derive(Debug, Default)]
pub struct FgdScore;

score_plugin!(FgdScore);

fn workload(cluster: &Cluster) -> Result<Arc<TargetWorkload>, Status> {
    cluster.gpu_workload().ok_or_else(|| Status::error("FGDScore: the run has no target workload"))
}

impl ScorePlugin for FgdScore {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Result<i64, Status> {
        Ok(fgd_memo(&*workload(cluster)?, pod, node).0)
    }
    fn select_gpus(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Option<Vec<u8>> {
        let w = workload(cluster).ok()?;
        fgd_memo(&w, pod, node).1.map(|d| vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gpu::Shape;

    fn shape(cpu: i64, milli: u32, count: u32) -> Shape {
        Shape { cpu, milli, count, models: vec![] }
    }

    /// Hand-computed: shapes 50 % (cpu 4, one 500-milli GPU) and 50 % cpu-only. A node with
    /// devices [1000, 300] and 16 cores free: the sharing shape fits device 0, so its fragment is
    /// device 1's 300; the cpu-only shape counts all 1300 free: F = 0.5·300 + 0.5·1300 = 800.
    #[test]
    fn fragmentation_matches_hand_computed_values() {
        let w = TargetWorkload { shapes: vec![(shape(4000, 500, 1), 0.5), (shape(4000, 0, 0), 0.5)], id: 0 };
        assert_eq!(w.fragmentation(16_000, &[1000, 300], None), 800.0);
        // Without cpu for the shape, all free GPU is fragment.
        assert_eq!(w.fragmentation(1_000, &[1000, 300], None), 1300.0);
        // A 250-milli pod on device 1 leaves [1000, 50]: F = 0.5·50 + 0.5·1050 = 550, ΔF = −250,
        // score ⌊100·σ(0.25)⌋ = 56; on device 0 it leaves [750, 300]: F = 0.5·300 + 0.5·1050 =
        // 675, score ⌊100·σ(0.125)⌋ = 53. FGD picks device 1.
        let g = GpuShare { count: 1, milli: 250, models: vec![] };
        assert_eq!(fgd(&w, 2000, Some(&g), 16_000, &[1000, 300], None), (56, Some(1)));
    }

    #[test]
    fn target_workload_keeps_the_popular_shapes() {
        let mut pods = Vec::new();
        for (n, cpu) in [(6, 1000), (3, 2000), (1, 3000)] {
            for _ in 0..n {
                pods.push(crate::model::pod::simple_pod(
                    "p",
                    crate::model::Resources { milli_cpu: cpu, ..Default::default() },
                ));
            }
        }
        // 6 + 3 = 9 of 10 pods reach 90 %: the third shape is left out, p = 6/9 and 3/9.
        let w = TargetWorkload::from_pods(&pods, 0.9);
        assert_eq!(w.shapes.len(), 2);
        assert_eq!((w.shapes[0].0.cpu, w.shapes[0].1), (1000, 6.0 / 9.0));
    }
}
