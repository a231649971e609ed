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
    /// The work waits, without running, until this time, ms: a burst that spent its period's
    /// quota waits for the next period (0: it runs as soon as the quota allows).
    pub resume_at: f64,
}

impl Backlog {
    /// Whether work is waiting.
    pub fn pending(&self) -> bool {
        self.work > WORK_EPSILON
    }

    /// A burst of `work` millicore·ms arrives at `now` ms, able to run on at most `width`
    /// millicores (its threads × 1,000), in a container wanting `demand` millicores with cpu
    /// `limit` (0 = none) whose periods end at `phase` + k·100 ms. Returns the work deferred to
    /// later periods, millicore·ms.
    ///
    /// The kernel hands out a period's quota from its start: with nothing waiting, the burst
    /// runs at once on the quota its container's steady demand leaves in the current period,
    /// `(limit − demand) × 100 ms`, as far as its threads can in the rest of the period. If the
    /// quota ran out first, the rest waits for the next period; if its threads were the limit,
    /// it goes on running. Behind waiting work, all of it waits.
    pub fn add_burst(&mut self, work: f64, width: f64, demand: f64, limit: i64, phase: f64, now: f64) -> f64 {
        let quota = quota_rate(limit);
        if self.pending() {
            if self.width.is_finite() {
                self.width = self.width.max(width);
            }
            self.work += work;
            return if quota.is_finite() { work } else { 0.0 };
        }
        *self = Backlog { work, width, resume_at: 0.0 };
        if quota.is_infinite() {
            return 0.0; // no quota: it runs as wide as its threads, nothing is deferred
        }
        let period = CFS_PERIOD_MS as f64;
        let into_period = (now - phase).rem_euclid(period);
        let headroom = (quota - demand).max(0.0) * period;
        let thread_room = width * (period - into_period);
        let ran = work.min(headroom).min(thread_room);
        self.work -= ran;
        if !self.pending() {
            *self = Backlog::default();
            return 0.0;
        }
        if headroom <= thread_room {
            self.resume_at = now - into_period + period; // the quota is spent: the next period
            self.work
        } else {
            0.0 // its threads, not the quota, held it: it goes on running
        }
    }
}

/// Below this much waiting work (a millionth of a CPU-microsecond), the backlog is empty.
const WORK_EPSILON: f64 = 1e-6;

/// What one container's CFS accounting gained over an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accrued {
    /// CPU work the quota deferred to later periods, millicore·ms: steady demand above the limit
    /// (bursts' deferred work is counted when they arrive, [`Backlog::add_burst`]).
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

