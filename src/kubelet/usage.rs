//! The usage model: what each container of a running pod uses, piecewise constant in virtual
//! time, drawn from the run's seeded usage stream. A rule gives, per resource, a ratio to the
//! container's request (or limit) drawn from a named distribution, re-drawn every change
//! interval, shaped by an optional diurnal curve and bursts; memory may also grow linearly (a
//! leak) from the container's start.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::time::SimTime;

/// A distribution of non-negative ratios.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always this value.
    Constant(f64),
    /// Uniform on [min, max].
    Uniform(f64, f64),
    /// Normal with (mean, standard deviation), negative draws clamped to 0.
    Normal(f64, f64),
    /// Log-normal with (median, sigma): `median · exp(sigma · N(0,1))`.
    LogNormal(f64, f64),
    /// One of these values, each equally likely.
    Empirical(Vec<f64>),
}

/// One standard normal draw (Box–Muller; `rand_distr` is not among capsim's crates).
pub fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    let u1 = 1.0 - u1; // (0, 1]
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl Dist {
    /// One draw, never negative.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        let x = match self {
            Dist::Constant(v) => *v,
            Dist::Uniform(a, b) => {
                let u: f64 = rng.random::<f64>();
                a + (b - a) * u
            }
            Dist::Normal(m, s) => m + s * standard_normal(rng),
            Dist::LogNormal(median, sigma) => median * (sigma * standard_normal(rng)).exp(),
            Dist::Empirical(values) => values[rng.random_range(0..values.len())],
        };
        x.max(0.0)
    }

    /// The mean of the distribution (used in docs and tests).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Uniform(a, b) => (a + b) / 2.0,
            Dist::Normal(m, _) => *m,
            Dist::LogNormal(median, sigma) => median * (sigma * sigma / 2.0).exp(),
            Dist::Empirical(v) => v.iter().sum::<f64>() / v.len() as f64,
        }
    }
}

/// What a ratio multiplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// The container's request (the scheduler's stand-in, 100m / 200Mi, when it has none).
    Request,
    /// The container's limit (its request when it has no limit).
    Limit,
}

/// Usage of one resource.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceUsage {
    /// What the ratio multiplies.
    pub base: Base,
    /// The ratio's distribution.
    pub dist: Dist,
    /// Linear growth from the container's start (memory leak), bytes (or millicores) per hour.
    pub growth_per_hour: f64,
}

/// A daily curve: usage × (1 + amplitude · cos(2π (t − peak) / 24h)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diurnal {
    /// Relative swing (0.3 = ±30 %).
    pub amplitude: f64,
    /// Time of day of the peak, ms.
    pub peak_ms: i64,
}

/// Occasional bursts: with `probability` per change interval, usage × `factor`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bursts {
    /// Chance per interval.
    pub probability: f64,
    /// Multiplier during a burst.
    pub factor: f64,
}

/// Bursts of CPU work (a request's worth of single- or few-threaded computation): every `every_ms`
/// from the pod's start, with `probability`, each container gets `cpu_time_ms` of CPU work that
/// runs on at most `threads` CPUs. Against a cpu limit, what the quota cannot run in the
/// current period waits for the following ones ([`super::cfs`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkBursts {
    /// Time between bursts, ms of virtual time (> 0).
    pub every_ms: i64,
    /// CPU time each burst needs, ms (one CPU for this long).
    pub cpu_time_ms: f64,
    /// Threads the burst runs on (≥ 1).
    pub threads: u32,
    /// Chance that a burst comes at each tick (1 = every tick).
    pub probability: f64,
}

/// Which pods a rule applies to; every given filter must hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsageMatch {
    /// Namespace.
    pub namespace: Option<String>,
    /// Labels the pod must carry.
    pub labels: std::collections::BTreeMap<String, String>,
    /// QoS class (`Guaranteed`, `Burstable`, `BestEffort`).
    pub qos_class: Option<String>,
}

/// One usage rule of the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRule {
    /// Which pods.
    pub matches: UsageMatch,
    /// CPU.
    pub cpu: ResourceUsage,
    /// Memory.
    pub memory: ResourceUsage,
    /// Daily curve (CPU only).
    pub diurnal: Option<Diurnal>,
    /// Bursts (CPU only).
    pub bursts: Option<Bursts>,
    /// Bursts of CPU work that carry over CFS periods.
    pub work_bursts: Option<WorkBursts>,
    /// Whether the rule gives `cpu` (else the pod's QoS default applies).
    pub cpu_given: bool,
    /// Whether the rule gives `memory` (else the pod's QoS default applies).
    pub memory_given: bool,
}

