//! What an experiment keeps of one run ([`RunDigest`]): its summary, pending times by group, its
//! pending-time histogram and optionally its time series. Comparisons, shards and the single-run
//! report are built from digests, never from a live run.

use super::{GroupPending, Summary, summarize, summarize_groups};
use crate::metrics::{RunResult, Sample};

/// What `compare` keeps of one run: its summary, its pending times by group, its pending-time
/// histogram (for the merged CDF) and, for the first seed only, its time series (for charts).
#[derive(Clone, Debug, Default)]
pub struct RunDigest {
    /// The run's summary.
    pub summary: Summary,
    /// Pending times by priority, namespace and size class.
    pub groups: Vec<GroupPending>,
    /// Pending-time histogram buckets `(milliseconds, pods)`, ascending; re-recording them
    /// rebuilds the run's histogram exactly, so seeds and shards merge without loss.
    pub pending: Vec<(u64, u64)>,
    /// Samples (the first seed's runs only; empty otherwise).
    pub series: Vec<Sample>,
}

/// The digest of a run; `keep_series` keeps its time series.
///
/// # Errors
/// The run's finished pods cannot be read back ([`RunResult::pods`]).
pub fn digest(r: &RunResult, keep_series: bool) -> Result<RunDigest, crate::error::SimError> {
    Ok(digest_tallied(r, &super::tally(r)?, keep_series))
}

/// [`digest`] of a run whose pods `t` tallied already.
pub fn digest_tallied(r: &RunResult, t: &super::PodTally, keep_series: bool) -> RunDigest {
    RunDigest {
        summary: summarize(r, t).0,
        groups: summarize_groups(t),
        pending: r
            .recorder
            .pending
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect(),
        series: if keep_series { r.recorder.samples.clone() } else { Vec::new() },
    }
}
