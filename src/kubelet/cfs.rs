//! CFS bandwidth control over time, per container (mirrors the kernel's `cpu.cfs_quota_us` /
//! `cpu.cfs_period_us` as the kubelet sets them, `pkg/kubelet/cm/helpers_linux.go`): in each
//! 100 ms period a container with a cpu limit may run `limit × 100 ms` of CPU time over all its
//! threads; work it wants beyond that waits for the following periods. Waiting work is a
//! *backlog* that carries from period to period until the container's quota has room for it,
//! and every period that ends with work still waiting counts as throttled — what the kernel
//! reports as `nr_throttled` in `cpu.stat`.
//!
//! The model is fluid within a period: demand is a rate (millicores), work an amount
//! (millicore·ms, so 1,000 is one CPU for one millisecond, and 1 is one microsecond of CPU time).
//! Periods end at the container's start plus whole multiples of [`CFS_PERIOD_MS`], as the
//! cgroup's period timer, started with the container, keeps its phase.

use super::cpu::CFS_PERIOD_MS;

/// Work a container wanted but its quota has not yet let it run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Backlog {
    /// Waiting work, millicore·ms (1,000 = one CPU for 1 ms).
    pub work: f64,
    /// Most millicores the waiting work can use at once: a burst's threads × 1,000, or
    /// `f64::INFINITY` for steady demand above the limit (as many threads as it needs).
    pub width: f64,
}

impl Backlog {
    /// Whether work is waiting.
    pub fn pending(&self) -> bool {
        self.work > WORK_EPSILON
    }

    /// A burst of `work` millicore·ms arrives at `now` ms, able to run on at most `width`
    /// millicores (its threads × 1,000), in a container wanting `demand` millicores with cpu
    /// `limit` (0 = none) whose periods end at `phase` + k·100 ms. The kernel hands out a period's
    /// quota from its start, so quota the container left unused earlier in the current period
    /// serves the burst at once; the rest waits. Waiting steady demand keeps its unbounded width.
    pub fn add_burst(&mut self, work: f64, width: f64, demand: f64, limit: i64, phase: f64, now: f64) {
        let mut work = work;
        if !self.pending() {
            self.width = width;
            let quota = quota_rate(limit);
            if quota.is_finite() && demand < quota {
                let into_period = (now - phase).rem_euclid(CFS_PERIOD_MS as f64);
                work -= ((quota - demand) * into_period).min(work);
            }
        } else if self.width.is_finite() {
            self.width = self.width.max(width);
        }
        self.work = self.work.max(0.0) + work;
    }
}

/// Below this much waiting work (a millionth of a CPU-microsecond), the backlog is empty.
const WORK_EPSILON: f64 = 1e-6;

/// What one container's CFS accounting gained over an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accrued {
    /// CPU the container wanted but its quota held back, millicore·ms: for steady demand, the
    /// demand above the limit; for a burst, its waiting threads' time (as `throttled_usec`).
    pub throttled_mms: f64,
    /// Periods that ended with work waiting for quota (`nr_throttled`).
    pub throttled_periods: u64,
    /// Periods that ended while the container ran with a limit (`nr_periods`).
    pub periods: u64,
}

/// The rate, millicores, a container wanting `demand` millicores with this `backlog` and cpu
/// `limit` (0 = none) offers to the node: its demand, plus what its waiting work can use, cut
/// by the quota.
pub fn offered(demand: f64, limit: i64, backlog: &Backlog) -> f64 {
    let quota = quota_rate(limit);
    let want = if backlog.pending() { demand + backlog.width } else { demand };
    want.min(quota)
}

/// The quota as a rate, millicores (`f64::INFINITY` without a limit). The kernel's minimum quota
/// of 1 ms per period makes limits below 10m act as 10m.
fn quota_rate(limit: i64) -> f64 {
    if limit > 0 { limit.max(10) as f64 } else { f64::INFINITY }
}

