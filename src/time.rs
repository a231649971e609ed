//! Virtual time.

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
