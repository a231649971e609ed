//! The ReplicaSet controller (mirrors kube-controller-manager's `pkg/controller/replicaset`,
//! with each Deployment owning one ReplicaSet): keeps `replicas` active pods, re-creating
//! deleted, evicted and failed ones at once and removing extras in upstream's victim order.
//! [`ReplicaSetController`] holds its state: replicas wanted, active pods, retry backoff.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::model::{Cluster, Pod, PodId};
use crate::time::SimTime;

/// Most pods one sync creates or deletes (upstream `burstReplicas`).
pub const BURST_REPLICAS: usize = 500;

/// A ReplicaSet as capsim runs it.
#[derive(Clone, Debug)]
pub struct ReplicaSet {
    /// Namespace.
    pub namespace: String,
    /// Name (`<deployment>-<hash>` for a Deployment's ReplicaSet).
    pub name: String,
    /// The owning Deployment's name, if any.
    pub deployment: Option<String>,
    /// For a ReplicaSet read as such from a manifest (a `kubectl get -o yaml` dump): the
    /// Deployment its controller `ownerReference` names, if any. The scenario loader hands such
    /// a ReplicaSet to that Deployment when the Deployment is in the manifests too.
    pub controller_deployment: Option<String>,
    /// `spec.replicas`.
    pub replicas: i32,
    /// The pod template.
    pub template: Pod,
    /// When the object is created.
    pub created: SimTime,
}

impl ReplicaSet {
    /// `namespace/name` of the Deployment (or of the ReplicaSet when it has none).
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.deployment.as_deref().unwrap_or(&self.name))
    }
}

/// What one sync of a ReplicaSet does ([`ReplicaSetController::plan`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Create this many pods (at most [`BURST_REPLICAS`]); `resync`: more are missing, sync again.
    Create { count: usize, resync: bool },
    /// Delete this many active pods (the scale-down victims).
    Delete(usize),
    /// As many active pods as replicas.
    Steady,
}

/// The ReplicaSet controller's state, per ReplicaSet (by number in the run): the replicas wanted
/// now, the active pods (pending or running, not deleted), and the workqueue backoff after a
/// refused creation.
#[derive(Clone, Debug, Default)]
pub struct ReplicaSetController {
    replicas: Vec<i32>,
    active: Vec<BTreeSet<PodId>>,
    retry_ms: Vec<i64>,
}

impl ReplicaSetController {
    /// The controller for `sets`, each wanting its `spec.replicas`.
    pub fn new(sets: &[ReplicaSet]) -> Self {
        ReplicaSetController {
            replicas: sets.iter().map(|r| r.replicas).collect(),
            active: vec![BTreeSet::new(); sets.len()],
            retry_ms: vec![0; sets.len()],
        }
    }

    /// Scales ReplicaSet `rs` to `replicas`; returns the replicas it had.
    pub fn scale(&mut self, rs: usize, replicas: i32) -> i32 {
        std::mem::replace(&mut self.replicas[rs], replicas)
    }

    /// Pod `p` of `rs` was created (admitted).
    pub fn pod_created(&mut self, rs: usize, p: PodId) {
        self.active[rs].insert(p);
    }

    /// Pod `p` of `rs` ended.
    pub fn pod_ended(&mut self, rs: usize, p: PodId) {
        self.active[rs].remove(&p);
    }

    /// The active pods of `rs`, by id.
    pub fn active(&self, rs: usize) -> Vec<PodId> {
        self.active[rs].iter().copied().collect()
    }

    /// What a sync of `rs` does now.
    pub fn plan(&self, rs: usize) -> Scale {
        let want = self.replicas[rs].max(0) as usize;
        let have = self.active[rs].len();
        if have < want {
            Scale::Create { count: (want - have).min(BURST_REPLICAS), resync: want - have > BURST_REPLICAS }
        } else if have > want {
            Scale::Delete(have - want)
        } else {
            Scale::Steady
        }
    }

    /// Admission refused a creation of `rs`: the wait before the workqueue retries, ms.
    pub fn creation_refused(&mut self, rs: usize) -> i64 {
        let wait = super::workqueue_backoff_ms(self.retry_ms[rs]);
        self.retry_ms[rs] = wait;
        wait
    }

    /// A sync of `rs` created every pod it meant to: the backoff resets.
    pub fn creations_succeeded(&mut self, rs: usize) {
        self.retry_ms[rs] = 0;
    }
}

