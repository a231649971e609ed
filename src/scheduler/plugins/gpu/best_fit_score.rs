//! BestFitScore: the paper's "BestFit" policy (`best_fit_score.go`): the node whose free cpu and
//! GPU after placing the pod are smallest (each normalised by the largest node spec, weighted ½):
//! score `⌊100 · (1 − raw)⌋`, then min–max normalised over the feasible nodes. Devices: the
//! default (tightest fit).

use super::{MAX_SPEC_CPU, MAX_SPEC_GPU, cpu_left, gpu_left_total, pod_cpu, pod_gpu_total, score_plugin};
use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, ScorePlugin, Status};

/// Plugin name (the simulator's).
pub const NAME: &str = "BestFitScore";

/// The BestFit policy.
#[derive(Debug, Default)]
pub struct BestFitScore;

score_plugin!(BestFitScore);

impl ScorePlugin for BestFitScore {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        let (_, gpu) = pod_gpu_total(pod);
        let raw = 0.5 * (cpu_left(node) - pod_cpu(pod)) as f64 / MAX_SPEC_CPU
            + 0.5 * (gpu_left_total(node) - gpu) as f64 / MAX_SPEC_GPU;
        Ok(((1.0 - raw) * 100.0) as i64)
    }
    fn has_normalize(&self) -> bool {
        true
    }
    /// The simulator's `NormalizeScore`: `(s − min) · 100 / (max − min)` (integer division), all
    /// 0 when every score is equal.
    fn normalize_score(&self, _: &CycleState, _: &Pod, scores: &mut [i64]) -> Status {
        let (lo, hi) = (scores.iter().copied().min().unwrap_or(0), scores.iter().copied().max().unwrap_or(0));
        for s in scores.iter_mut() {
            *s = if hi == lo { 0 } else { (*s - lo) * 100 / (hi - lo) };
        }
        Status::success()
    }
}
