//! The Job controller (mirrors kube-controller-manager's `pkg/controller/job` for NonIndexed
//! Jobs): runs up to `parallelism` pods until `completions` succeed, replacing failed pods
//! after a backoff (10 s, doubling, at most 10 min) until more than `backoffLimit`
//! have failed. A pod succeeds after its run time, drawn per pod. [`JobController`] holds each
//! Job's progress ([`JobStatus`]).

use crate::model::{Pod, PodId};
use crate::time::RunTime;
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
    pub fn wanted(&self, st: &JobStatus, now: SimTime) -> usize {
        if st.finished.is_some() || now.as_millis() < st.not_before_ms {
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

/// How a Job's pod ended, for its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodEnd {
    /// Its work is done.
    Succeeded,
    /// It failed (lost, evicted, rejected, or deleted while running).
    Failed,
    /// It went without counting (deleted by the Job, or while pending).
    Gone,
}

/// What one sync of a Job does ([`JobController::sync`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobSync {
    /// Not created yet, or finished: nothing.
    Nothing,
    /// Enough pods succeeded: the Job just completed.
    Completed,
    /// More than `backoffLimit` pods failed: the Job just failed; delete these active pods.
    Failed(Vec<PodId>),
    /// Create this many pods (maybe 0).
    Create(usize),
}

/// The Job controller's state: each Job's progress, by number in the run.
#[derive(Clone, Debug, Default)]
pub struct JobController {
    statuses: Vec<JobStatus>,
}

impl JobController {
    /// A controller for `n` Jobs, none started.
    pub fn new(n: usize) -> Self {
        JobController { statuses: vec![JobStatus::default(); n] }
    }

    /// Job `j`'s progress.
    pub fn status(&self, j: usize) -> &JobStatus {
        &self.statuses[j]
    }

    /// Pod `p` of Job `j` was created (admitted).
    pub fn pod_created(&mut self, j: usize, p: PodId) {
        self.statuses[j].active.push(p);
    }

    /// A container of a pod of Job `j` failed and restarts (restartPolicy OnFailure): it counts
    /// towards the backoffLimit.
    pub fn container_failed(&mut self, j: usize) {
        self.statuses[j].failed += 1;
    }

    /// Pod `p` of Job `j` ended at `now`. A failure starts a backoff: returns when it ends.
    pub fn pod_ended(&mut self, j: usize, p: PodId, how: PodEnd, now: SimTime) -> Option<SimTime> {
        let st = &mut self.statuses[j];
        st.active.retain(|q| *q != p);
        match how {
            PodEnd::Succeeded => {
                st.succeeded += 1;
                None
            }
            PodEnd::Failed => {
                st.failed += 1;
                st.not_before_ms = now.0 + Job::backoff_ms(st.failed);
                Some(SimTime(st.not_before_ms))
            }
            PodEnd::Gone => None,
        }
    }

    /// A sync of Job `j` (spec `job`) at `now` (upstream `syncJob`): finishes it when enough pods
    /// succeeded or too many failed, else says how many pods to create.
    pub fn sync(&mut self, j: usize, job: &Job, now: SimTime) -> JobSync {
        let st = &mut self.statuses[j];
        if now < job.created || st.finished.is_some() {
            return JobSync::Nothing;
        }
        if st.succeeded >= job.completions {
            st.finished = Some("Complete");
            return JobSync::Completed;
        }
        if st.failed > job.backoff_limit {
            st.finished = Some("Failed");
            return JobSync::Failed(st.active.clone());
        }
        JobSync::Create(job.wanted(st, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(job.wanted(&st, SimTime::ZERO), 2);
        st.active = vec![1];
        assert_eq!(job.wanted(&st, SimTime::ZERO), 1);
        st.succeeded = 4;
        st.active.clear();
        assert_eq!(job.wanted(&st, SimTime::ZERO), 1, "only one completion left");
        st.not_before_ms = 10;
        assert_eq!(job.wanted(&st, SimTime(5)), 0);
        assert_eq!(Job::backoff_ms(1), 10_000);
        assert_eq!(Job::backoff_ms(3), 40_000);
        assert_eq!(Job::backoff_ms(9), 600_000);
    }

    #[test]
    fn the_controller_completes_or_fails_jobs() {
        let job = Job {
            namespace: "default".into(),
            name: "pi".into(),
            completions: 1,
            parallelism: 1,
            backoff_limit: 1,
            run_time: RunTime::Fixed(1),
            template: crate::model::simple_pod("pi", Default::default()),
            created: SimTime(10),
        };
        let mut c = JobController::new(1);
        assert_eq!(c.sync(0, &job, SimTime(5)), JobSync::Nothing, "not created yet");
        assert_eq!(c.sync(0, &job, SimTime(10)), JobSync::Create(1));
        c.pod_created(0, 7);
        assert_eq!(c.pod_ended(0, 7, PodEnd::Failed, SimTime(20)), Some(SimTime(10_020)));
        assert_eq!(c.sync(0, &job, SimTime(30)), JobSync::Create(0), "backing off");
        c.pod_created(0, 8);
        c.container_failed(0);
        assert_eq!(c.sync(0, &job, SimTime(20_000)), JobSync::Failed(vec![8]));
        assert_eq!(c.sync(0, &job, SimTime(20_000)), JobSync::Nothing, "finished");
        let mut ok = JobController::new(1);
        ok.pod_created(0, 1);
        assert_eq!(ok.pod_ended(0, 1, PodEnd::Succeeded, SimTime(20)), None);
        assert_eq!(ok.sync(0, &job, SimTime(20)), JobSync::Completed);
        assert_eq!(ok.status(0).finished, Some("Complete"));
    }
}
