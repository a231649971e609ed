//! Pod generators: synthetic workloads drawn from the run's seeded workload stream, for scale
//! runs (issue 8's 1,000,000-pod day) and what-if studies without a trace.
//!
//! A generator creates `count` pods over a window: arrivals form a Poisson process conditioned
//! on `count` arrivals in the window (the arrival times are `count` sorted uniform draws over
//! it, generated one after the other) or are evenly spaced; each pod's shape (cpu and memory
//! requests, optional PriorityClass) is drawn by weight, and its lifetime (from creation to
//! deletion, as a trace's `deletion_time`) from a distribution. Pods are made one at a time as
//! the run reaches their arrival, so a million-pod generator costs no memory up front.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::model::pod::simple_pod;
use crate::model::{Pod, Resources};
use crate::time::RunTime;
use crate::time::SimTime;

/// How a generator spaces its arrivals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrivalProcess {
    /// A Poisson process with exactly `count` arrivals in the window: sorted uniform times.
    Poisson,
    /// Pod `n` arrives at `start + n · over / count`.
    Uniform,
}

/// A pod generator as a run uses it.
#[derive(Clone, Debug)]
pub struct PodGenerator {
    /// Pods are named `<name>-<n>`, n from 0.
    pub name: String,
    /// Pods to create.
    pub count: u64,
    /// First arrival window start.
    pub start: SimTime,
    /// Arrival window, ms.
    pub over_ms: i64,
    /// Arrival spacing.
    pub arrival: ArrivalProcess,
    /// Time from creation to deletion; `None`: never deleted.
    pub lifetime: Option<RunTime>,
    /// Pod templates with their cumulative weights (last = total).
    pub shapes: Vec<(f64, Pod)>,
}

impl PodGenerator {
    /// A template pod of `requests` (cpu in millicores, memory in bytes) in `namespace`.
    pub fn template(namespace: &str, requests: Resources) -> Pod {
        let mut pod = simple_pod("", requests);
        pod.namespace = namespace.to_string();
        pod.refresh_requests();
        pod
    }

    /// Virtual time of arrival `n` (counted from 0; called in order). `pos` carries the
    /// previous arrival's exact position in the window, 0–1, between calls (start it at 0).
    /// Uniform: `start + n · over / count`. Poisson: the next of `count` sorted uniform times,
    /// the minimum of the `count − n` still to come over the rest of the window, so every
    /// arrival falls inside the window and positions never drift with rounding.
    pub fn arrival(&self, n: u64, pos: &mut f64, rng: &mut ChaCha8Rng) -> SimTime {
        let count = self.count.max(1);
        match self.arrival {
            ArrivalProcess::Uniform => *pos = n as f64 / count as f64,
            ArrivalProcess::Poisson => {
                let left = count.saturating_sub(n).max(1) as f64;
                let v: f64 = rng.random::<f64>();
                *pos += (1.0 - *pos) * (1.0 - (1.0 - v).powf(1.0 / left));
            }
        }
        self.start.plus_millis((*pos * self.over_ms as f64).round() as i64)
    }

    /// A bound on a pod's lifetime for sizing a run, ms: the fixed or largest uniform value, or
    /// for an exponential its mean times `1 + ln(count)` (the expected largest of `count` draws).
    pub fn longest_lifetime_ms(&self) -> i64 {
        match self.lifetime {
            None => 0,
            Some(RunTime::Fixed(ms)) => ms,
            Some(RunTime::Uniform(_, b)) => b,
            Some(RunTime::Exponential(mean)) => {
                (mean as f64 * (1.0 + (self.count.max(1) as f64).ln())) as i64
            }
        }
    }

    /// Pod number `n`: its shape drawn by weight, then (when the generator has one) its
    /// lifetime, ms, both from `rng`.
    pub fn pod(&self, n: u64, rng: &mut ChaCha8Rng) -> (Pod, Option<i64>) {
        let total = self.shapes.last().map_or(0.0, |s| s.0);
        let x = rng.random::<f64>() * total;
        let k = self.shapes.iter().position(|(c, _)| x < *c).unwrap_or(self.shapes.len() - 1);
        let mut pod = self.shapes[k].1.clone();
        pod.name = format!("{}-{n}", self.name);
        let life = self.lifetime.map(|l| l.draw(rng));
        (pod, life)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn generator(arrival: ArrivalProcess) -> PodGenerator {
        let small = PodGenerator::template(
            "default",
            Resources { milli_cpu: 100, memory: 1 << 20, ..Default::default() },
        );
        let big = PodGenerator::template(
            "default",
            Resources { milli_cpu: 2000, memory: 1 << 30, ..Default::default() },
        );
        PodGenerator {
            name: "day".into(),
            count: 4,
            start: SimTime::from_secs(10),
            over_ms: 4000,
            arrival,
            lifetime: Some(RunTime::Fixed(60_000)),
            shapes: vec![(3.0, small), (4.0, big)],
        }
    }

    #[test]
    fn uniform_arrivals_are_evenly_spaced_from_the_start() {
        let g = generator(ArrivalProcess::Uniform);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut pos = 0.0;
        let times: Vec<i64> = (0..4).map(|n| g.arrival(n, &mut pos, &mut rng).0).collect();
        assert_eq!(times, vec![10_000, 11_000, 12_000, 13_000]);
    }

    #[test]
    fn shapes_follow_their_weights_and_pods_are_named_in_order() {
        let g = generator(ArrivalProcess::Poisson);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut big = 0;
        for n in 0..4000 {
            let (pod, life) = g.pod(n, &mut rng);
            assert_eq!(life, Some(60_000));
            big += usize::from(pod.requests.milli_cpu == 2000);
            if n == 3 {
                assert_eq!(pod.name, "day-3");
            }
        }
        // weight 1 of 4: 1,000 expected, sd ≈ 27
        assert!((900..1100).contains(&big), "{big}");
    }

    /// 100,000 arrivals over 10 s (mean gap 0.1 ms, below the clock's millisecond): in order,
    /// inside the window, spread over all of it (each tenth holds ~10 %).
    #[test]
    fn poisson_arrivals_fill_the_window_in_order() {
        let mut g = generator(ArrivalProcess::Poisson);
        g.count = 100_000;
        g.over_ms = 10_000;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut pos = 0.0;
        let times: Vec<i64> = (0..g.count).map(|n| g.arrival(n, &mut pos, &mut rng).0 - g.start.0).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times[0] >= 0 && *times.last().unwrap() <= 10_000);
        assert!(*times.last().unwrap() >= 9_990, "{}", times.last().unwrap());
        for tenth in 0..10 {
            let n = times.iter().filter(|t| (tenth * 1000..(tenth + 1) * 1000).contains(*t)).count();
            assert!((9_000..11_000).contains(&n), "tenth {tenth}: {n}");
        }
    }
}
