//! Virtual time: [`SimTime`], the CSV seconds format, and [`RunTime`], a drawn duration.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A point in virtual time, in integer milliseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub i64);

impl SimTime {
    /// The start of the run.
    pub const ZERO: SimTime = SimTime(0);

    /// The latest time an input may name: 100 years of virtual time. Inputs beyond it are
    /// rejected, so no time arithmetic can overflow.
    pub const MAX: SimTime = SimTime(100 * 365 * 24 * 3600 * 1000);

    /// `s` seconds after the start.
    pub const fn from_secs(s: i64) -> SimTime {
        SimTime(s * 1000)
    }

    /// Milliseconds since the start.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Seconds since the start, as a float (for output only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// This time plus `ms` milliseconds.
    pub const fn plus_millis(self, ms: i64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }
}

/// Seconds with millisecond precision, as written in CSVs (`12`, `12.5`, `0.001`).
pub fn secs(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        let s = format!("{}.{:03}", ms / 1000, (ms % 1000).abs());
        s.trim_end_matches('0').to_string()
    }
}

/// Whole seconds of virtual time for people (`3h 12m 5s`; `0s` at the start), for progress and
/// messages.
pub fn human(t: SimTime) -> String {
    humantime::format_duration(std::time::Duration::from_secs((t.as_millis() / 1000).max(0) as u64))
        .to_string()
}

/// A duration drawn per pod: how long a Job's pod runs, or a generated pod lives.
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn human_durations_read_as_people_write_them() {
        assert_eq!(human(SimTime(0)), "0s");
        assert_eq!(human(SimTime(11_525_999)), "3h 12m 5s");
        assert_eq!(human(SimTime::from_secs(86_400)), "1day");
    }

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
}
