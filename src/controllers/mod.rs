//! Controllers: what kube-controller-manager, the API server's admission chain and the kubelet
//! do around the scheduler. Each file holds one controller's rules and its state (as
//! kube-controller-manager keeps each controller's state inside that controller); the engine
//! ([`crate::sim`]) calls them on the events they watch and applies what they decide, so they
//! never schedule pods, push events or call plugins.

pub mod admission;
pub mod daemonset;
pub mod job;
pub mod node_lifecycle;
pub mod replicaset;
pub mod static_pods;
pub mod taint_eviction;

use crate::model::labels::{Taint, TaintEffect, Toleration, TolerationOperator};

/// Controller settings, upstream defaults unless the scenario says otherwise. Times in ms of
/// virtual time.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// node-monitor-grace-period: 50 s since v1.32.
    pub node_monitor_grace_ms: i64,
    /// node-eviction-rate: NoExecute taints per second in a healthy zone (0.1).
    pub node_eviction_rate: f64,
    /// secondary-node-eviction-rate (0.01), for partially disrupted large zones.
    pub secondary_node_eviction_rate: f64,
    /// unhealthy-zone-threshold (0.55).
    pub unhealthy_zone_threshold: f64,
    /// large-cluster-size-threshold (50): smaller zones stop tainting when partially disrupted.
    pub large_cluster_size_threshold: usize,
    /// DefaultTolerationSeconds for not-ready (300).
    pub not_ready_toleration_s: i64,
    /// DefaultTolerationSeconds for unreachable (300).
    pub unreachable_toleration_s: i64,
    /// Reaction delay of the ReplicaSet, DaemonSet and Job controllers (0).
    pub sync_delay_ms: i64,
    /// capsim extension: evict running pods whose required node affinity stops matching.
    pub evict_on_node_affinity_change: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            node_monitor_grace_ms: 50_000,
            node_eviction_rate: 0.1,
            secondary_node_eviction_rate: 0.01,
            unhealthy_zone_threshold: 0.55,
            large_cluster_size_threshold: 50,
            not_ready_toleration_s: 300,
            unreachable_toleration_s: 300,
            sync_delay_ms: 0,
            evict_on_node_affinity_change: false,
        }
    }
}

/// The workqueue's rate limiter after a failed sync (`ItemExponentialFailureRateLimiter`):
/// 5 ms, doubling, at most 1000 s. `previous_ms` is the last wait (0: none yet).
pub fn workqueue_backoff_ms(previous_ms: i64) -> i64 {
    if previous_ms == 0 { 5 } else { (previous_ms * 2).min(1_000_000) }
}

/// A taint with an empty value.
pub fn taint(key: &str, effect: TaintEffect) -> Taint {
    Taint { key: key.into(), value: String::new(), effect }
}

/// An `Exists` toleration of `key` with `effect`.
pub fn exists_toleration(key: &str, effect: TaintEffect, seconds: Option<i64>) -> Toleration {
    Toleration {
        key: key.into(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: Some(effect),
        toleration_seconds: seconds,
    }
}

/// Adds `t` to `taints` unless a taint with its key and effect is there; then replaces its value.
/// Returns whether the list changed.
pub fn set_taint(taints: &mut Vec<Taint>, t: Taint) -> bool {
    match taints.iter_mut().find(|x| x.key == t.key && x.effect == t.effect) {
        Some(x) if x.value == t.value => false,
        Some(x) => {
            x.value = t.value;
            true
        }
        None => {
            taints.push(t);
            true
        }
    }
}

/// Removes the taints with `key` (and `effect`, when given). Returns whether any was removed.
pub fn remove_taint(taints: &mut Vec<Taint>, key: &str, effect: Option<TaintEffect>) -> bool {
    let before = taints.len();
    taints.retain(|t| !(t.key == key && effect.is_none_or(|e| e == t.effect)));
    taints.len() != before
}

/// A Kubernetes-style random name suffix (`generateName`), made deterministic: the `n`-th
/// suffix of a run, five characters from upstream's alphabet (no vowels, no look-alikes).
pub fn name_suffix(mut n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    // Spread consecutive numbers over the alphabet (an odd multiplier is a bijection mod 27^5).
    const SPACE: u64 = 27 * 27 * 27 * 27 * 27;
    n = (n.wrapping_mul(6_967_493) + 12_345) % SPACE;
    let mut out = [0u8; 5];
    for c in out.iter_mut().rev() {
        *c = ALPHABET[(n % 27) as usize];
        n /= 27;
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_suffixes_are_distinct_and_look_like_kubernetes() {
        let names: std::collections::BTreeSet<String> = (0..10_000).map(name_suffix).collect();
        assert_eq!(names.len(), 10_000);
        assert_eq!(name_suffix(0).len(), 5);
        assert!(name_suffix(1).bytes().all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b)));
    }

    #[test]
    fn set_taint_updates_by_key_and_effect() {
        let mut t = vec![taint("a", TaintEffect::NoSchedule)];
        assert!(set_taint(
            &mut t,
            Taint { key: "a".into(), value: "x".into(), effect: TaintEffect::NoSchedule }
        ));
        assert!(set_taint(&mut t, taint("a", TaintEffect::NoExecute)));
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].value, "x");
        assert!(!set_taint(&mut t, taint("a", TaintEffect::NoExecute)));
        assert!(remove_taint(&mut t, "a", Some(TaintEffect::NoExecute)));
        assert!(remove_taint(&mut t, "a", None));
        assert!(t.is_empty());
    }
}