/// How the backlog changes while demand and backlog width are constant: (rate of change of the
/// waiting work, millicore·ms per ms; whether the container is held back by its quota).
fn slope(demand: f64, quota: f64, backlog: &Backlog) -> (f64, bool) {
    if !backlog.pending() {
        return ((demand - quota).max(0.0), demand > quota);
    }
    let want = demand + backlog.width;
    if want > quota { (demand - quota, true) } else { (-backlog.width, false) }
}

/// Milliseconds from now until the waiting work has run, or `None` if it never drains at the
/// current demand (or nothing waits).
pub fn drain_ms(demand: f64, limit: i64, backlog: &Backlog) -> Option<f64> {
    if !backlog.pending() {
        return None;
    }
    let (rate, _) = slope(demand, quota_rate(limit), backlog);
    (rate < 0.0).then(|| backlog.work / -rate)
}

/// Period ends `phase + k·100 ms` in `(from, to]` (or `(from, to)` when `to_exclusive`).
fn period_ends(phase: f64, from: f64, to: f64, to_exclusive: bool) -> u64 {
    if to <= from {
        return 0;
    }
    let p = CFS_PERIOD_MS as f64;
    let first = ((from - phase) / p).floor() + 1.0;
    let last = if to_exclusive { ((to - phase) / p).ceil() - 1.0 } else { ((to - phase) / p).floor() };
    (last - first + 1.0).max(0.0) as u64
}

