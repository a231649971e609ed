//! Detects a run that cannot make progress: events that keep coming at one virtual instant
//! while no pod is created, bound or ended and no node joins or leaves (an event that
//! re-schedules itself at the same time for ever). Such a run would loop without end; it is
//! stopped with an error instead.

use crate::metrics::PodCounts;
use crate::time::SimTime;

/// Events allowed at one instant without progress, beyond [`PER_POD`] per pod created: far more
/// than any real burst (a failed scheduling cycle per pending pod, several events per pod
/// created), far fewer than a loop reaches in a few seconds.
pub const BASE_EVENTS: u64 = 10_000_000;

/// Extra events allowed at one instant per pod created so far.
pub const PER_POD: u64 = 8;

/// What counts as progress: pods created, running and ended, and the cluster's allocatable
/// (nodes added or removed).
type Mark = (usize, usize, usize, usize, usize, [i128; 3]);

/// The stall detector's state: the instant it watches, the progress mark there, and the events
/// seen since the mark last changed.
#[derive(Debug, Default)]
pub(super) struct Stall {
    at: Option<SimTime>,
    mark: Mark,
    events: u64,
}

impl Stall {
    /// Counts one event at `now`; `Err` with the reason when the run is stuck at `now`.
    pub(super) fn observe(
        &mut self,
        now: SimTime,
        counts: &PodCounts,
        allocatable: [i128; 3],
    ) -> Result<(), String> {
        let mark =
            (counts.created, counts.running, counts.succeeded, counts.failed, counts.rejected, allocatable);
        if self.at != Some(now) || self.mark != mark {
            *self = Stall { at: Some(now), mark, events: 0 };
            return Ok(());
        }
        self.events += 1;
        let limit = BASE_EVENTS + PER_POD * counts.created as u64;
        if self.events > limit {
            return Err(format!(
                "no progress: {} events at virtual time {} s with no pod created, bound or ended and no node added or removed",
                self.events,
                now.as_secs_f64()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_at_one_instant_is_stopped_and_progress_resets_the_count() {
        let mut s = Stall::default();
        let mut c = PodCounts { created: 1, ..Default::default() };
        let t = SimTime(5_000);
        let limit = BASE_EVENTS + PER_POD;
        for _ in 0..=limit {
            s.observe(t, &c, [3; 3]).unwrap();
        }
        let err = s.observe(t, &c, [3; 3]).unwrap_err();
        assert!(err.starts_with(&format!("no progress: {} events at virtual time 5 s", limit + 1)), "{err}");
        // A pod bound is progress; so is the clock moving on.
        c.running = 1;
        s.observe(t, &c, [3; 3]).unwrap();
        assert_eq!(s.events, 0);
        s.observe(t, &c, [3; 3]).unwrap();
        s.observe(SimTime(5_001), &c, [3; 3]).unwrap();
        assert_eq!(s.events, 0);
    }
}
