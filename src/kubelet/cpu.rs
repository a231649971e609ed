//! CPU at run time (mirrors the kubelet's cgroup settings, `pkg/kubelet/cm/helpers_linux.go`, and
//! the kernel's CFS): a container with a cpu limit gets a quota of `limit × 100 ms` per 100 ms
//! period, so demand above the limit is throttled (and waits for later periods, [`super::cfs`]); when a node's containers together want more
//! than its allocatable cpu, the CPU is shared in proportion to cpu shares (requests; 2 shares
//! for a container without a request).

/// CFS period, ms (`cpu.cfs_period_us` = 100000).
pub const CFS_PERIOD_MS: i64 = 100;
/// `cpu.shares` of a container without a cpu request (upstream `MinShares`), in millicores'
/// terms: 2 shares = 2m.
pub const MIN_SHARES_MILLI: i64 = 2;

/// One container's cpu for an interval, millicores.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuShare {
    /// What it offers: its demand, plus what its waiting work can use (see
    /// [`super::cfs::offered`]).
    pub demand: f64,
    /// What CFS quota lets through (`min(demand, limit)`).
    pub capped: f64,
    /// What it gets after the node is shared out.
    pub got: f64,
}

impl CpuShare {
    /// Demand the node could not serve (contention), millicores.
    pub fn shortfall(&self) -> f64 {
        self.capped - self.got
    }
}

/// Shares out `capacity` millicores among containers given as (demand, request, limit), limit
/// 0 meaning none: each first gets at most its limit (CFS quota); if the node cannot serve all
/// of that, capacity is water-filled in proportion to requests (cpu shares), no container
/// getting more than it wants.
pub fn share(capacity: f64, containers: &[(f64, i64, i64)]) -> Vec<CpuShare> {
    let mut out: Vec<CpuShare> = containers
        .iter()
        .map(|&(demand, _, limit)| {
            let capped = if limit > 0 { demand.min(limit as f64) } else { demand };
            CpuShare { demand, capped, got: capped }
        })
        .collect();
    let total: f64 = out.iter().map(|c| c.capped).sum();
    if total <= capacity {
        return out;
    }
    // Water-filling: repeatedly give every unsatisfied container its weighted share of what is
    // left; those wanting less than their share are satisfied and leave the pool.
    let weight = |i: usize| containers[i].1.max(MIN_SHARES_MILLI) as f64;
    let mut open: Vec<usize> = (0..out.len()).filter(|i| out[*i].capped > 0.0).collect();
    for c in out.iter_mut() {
        c.got = 0.0;
    }
    let mut left = capacity;
    while !open.is_empty() && left > 1e-9 {
        let w: f64 = open.iter().map(|i| weight(*i)).sum();
        let mut satisfied = Vec::new();
        for &i in &open {
            let fair = left * weight(i) / w;
            if out[i].capped - out[i].got <= fair {
                satisfied.push(i);
            }
        }
        if satisfied.is_empty() {
            for &i in &open {
                out[i].got += left * weight(i) / w;
            }
            break;
        }
        for i in satisfied {
            left -= out[i].capped - out[i].got;
            out[i].got = out[i].capped;
            open.retain(|x| *x != i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Guaranteed pod (1 cpu request = limit) wanting 1.5 cpu is throttled on a third of its
    /// demand.
    #[test]
    fn demand_above_the_limit_is_throttled_by_cfs_quota() {
        let s = share(4000.0, &[(1500.0, 1000, 1000)]);
        assert_eq!(s[0].capped, 1000.0);
        assert!(((s[0].demand - s[0].capped) / s[0].demand - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s[0].shortfall(), 0.0);
    }

    /// A full node shares by requests: 3 cpu for containers requesting 1 and 2 cpu and each
    /// wanting 3 → 1 and 2; one wanting little is served fully and the rest share the remainder.
    #[test]
    fn contention_shares_in_proportion_to_requests() {
        let s = share(3000.0, &[(3000.0, 1000, 0), (3000.0, 2000, 0)]);
        assert!((s[0].got - 1000.0).abs() < 1e-9 && (s[1].got - 2000.0).abs() < 1e-9);
        assert!((s[0].shortfall() - 2000.0).abs() < 1e-9);
        let s = share(3000.0, &[(500.0, 1000, 0), (3000.0, 1000, 0), (3000.0, 1000, 0)]);
        assert!((s[0].got - 500.0).abs() < 1e-9);
        assert!((s[1].got - 1250.0).abs() < 1e-9 && (s[2].got - 1250.0).abs() < 1e-9);
        // BestEffort (2 shares) against a 1-cpu request: 2 : 1000.
        let s = share(1002.0, &[(1000.0, 0, 0), (1000.0, 1000, 0)]);
        assert!((s[0].got - 2.0).abs() < 1e-9, "{:?}", s[0]);
        // No contention: everyone gets what quota allows.
        let s = share(8000.0, &[(1500.0, 1000, 1000), (700.0, 0, 0)]);
        assert_eq!((s[0].got, s[1].got), (1000.0, 700.0));
    }
}