/// Advances one container's backlog over `[from, to]` ms at constant `demand` (millicores) and
/// cpu `limit` (millicores, 0 = none), with its periods ending at `phase` + k·100 ms. Returns
/// what it accrued.
pub fn advance(backlog: &mut Backlog, demand: f64, limit: i64, phase: f64, from: f64, to: f64) -> Accrued {
    let quota = quota_rate(limit);
    let mut out = Accrued::default();
    if limit > 0 {
        out.periods = period_ends(phase, from, to, false);
    }
    let mut t = from;
    while t < to {
        if backlog.pending() && backlog.width.is_infinite() && quota.is_infinite() {
            // Without a quota, nothing waits.
            *backlog = Backlog::default();
        }
        let (rate, held) = slope(demand, quota, backlog);
        let drained_at =
            if backlog.pending() && rate < 0.0 { t + backlog.work / -rate } else { f64::INFINITY };
        let end = drained_at.min(to);
        let left = backlog.work + rate * (end - t);
        // Drained at `end` (exactly, or up to rounding): the period ending then is not throttled.
        let drained = backlog.pending() && (end == drained_at || left <= WORK_EPSILON);
        if held {
            let want =
                if backlog.pending() && backlog.width.is_finite() { demand + backlog.width } else { demand };
            out.throttled_mms += (want - quota).max(0.0) * (end - t);
            out.throttled_periods += period_ends(phase, t, end, drained);
        }
        if drained {
            *backlog = Backlog::default();
        } else {
            backlog.work = left.max(0.0);
            if rate > 0.0 && backlog.width == 0.0 {
                backlog.width = f64::INFINITY; // steady demand above the limit starts waiting
            }
        }
        if !backlog.pending() && demand <= quota && end < to {
            break; // nothing waits and nothing new does: the rest is unthrottled
        }
        t = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A single-threaded burst of 200 ms of CPU in a container limited to 100m (10 ms of quota
    /// per period) needs 20 periods: the first 19 end with work waiting and are throttled, the
    /// last runs the final 10 ms and is not — the kernel's `nr_throttled` of 19.
    #[test]
    fn a_single_threaded_burst_carries_into_the_following_periods() {
        let mut b = Backlog::default();
        b.add_burst(200_000.0, 1000.0, 0.0, 100, 0.0, 0.0);
        assert_eq!(offered(0.0, 100, &b), 100.0, "it runs at its quota");
        assert_eq!(drain_ms(0.0, 100, &b), Some(2000.0));
        let a = advance(&mut b, 0.0, 100, 0.0, 0.0, 5000.0);
        assert_eq!(a.throttled_periods, 19);
        assert_eq!(a.periods, 50);
        // Its thread waited 900m × 2000 ms: 1.8 CPU-seconds of throttled thread time.
        assert!((a.throttled_mms - 1_800_000.0).abs() < 1e-6, "{a:?}");
        assert!(!b.pending());
    }

    /// The same burst arriving mid-period (at 50 ms) first runs on the quota left unused earlier
    /// in that period (the kernel hands quota out from the period's start), so it still ends in
    /// its 20th period, throttled in 19; 205 ms of work need a 21st period (20 throttled),
    /// wherever they start. With a 2-cpu limit one thread never reaches its quota.
    #[test]
    fn phase_and_thread_bound_bursts() {
        let mut b = Backlog::default();
        b.add_burst(200_000.0, 1000.0, 0.0, 100, 0.0, 50.0);
        let a = advance(&mut b, 0.0, 100, 0.0, 50.0, 5000.0);
        assert_eq!(a.throttled_periods, 19, "{a:?}");
        let mut b = Backlog::default();
        b.add_burst(205_000.0, 1000.0, 0.0, 100, 0.0, 50.0);
        assert_eq!(advance(&mut b, 0.0, 100, 0.0, 50.0, 5000.0).throttled_periods, 20);
        let mut b = Backlog::default();
        b.add_burst(205_000.0, 1000.0, 0.0, 100, 0.0, 0.0);
        assert_eq!(advance(&mut b, 0.0, 100, 0.0, 0.0, 5000.0).throttled_periods, 20);
        let mut b = Backlog::default();
        b.add_burst(200_000.0, 1000.0, 0.0, 100, 0.0, 0.0);
        assert_eq!(drain_ms(0.0, 2000, &b), Some(200.0), "one thread runs it in 200 ms");
        let a = advance(&mut b, 0.0, 2000, 0.0, 0.0, 1000.0);
        assert_eq!((a.throttled_periods, a.throttled_mms), (0, 0.0));
    }

    /// Steady demand above the limit throttles every period, and what it could not run waits:
    /// after 1 s at 1.5 cpu against a 1-cpu limit, 500 CPU-ms wait, and at 0.5 cpu demand they
    /// drain at 0.5 cpu in 1 s more, throttling those periods too.
    #[test]
    fn steady_demand_above_the_limit_carries_over() {
        let mut b = Backlog::default();
        let a = advance(&mut b, 1500.0, 1000, 0.0, 0.0, 1000.0);
        assert_eq!((a.periods, a.throttled_periods), (10, 10));
        assert!((a.throttled_mms - 500_000.0).abs() < 1e-6);
        assert!((b.work - 500_000.0).abs() < 1e-6 && b.width.is_infinite());
        assert_eq!(offered(500.0, 1000, &b), 1000.0);
        assert_eq!(drain_ms(500.0, 1000, &b), Some(1000.0));
        let a = advance(&mut b, 500.0, 1000, 0.0, 1000.0, 3000.0);
        assert_eq!((a.periods, a.throttled_periods), (20, 9), "{a:?}");
        assert_eq!(a.throttled_mms, 0.0, "already counted when it was deferred");
        assert!(!b.pending());
        // Below the limit with nothing waiting: nothing is throttled.
        assert_eq!(advance(&mut b, 900.0, 1000, 0.0, 3000.0, 4000.0).throttled_periods, 0);
    }

    /// Limits below 10m act as 10m (the kernel's 1 ms minimum quota); without a limit a burst
    /// only runs as wide as its threads and nothing is throttled.
    #[test]
    fn minimum_quota_and_no_limit() {
        let mut b = Backlog::default();
        b.add_burst(10_000.0, 1000.0, 0.0, 5, 0.0, 0.0);
        assert_eq!(drain_ms(0.0, 5, &b), Some(1000.0));
        let mut b = Backlog::default();
        b.add_burst(300_000.0, 2000.0, 100.0, 0, 0.0, 0.0);
        assert_eq!(offered(100.0, 0, &b), 2100.0);
        let a = advance(&mut b, 100.0, 0, 0.0, 0.0, 1000.0);
        assert_eq!((a.periods, a.throttled_periods, a.throttled_mms), (0, 0, 0.0));
        assert!(!b.pending());
    }
}