/// Upstream's pod-template-hash stand-in: 10 characters from the name, stable across runs.
pub fn template_hash(name: &str) -> String {
    // FNV-1a, then the generateName alphabet.
    let h = crate::hash::fnv1a(name);
    let a = super::name_suffix(h % 14_348_907);
    let b = super::name_suffix((h >> 32) % 14_348_907);
    format!("{a}{b}")
}

/// Facts about one active pod that rank it for scale-down.
#[derive(Clone, Copy, Debug)]
pub struct Rank {
    /// The pod.
    pub pod: PodId,
    /// Bound to a node.
    pub assigned: bool,
    /// Running (capsim: bound; no readiness probes, so running means ready).
    pub ready: bool,
    /// `controller.kubernetes.io/pod-deletion-cost`.
    pub deletion_cost: i32,
    /// Active pods of the same ReplicaSet on its node (upstream's rank).
    pub siblings_on_node: usize,
    /// When it became ready (bound), ms.
    pub ready_ms: Option<i64>,
    /// Container restarts.
    pub restarts: u32,
    /// When it was created, ms.
    pub created_ms: i64,
}

/// Upstream `logarithmicRankDiff`'s bucket: ⌊log2(now − t)⌋ of the age in nanoseconds, -1 for
/// a non-positive age.
fn log_bucket(now: SimTime, t_ms: i64) -> i64 {
    let d = (now.as_millis() - t_ms).saturating_mul(1_000_000);
    if d > 0 { 63 - d.leading_zeros() as i64 } else { -1 }
}

/// Upstream `ActivePodsWithRanks.Less` (LogarithmicScaleDown on): whether `a` goes before `b`.
/// Order: unassigned first; (Pending before Running: same as unassigned here); not ready
/// first; lower deletion cost first; more siblings on the node first; ready more recently first
/// (log2 buckets); more restarts first; created more recently first (log2 buckets); then the
/// newer pod (higher id) first, where upstream compares random UIDs.
pub fn deletes_before(a: &Rank, b: &Rank, now: SimTime) -> Ordering {
    let first = |x: bool, y: bool| y.cmp(&x); // `true` sorts first
    first(!a.assigned, !b.assigned)
        .then_with(|| first(!a.ready, !b.ready))
        .then_with(|| a.deletion_cost.cmp(&b.deletion_cost))
        .then_with(|| b.siblings_on_node.cmp(&a.siblings_on_node))
        .then_with(|| match (a.ready, b.ready, a.ready_ms, b.ready_ms) {
            (true, true, Some(x), Some(y)) if x != y => log_bucket(now, x).cmp(&log_bucket(now, y)),
            _ => Ordering::Equal,
        })
        .then_with(|| b.restarts.cmp(&a.restarts))
        .then_with(|| {
            if a.created_ms == b.created_ms {
                Ordering::Equal
            } else {
                log_bucket(now, a.created_ms).cmp(&log_bucket(now, b.created_ms))
            }
        })
        .then_with(|| b.pod.cmp(&a.pod))
}

