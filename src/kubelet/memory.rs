//! Memory at run time: a container whose usage reaches its memory limit is OOM-killed by the
//! kernel (`OOMKilled`, exit code 137) and restarted by the kubelet after a back-off; a node short
//! of memory is relieved by the kubelet's eviction manager (`pkg/kubelet/eviction`) or, when
//! usage reaches capacity first, by the kernel's OOM killer choosing by `oom_score_adj`
//! (`pkg/kubelet/qos/policy.go`).

use crate::model::pod::QosClass;

/// Exit code of an OOM-killed container.
pub const OOM_EXIT_CODE: i32 = 137;
/// First restart back-off, ms (10 s).
pub const BACKOFF_INITIAL_MS: i64 = 10_000;
/// Longest restart back-off, ms (300 s).
pub const BACKOFF_MAX_MS: i64 = 300_000;
/// A crash more than this long after the container's last (re)start resets its back-off, ms
/// (upstream `hasExpired`: 2 × the 300 s cap).
pub const BACKOFF_RESET_MS: i64 = 2 * BACKOFF_MAX_MS;
/// Default hard eviction threshold `memory.available<100Mi`, bytes.
pub const DEFAULT_EVICTION_HARD_MEMORY: i64 = 100 * 1024 * 1024;
/// Default `evictionPressureTransitionPeriod`, ms (5 min).
pub const DEFAULT_PRESSURE_TRANSITION_MS: i64 = 300_000;
/// The kubelet's eviction manager runs every 10 s (housekeeping), ms.
pub const DEFAULT_EVICTION_INTERVAL_MS: i64 = 10_000;

/// The wait before the `n`-th restart after a crash (n ≥ 1) in a row: none for the first, then
/// 10 s, 20 s, 40 s, … at most 300 s. Upstream (`kuberuntime_manager.go`, `doBackOff`) keys a
/// `flowcontrol.Backoff` by container: on the first crash the key has no entry, so
/// `IsInBackOffSince` is false and the container restarts at once, and `Next` records the
/// initial 10 s; each later crash waits the recorded back-off from its finish, then doubles it.
pub fn restart_backoff_ms(n: u32) -> i64 {
    if n <= 1 {
        return 0;
    }
    let exp = (n - 2).min(20);
    (BACKOFF_INITIAL_MS << exp).min(BACKOFF_MAX_MS)
}

/// When memory `m0 + rate · (t − t0)` goes over `limit` (bytes, rate in bytes per ms), at or
/// after `t0`: `Some(t0)` if it is already over, `None` if it never gets there (usage exactly at
/// the limit is not over it). Rounded up to the millisecond.
pub fn crossing_ms(t0: i64, m0: f64, rate_per_ms: f64, limit: f64) -> Option<i64> {
    if m0 > limit {
        return Some(t0);
    }
    if rate_per_ms <= 0.0 {
        return None;
    }
    // A hair below the exact quotient first, so that float noise on an exact crossing does not
    // push it a millisecond late.
    let dt = ((limit - m0) / rate_per_ms - 1e-6).ceil().max(0.0);
    if dt > 1e15 { None } else { Some(t0 + dt as i64) }
}

/// Upstream `GetContainerOOMScoreAdjust` (`pkg/kubelet/qos/policy.go`): node-critical pods
/// (`node_critical`: critical and of class `system-node-critical`) and Guaranteed pods −997,
/// BestEffort 1000, Burstable `1000 − 1000 · request / capacity` of the *container's* memory
/// request, at least 3 (above a Guaranteed pod using all memory) and at most 999 (below
/// BestEffort).
pub fn oom_score_adj(
    qos: QosClass,
    container_memory_request: i64,
    memory_capacity: i64,
    node_critical: bool,
) -> i64 {
    if node_critical {
        return -997;
    }
    match qos {
        QosClass::Guaranteed => -997,
        QosClass::BestEffort => 1000,
        QosClass::Burstable => {
            let adj = 1000 - (1000 * container_memory_request) / memory_capacity.max(1);
            adj.clamp(3, 999)
        }
    }
}

/// The kernel's badness of a process: `usage · 1000 / capacity + oom_score_adj` (the highest
/// is killed).
pub fn oom_badness(usage: i64, capacity: i64, adj: i64) -> i64 {
    usage.saturating_mul(1000) / capacity.max(1) + adj
}

/// A pod as the eviction manager ranks it under memory pressure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvictionCandidate {
    /// The pod.
    pub pod: crate::model::PodId,
    /// Its memory usage, bytes.
    pub usage: i64,
    /// Its memory request, bytes.
    pub request: i64,
    /// Its priority.
    pub priority: i32,
}

/// Upstream `rankMemoryPressure`: pods whose usage exceeds their request first, then lower
/// priority first, then more usage above the request first; the pod id breaks ties.
pub fn eviction_order(a: &EvictionCandidate, b: &EvictionCandidate) -> std::cmp::Ordering {
    let exceeds = |c: &EvictionCandidate| c.usage > c.request;
    exceeds(b)
        .cmp(&exceeds(a))
        .then(a.priority.cmp(&b.priority))
        .then((b.usage - b.request).cmp(&(a.usage - a.request)))
        .then(a.pod.cmp(&b.pod))
}

