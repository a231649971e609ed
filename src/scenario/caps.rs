//! Upper bounds on the counts a scenario may ask for. Far above any real cluster (the largest
//! Kubernetes clusters run about 100,000 nodes), they turn a typo such as a pool of 100,000,000
//! nodes or a Deployment of 2,000,000,000 replicas into a clear error (exit code 2, naming the
//! file, line, field and cap) instead of a run that exhausts memory. docs/scenario.md lists them.

use std::path::Path;

use super::fields::field_err;
use super::timeline::Dynamics;
use crate::error::InputError;
use crate::workload::alibaba_openb::Arrival;

/// Nodes a pool may start with (`spec.cluster.nodes[].pool.count`).
pub const MAX_POOL_NODES: usize = 1_000_000;

/// Nodes one `nodeJoin` event may add.
pub const MAX_JOIN_NODES: usize = 100_000;

/// Replicas of one Deployment or ReplicaSet (`spec.replicas`, and a `scale` event's
/// `replicas`), and a Job's `completions` and `parallelism`.
pub const MAX_REPLICAS: i32 = 10_000_000;

/// Pods of one generator (`spec.workload[].generator.count`).
pub const MAX_GENERATOR_PODS: u64 = 100_000_000;

/// Pods a whole scenario may ask for: trace and manifest pods, generators' counts, the
/// largest replica count each Deployment or ReplicaSet reaches, and Jobs' completions.
pub const MAX_TOTAL_PODS: u64 = 100_000_000;

/// Refuses a scenario whose workload adds up to more than [`MAX_TOTAL_PODS`] pods.
pub(super) fn check_total_pods(
    path: &Path,
    text: &str,
    arrivals: &[Arrival],
    dy: &Dynamics,
) -> Result<(), InputError> {
    let scaled = |rs: usize| {
        dy.timeline
            .iter()
            .filter_map(|(_, a)| match a {
                super::timeline::Action::Scale(r, n) if *r == rs => Some(*n),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    };
    let replicas: u64 = dy
        .replicasets
        .iter()
        .enumerate()
        .map(|(k, r)| u64::try_from(r.replicas.max(scaled(k))).unwrap_or(0))
        .sum();
    let jobs: u64 = dy.jobs.iter().map(|j| u64::try_from(j.completions).unwrap_or(0)).sum();
    let generated: u64 = dy.generators.iter().map(|g| g.count).sum();
    let listed = arrivals.len() as u64;
    let total = listed + generated + replicas + jobs;
    if total > MAX_TOTAL_PODS {
        return Err(field_err(
            path,
            text,
            "spec.workload",
            format!(
                "the workload asks for {total} pods ({listed} from traces and manifests, {generated} from generators, {replicas} Deployment/ReplicaSet replicas, {jobs} Job completions); at most {MAX_TOTAL_PODS} pods in total"
            ),
        ));
    }
    Ok(())
}
