//! The Job controller (mirrors kube-controller-manager's `pkg/controller/job` for NonIndexed
//! Jobs): runs up to `parallelism` pods until `completions` succeed, replacing failed pods
//! after a backoff (10 s, doubling, at most 10 min) until more than `backoffLimit`
//! have failed. A pod succeeds after its run time, drawn per pod.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::model::Pod;
use crate::time::SimTime;

/// Annotation (on the Job or its template) giving a pod's run time: `10m` (fixed),
/// `exponential(10m)` (mean), or `uniform(5m,15m)`.
pub const ANNOTATION_RUN_TIME: &str = "capsim.dev/run-time";
/// Run time of a Job pod without the annotation: 1 minute.
pub const DEFAULT_RUN_TIME_MS: i64 = 60_000;
/// First backoff before re-creating pods after a failure: 10 s.
pub const BACKOFF_INITIAL_MS: i64 = 10_000;
/// Longest backoff: 10 min (upstream `MaxJobPodFailureBackOff`).
pub const BACKOFF_MAX_MS: i64 = 600_000;

/// How long a Job's pods run once started.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RunTime {
    /// Always this long, ms.
    Fixed(i64),
    /// Exponential with this mean, ms.
    Exponential(i64),
    /// Uniform between the bounds, ms.
    Uniform(i64, i64),
}

impl RunTime {
    /// Parses the annotation value (`10m`, `exponential(10m)`, `uniform(5m,15m)`).
    ///
    /// # Errors
    /// A message saying what was expected.
    pub fn parse(s: &str) -> Result<RunTime, String> {
        let dur = |x: &str| -> Result<i64, String> {
            humantime::parse_duration(x.trim())
                .map(|d| d.as_millis() as i64)
                .map_err(|e| format!("{x:?} is not a duration like 90s or 10m: {e}"))
        };
        let s = s.trim();
        if let Some(inner) = s.strip_prefix("exponential(").and_then(|r| r.strip_suffix(')')) {
            return Ok(RunTime::Exponential(dur(inner)?));
        }
        if let Some(inner) = s.strip_prefix("uniform(").and_then(|r| r.strip_suffix(')')) {
            let (a, b) = inner.split_once(',').ok_or("uniform needs two durations: uniform(5m,15m)")?;
            let (a, b) = (dur(a)?, dur(b)?);
            if a > b {
                return Err(format!("uniform({a} ms, {b} ms): the first bound must not exceed the second"));
            }
            return Ok(RunTime::Uniform(a, b));
        }
        dur(s).map(RunTime::Fixed).map_err(|e| format!("{e}; or exponential(MEAN), uniform(MIN,MAX)"))
    }

    /// Draws one pod's run time, ms (at least 1).
    pub fn draw(self, rng: &mut ChaCha8Rng) -> i64 {
        let ms = match self {
            RunTime::Fixed(ms) => ms,
            RunTime::Exponential(mean) => {
                let u: f64 = rng.random::<f64>();
                let u: f64 = u;
                (-(1.0 - u).ln() * mean as f64).round() as i64
            }
            RunTime::Uniform(a, b) => rng.random_range(a..=b),
        };
        ms.max(1)
    }
}

/// A Job as capsim runs it.
#[derive(Clone, Debug)]
pub struct Job {
    /// Namespace.
    pub namespace: String,
    /// Name; pods are named `<name>-<suffix>`.
    pub name: String,
    /// `spec.completions` (default 1).
    pub completions: i32,
    /// `spec.parallelism` (default 1).
    pub parallelism: i32,
    /// `spec.backoffLimit` (default 6).
    pub backoff_limit: i32,
    /// Pod run time.
    pub run_time: RunTime,
    /// The pod template.
    pub template: Pod,
    /// When the Job is created.
    pub created: SimTime,
}

/// A Job's progress.
#[derive(Clone, Debug, Default)]
pub struct JobStatus {
    /// Pods that succeeded.
    pub succeeded: i32,
    /// Pods that failed.
    pub failed: i32,
    /// Active pods (pending or running, not terminating).
    pub active: Vec<crate::model::PodId>,
    /// No new pod before this time (failure backoff), ms.
    pub not_before_ms: i64,
    /// `Complete` or `Failed` once finished.
    pub finished: Option<&'static str>,
}

impl Job {
    /// Pods to create now (upstream `manageJob`): `min(parallelism, completions − succeeded) −
    /// active`, none once finished or during a failure backoff.
    pub fn wanted(&self, st: &JobStatus, now_ms: i64) -> usize {
        if st.finished.is_some() || now_ms < st.not_before_ms {
            return 0;
        }
        let want = self.parallelism.min(self.completions - st.succeeded).max(0) as usize;
        want.saturating_sub(st.active.len())
    }

    /// Backoff after the `failed`-th failure: 10 s · 2^(failed−1), at most 10 min.
    pub fn backoff_ms(failed: i32) -> i64 {
        let exp = (failed - 1).clamp(0, 20) as u32;
        (BACKOFF_INITIAL_MS << exp).min(BACKOFF_MAX_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn run_times_parse_and_draw() {
        assert_eq!(RunTime::parse("10m"), Ok(RunTime::Fixed(600_000)));
        assert_eq!(RunTime::parse("exponential(90s)"), Ok(RunTime::Exponential(90_000)));
        assert_eq!(RunTime::parse("uniform(1m, 2m)"), Ok(RunTime::Uniform(60_000, 120_000)));
        assert!(RunTime::parse("uniform(2m,1m)").is_err());
        assert!(RunTime::parse("soon").unwrap_err().contains("exponential(MEAN)"));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let mean = (0..n).map(|_| RunTime::Exponential(60_000).draw(&mut rng)).sum::<i64>() / n;
        assert!((57_000..63_000).contains(&mean), "{mean}");
        let u = RunTime::Uniform(5, 7).draw(&mut rng);
        assert!((5..=7).contains(&u));
    }

    #[test]
    fn wanted_pods_respect_parallelism_completions_and_backoff() {
        let job = Job {
            namespace: "default".into(),
            name: "pi".into(),
            completions: 5,
            parallelism: 2,
            backoff_limit: 6,
            run_time: RunTime::Fixed(1),
            template: crate::model::simple_pod("pi", Default::default()),
            created: SimTime::ZERO,
        };
        let mut st = JobStatus::default();
        assert_eq!(job.wanted(&st, 0), 2);
        st.active = vec![1];
        assert_eq!(job.wanted(&st, 0), 1);
        st.succeeded = 4;
        st.active.clear();
        assert_eq!(job.wanted(&st, 0), 1, "only one completion left");
        st.not_before_ms = 10;
        assert_eq!(job.wanted(&st, 5), 0);
        assert_eq!(Job::backoff_ms(1), 10_000);
        assert_eq!(Job::backoff_ms(3), 40_000);
        assert_eq!(Job::backoff_ms(9), 600_000);
    }
}