impl UsageRule {
    /// The default rule of a QoS class, when no scenario rule matches: Guaranteed pods use a
    /// constant 50 % of their cpu and 70 % of their memory request; Burstable and BestEffort a
    /// log-normal ratio to the request (cpu median 0.5, σ 0.5; memory median 0.8, σ 0.2).
    pub fn default_for(qos: crate::model::pod::QosClass) -> UsageRule {
        use crate::model::pod::QosClass;
        let (cpu, mem) = match qos {
            QosClass::Guaranteed => (Dist::Constant(0.5), Dist::Constant(0.7)),
            _ => (Dist::LogNormal(0.5, 0.5), Dist::LogNormal(0.8, 0.2)),
        };
        UsageRule {
            matches: UsageMatch::default(),
            cpu: ResourceUsage { base: Base::Request, dist: cpu, growth_per_hour: 0.0 },
            memory: ResourceUsage { base: Base::Request, dist: mem, growth_per_hour: 0.0 },
            diurnal: None,
            bursts: None,
            work_bursts: None,
            cpu_given: true,
            memory_given: true,
        }
    }

    /// Whether the rule applies to `pod`.
    pub fn applies(&self, pod: &crate::model::Pod) -> bool {
        let m = &self.matches;
        m.namespace.as_ref().is_none_or(|n| *n == pod.namespace)
            && m.labels.iter().all(|(k, v)| pod.labels.get(k) == Some(v))
            && m.qos_class.as_ref().is_none_or(|q| q == crate::model::pod::qos_class(pod).as_str())
    }
}

/// The base of `resource` for a container: its request or limit, with the scheduler's
/// non-zero stand-ins (100m cpu, 200Mi memory) when it has neither.
pub fn base_amount(base: Base, request: i64, limit: i64, stand_in: i64) -> i64 {
    let r = if request > 0 {
        request
    } else if limit > 0 {
        limit
    } else {
        stand_in
    };
    match base {
        Base::Request => r,
        Base::Limit => {
            if limit > 0 {
                limit
            } else {
                r
            }
        }
    }
}

/// The diurnal factor at `t`.
pub fn diurnal_factor(d: Option<Diurnal>, t: SimTime) -> f64 {
    match d {
        None => 1.0,
        Some(d) => {
            let day = 24 * 3_600_000i64;
            let phase = ((t.as_millis() - d.peak_ms).rem_euclid(day)) as f64 / day as f64;
            (1.0 + d.amplitude * (std::f64::consts::TAU * phase).cos()).max(0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn distributions_have_their_means() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 40_000;
        for d in [
            Dist::Uniform(0.2, 0.8),
            Dist::Normal(1.0, 0.1),
            Dist::LogNormal(0.6, 0.4),
            Dist::Empirical(vec![0.1, 0.3, 0.5]),
        ] {
            let mean = (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64;
            assert!((mean - d.mean()).abs() < 0.02 * d.mean().max(0.1), "{d:?}: {mean}");
        }
        assert_eq!(Dist::Constant(1.5).sample(&mut rng), 1.5);
        assert_eq!(Dist::Normal(-5.0, 0.0).sample(&mut rng), 0.0, "clamped at 0");
    }

    #[test]
    fn bases_fall_back_to_limits_then_stand_ins() {
        assert_eq!(base_amount(Base::Request, 500, 1000, 100), 500);
        assert_eq!(base_amount(Base::Limit, 500, 1000, 100), 1000);
        assert_eq!(base_amount(Base::Limit, 500, 0, 100), 500);
        assert_eq!(base_amount(Base::Request, 0, 0, 100), 100);
        assert_eq!(base_amount(Base::Request, 0, 800, 100), 800);
    }

    #[test]
    fn diurnal_curve_peaks_at_its_time_of_day() {
        let d = Some(Diurnal { amplitude: 0.5, peak_ms: 14 * 3_600_000 });
        assert!((diurnal_factor(d, SimTime(14 * 3_600_000)) - 1.5).abs() < 1e-9);
        assert!((diurnal_factor(d, SimTime(2 * 3_600_000)) - 0.5).abs() < 1e-9);
        assert!((diurnal_factor(d, SimTime(38 * 3_600_000)) - 1.5).abs() < 1e-9);
        assert_eq!(diurnal_factor(None, SimTime(5)), 1.0);
    }
}