/// Milliseconds from `now` until the waiting work has run, or `None` if it never drains at the
/// current demand (or nothing waits).
pub fn drain_ms(demand: f64, limit: i64, backlog: &Backlog, now: f64) -> Option<f64> {
    if !backlog.pending() {
        return None;
    }
    let (rate, _) = slope(demand, quota_rate(limit), backlog);
    (rate < 0.0).then(|| (backlog.resume_at - now).max(0.0) + backlog.work / -rate)
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
        if backlog.pending() && t < backlog.resume_at {
            // Waiting for the next period: every period end until then is throttled.
            let end = backlog.resume_at.min(to);
            let excess = (demand - quota).max(0.0) * (end - t);
            backlog.work += excess;
            out.throttled_mms += excess;
            out.throttled_periods += period_ends(phase, t, end, false);
            t = end;
            continue;
        }
        let (rate, held) = slope(demand, quota, backlog);
        let drained_at =
            if backlog.pending() && rate < 0.0 { t + backlog.work / -rate } else { f64::INFINITY };
        let end = drained_at.min(to);
        let left = backlog.work + rate * (end - t);
        // Drained at `end` (exactly, or up to rounding): the period ending then is not throttled.
        let drained = backlog.pending() && (end == drained_at || left <= WORK_EPSILON);
        if held {
            out.throttled_mms += (demand - quota).max(0.0) * (end - t);
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
    /// per period) needs 20 periods: it runs 10 ms at once, and the first 19 periods end with
    /// work waiting and are throttled; the last runs the final 10 ms and is not — the kernel's
    /// `nr_throttled` of 19. 190 ms of work were deferred to later periods.
    #[test]
    fn a_single_threaded_burst_carries_into_the_following_periods() {
        let mut b = Backlog::default();
        assert_eq!(b.add_burst(200_000.0, 1000.0, 0.0, 100, 0.0, 0.0), 190_000.0);
        assert_eq!((b.work, b.resume_at), (190_000.0, 100.0));
        assert_eq!(offered(0.0, 100, &b), 100.0, "it runs at its quota");
        assert_eq!(drain_ms(0.0, 100, &b, 0.0), Some(2000.0));
        let a = advance(&mut b, 0.0, 100, 0.0, 0.0, 5000.0);
        assert_eq!(a.throttled_periods, 19);
        assert_eq!(a.periods, 50);
        assert_eq!(a.throttled_mms, 0.0, "the burst's deferred work was counted when it came");
        assert!(!b.pending());
    }

    /// Arriving mid-period (at 50 ms), the burst runs 10 ms at once on the period's unused quota
    /// (the kernel hands quota out from the period's start) and still ends in its 20th period,
    /// throttled in 19; 205 ms of work need a 21st period (20 throttled), wherever they start.
    /// A burst within the quota (10 ms) is never throttled, 11 ms once. With a 2-cpu limit one
    /// thread never reaches its quota: it runs on across the period end, unthrottled.
    #[test]
    fn phase_small_and_thread_bound_bursts() {
        let mut b = Backlog::default();
        b.add_burst(200_000.0, 1000.0, 0.0, 100, 0.0, 50.0);
        assert_eq!(advance(&mut b, 0.0, 100, 0.0, 50.0, 5000.0).throttled_periods, 19);
        for start in [0.0, 50.0] {
            let mut b = Backlog::default();
            b.add_burst(205_000.0, 1000.0, 0.0, 100, 0.0, start);
            assert_eq!(advance(&mut b, 0.0, 100, 0.0, start, 5000.0).throttled_periods, 20);
        }
        for (work, deferred, throttled) in [(5_000.0, 0.0, 0), (10_000.0, 0.0, 0), (11_000.0, 1_000.0, 1)] {
            let mut b = Backlog::default();
            assert_eq!(b.add_burst(work, 1000.0, 0.0, 100, 0.0, 0.0), deferred);
            assert_eq!(advance(&mut b, 0.0, 100, 0.0, 0.0, 1000.0).throttled_periods, throttled, "{work}");
        }
        let mut b = Backlog::default();
        assert_eq!(b.add_burst(200_000.0, 1000.0, 0.0, 2000, 0.0, 0.0), 0.0);
        assert_eq!(drain_ms(0.0, 2000, &b, 0.0), Some(100.0), "100 ms at once, 100 ms more");
        let a = advance(&mut b, 0.0, 2000, 0.0, 0.0, 1000.0);
        assert_eq!((a.throttled_periods, a.throttled_mms), (0, 0.0));
    }

    /// Steady demand above the limit throttles every period, and what it could not run waits:
    /// after 1 s at 1.5 cpu against a 1-cpu limit, 500 CPU-ms wait, and at 0.5 cpu demand they
    /// drain at 0.5 cpu in 1 s more, throttling those periods too. A burst behind them waits
    /// whole (all of it deferred).
    #[test]
    fn steady_demand_above_the_limit_carries_over() {
        let mut b = Backlog::default();
        let a = advance(&mut b, 1500.0, 1000, 0.0, 0.0, 1000.0);
        assert_eq!((a.periods, a.throttled_periods), (10, 10));
        assert!((a.throttled_mms - 500_000.0).abs() < 1e-6);
        assert!((b.work - 500_000.0).abs() < 1e-6 && b.width.is_infinite());
        assert_eq!(offered(500.0, 1000, &b), 1000.0);
        assert_eq!(drain_ms(500.0, 1000, &b, 1000.0), Some(1000.0));
        let a = advance(&mut b, 500.0, 1000, 0.0, 1000.0, 3000.0);
        assert_eq!((a.periods, a.throttled_periods), (20, 9), "{a:?}");
        assert_eq!(a.throttled_mms, 0.0, "already counted when it was deferred");
        assert!(!b.pending());
        // Below the limit with nothing waiting: nothing is throttled.
        assert_eq!(advance(&mut b, 900.0, 1000, 0.0, 3000.0, 4000.0).throttled_periods, 0);
        let mut b = Backlog::default();
        advance(&mut b, 1500.0, 1000, 0.0, 0.0, 1000.0);
        assert_eq!(b.add_burst(200_000.0, 1000.0, 1500.0, 1000, 0.0, 1000.0), 200_000.0);
    }

    /// Limits below 10m act as 10m (the kernel's 1 ms minimum quota); without a limit a burst
    /// only runs as wide as its threads and nothing is throttled.
    #[test]
    fn minimum_quota_and_no_limit() {
        let mut b = Backlog::default();
        b.add_burst(2_000.0, 1000.0, 0.0, 5, 0.0, 0.0);
        assert_eq!(drain_ms(0.0, 5, &b, 0.0), Some(200.0), "1 ms now, 1 ms in the next period");
        let mut b = Backlog::default();
        assert_eq!(b.add_burst(300_000.0, 2000.0, 100.0, 0, 0.0, 0.0), 0.0);
        assert_eq!(offered(100.0, 0, &b), 2100.0);
        let a = advance(&mut b, 100.0, 0, 0.0, 0.0, 1000.0);
        assert_eq!((a.periods, a.throttled_periods, a.throttled_mms), (0, 0, 0.0));
        assert!(!b.pending());
    }
}