/// Parses the kubelet's `evictionHard` memory signal (`memory.available<100Mi`, or a
/// percentage `memory.available<5%` of `capacity`), returning the threshold in bytes.
///
/// # Errors
/// Anything else, with what was expected.
pub fn parse_memory_threshold(s: &str, capacity: Option<i64>) -> Result<MemoryThreshold, String> {
    let rest = s
        .trim()
        .strip_prefix("memory.available<")
        .ok_or_else(|| format!("{s:?}: expected memory.available<QUANTITY or memory.available<N%"))?;
    if let Some(p) = rest.strip_suffix('%') {
        let v: f64 = p.trim().parse().map_err(|_| format!("{rest:?} is not a percentage"))?;
        if !(0.0..=100.0).contains(&v) {
            return Err(format!("{rest:?}: a percentage must be between 0 and 100"));
        }
        let _ = capacity;
        return Ok(MemoryThreshold::Percent(v));
    }
    let q = crate::api::quantity::Quantity::parse(rest.trim()).map_err(|e| format!("{rest:?}: {e}"))?;
    if q.value() < 0 {
        return Err(format!("{rest:?}: a threshold must not be negative"));
    }
    Ok(MemoryThreshold::Bytes(q.value()))
}

/// A memory eviction threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MemoryThreshold {
    /// An absolute amount, bytes.
    Bytes(i64),
    /// A percentage of the node's capacity.
    Percent(f64),
}

impl MemoryThreshold {
    /// The threshold for a node with `capacity` bytes.
    pub fn bytes(self, capacity: i64) -> i64 {
        match self {
            MemoryThreshold::Bytes(b) => b,
            MemoryThreshold::Percent(p) => (capacity as f64 * p / 100.0).round() as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_restart_is_immediate_then_10_20_40_up_to_300_seconds() {
        let v: Vec<i64> = (1..=8).map(restart_backoff_ms).collect();
        assert_eq!(v, vec![0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    }

    /// 900 MiB growing by 100 MiB per hour reaches a 1 GiB limit after 1.24 h = 4464 s.
    #[test]
    fn oom_crossing_is_exact() {
        let mib = 1024.0 * 1024.0;
        let rate = 100.0 * mib / 3_600_000.0;
        assert_eq!(crossing_ms(0, 900.0 * mib, rate, 1024.0 * mib), Some(4_464_000));
        assert_eq!(crossing_ms(7, 2.0, 0.0, 1.0), Some(7));
        assert_eq!(crossing_ms(7, 1.0, 0.0, 1.0), None, "at the limit is not over it");
        assert_eq!(crossing_ms(7, 0.5, 0.0, 1.0), None);
    }

    #[test]
    fn oom_score_adj_follows_qos() {
        let gi = 1 << 30;
        assert_eq!(oom_score_adj(QosClass::Guaranteed, gi, 8 * gi, false), -997);
        assert_eq!(oom_score_adj(QosClass::BestEffort, 0, 8 * gi, false), 1000);
        assert_eq!(oom_score_adj(QosClass::Burstable, gi, 8 * gi, false), 875);
        assert_eq!(oom_score_adj(QosClass::Burstable, 8 * gi, 8 * gi, false), 3);
        assert_eq!(oom_score_adj(QosClass::Burstable, 0, 8 * gi, false), 999);
        assert_eq!(oom_score_adj(QosClass::BestEffort, 0, 8 * gi, true), -997);
    }

    /// BestEffort (request 0, any usage exceeds it) before a Burstable pod over its request
    /// before pods within their requests; among those over, lower priority first, then more
    /// usage above the request.
    #[test]
    fn memory_pressure_ranks_as_upstream() {
        let c = |pod, usage, request, priority| EvictionCandidate { pod, usage, request, priority };
        let mut v = [
            c(1, 500, 1000, 0),  // Guaranteed-like, within its request
            c(2, 1500, 1000, 0), // Burstable over its request by 500
            c(3, 300, 0, 0),     // BestEffort: over its (zero) request by 300
            c(4, 900, 100, 100), // over by 800 but higher priority
            c(5, 2000, 1000, 0), // over by 1000
        ];
        v.sort_by(eviction_order);
        assert_eq!(v.iter().map(|c| c.pod).collect::<Vec<_>>(), vec![5, 2, 3, 4, 1]);
    }

    #[test]
    fn eviction_thresholds_parse() {
        assert_eq!(
            parse_memory_threshold("memory.available<100Mi", None),
            Ok(MemoryThreshold::Bytes(104_857_600))
        );
        assert_eq!(parse_memory_threshold("memory.available<5%", None), Ok(MemoryThreshold::Percent(5.0)));
        assert_eq!(MemoryThreshold::Percent(5.0).bytes(1000), 50);
        assert!(parse_memory_threshold("nodefs.available<10%", None).is_err());
        assert!(parse_memory_threshold("memory.available<lots", None).is_err());
    }
}