/// The `count` pods of `active` to delete on scale-down, in upstream's order.
/// `kubelet(p)` gives a running pod's (ready, container restarts): a pod with a container in
/// CrashLoopBackOff is not ready.
pub fn scale_down_victims(
    cluster: &Cluster,
    active: &[PodId],
    created_ms: impl Fn(PodId) -> i64,
    kubelet: impl Fn(PodId) -> (bool, u32),
    count: usize,
    now: SimTime,
) -> Vec<PodId> {
    let mut ranks: Vec<Rank> = active
        .iter()
        .map(|&p| {
            let node = cluster.pod_node(p);
            let (ready, restarts) = kubelet(p);
            Rank {
                pod: p,
                assigned: node.is_some(),
                ready: node.is_some() && ready,
                deletion_cost: cluster.pod(p).deletion_cost,
                siblings_on_node: node
                    .map_or(0, |n| active.iter().filter(|q| cluster.pod_node(**q) == Some(n)).count()),
                ready_ms: cluster.start_time(p),
                restarts,
                created_ms: created_ms(p),
            }
        })
        .collect();
    ranks.sort_by(|a, b| deletes_before(a, b, now));
    ranks.into_iter().take(count).map(|r| r.pod).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(pod: PodId) -> Rank {
        Rank {
            pod,
            assigned: true,
            ready: true,
            deletion_cost: 0,
            siblings_on_node: 1,
            ready_ms: Some(0),
            restarts: 0,
            created_ms: 0,
        }
    }

    fn order(mut v: Vec<Rank>, now: i64) -> Vec<PodId> {
        v.sort_by(|a, b| deletes_before(a, b, SimTime(now)));
        v.into_iter().map(|r| r.pod).collect()
    }

    #[test]
    fn victims_follow_upstream_rank_order() {
        let now = 3_600_000;
        let unassigned = Rank { assigned: false, ready: false, ready_ms: None, ..rank(1) };
        let cheap = Rank { deletion_cost: -10, ..rank(2) };
        let crowded = Rank { siblings_on_node: 3, ..rank(3) };
        let plain = rank(4);
        assert_eq!(order(vec![plain, crowded, cheap, unassigned], now), vec![1, 2, 3, 4]);
        // Ready recently (10 s ago) goes before ready long ago (1 h ago).
        let young = Rank { ready_ms: Some(now - 10_000), created_ms: now - 10_000, ..rank(5) };
        let old = Rank { ready_ms: Some(0), ..rank(6) };
        assert_eq!(order(vec![old, young], now), vec![5, 6]);
        // Within one log2 bucket, creation times tie and the newer id goes first.
        let a = Rank { ready_ms: Some(now - 1_000), created_ms: now - 1_000, ..rank(7) };
        let b = Rank { ready_ms: Some(now - 1_010), created_ms: now - 1_010, ..rank(8) };
        assert_eq!(order(vec![a, b], now), vec![8, 7]);
        // More restarts first.
        let r = Rank { restarts: 3, ..rank(9) };
        assert_eq!(order(vec![rank(10), r], now), vec![9, 10]);
    }

    /// A pod in CrashLoopBackOff is not ready and goes first; among ready pods, more restarts
    /// first.
    #[test]
    fn crash_looping_and_restarted_pods_go_first() {
        let mut c = Cluster::new();
        let node = crate::model::Node {
            name: "n".into(),
            labels: Default::default(),
            taints: vec![],
            unschedulable: false,
            allocatable: crate::model::Resources { pods: 110, ..Default::default() },
            capacity: Default::default(),
            images: vec![],
        };
        c.add_node(node).unwrap();
        let pods: Vec<PodId> = (0..3)
            .map(|i| c.add_pod(crate::model::simple_pod(&format!("p{i}"), Default::default())))
            .collect();
        for p in &pods {
            c.bind(*p, 0).unwrap();
            c.set_start_time(*p, 0);
        }
        let kubelet = |p: PodId| match p {
            0 => (true, 0),
            1 => (false, 4), // crash-looping
            _ => (true, 2),
        };
        let order = scale_down_victims(&c, &pods, |_| 0, kubelet, 3, SimTime(3_600_000));
        assert_eq!(order, vec![1, 2, 0]);
    }

    #[test]
    fn the_controller_plans_bursts_and_backs_off_refusals() {
        let rs = ReplicaSet {
            namespace: "default".into(),
            name: "web".into(),
            deployment: None,
            controller_deployment: None,
            replicas: 502,
            template: crate::model::simple_pod("web", Default::default()),
            created: SimTime::ZERO,
        };
        let mut c = ReplicaSetController::new(&[rs]);
        assert_eq!(c.plan(0), Scale::Create { count: 500, resync: true });
        c.pod_created(0, 1);
        c.pod_created(0, 2);
        assert_eq!(c.plan(0), Scale::Create { count: 500, resync: false });
        assert_eq!(c.scale(0, 1), 502);
        assert_eq!(c.plan(0), Scale::Delete(1));
        c.pod_ended(0, 2);
        assert_eq!((c.plan(0), c.active(0)), (Scale::Steady, vec![1]));
        assert_eq!([c.creation_refused(0), c.creation_refused(0), c.creation_refused(0)], [5, 10, 20]);
        c.creations_succeeded(0);
        assert_eq!(c.creation_refused(0), 5);
    }

    #[test]
    fn log_buckets_are_log2_of_nanoseconds() {
        assert_eq!(log_bucket(SimTime(1_000), 0), 29, "1 s = 1e9 ns; 2^29 ≤ 1e9 < 2^30");
        assert_eq!(log_bucket(SimTime::ZERO, 0), -1);
        assert_eq!(template_hash("web").len(), 10);
        assert_eq!(template_hash("web"), template_hash("web"));
        assert_ne!(template_hash("web"), template_hash("api"));
    }
}
