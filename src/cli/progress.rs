//! Progress of long commands on stderr: a redrawn bar with runs done and the ETA on a terminal,
//! plain lines at most every 10 s (and at the end) otherwise, nothing with `--quiet`. (The
//! `indicatif` crate was not installable offline; this is its minimal subset.)

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A progress reporter for `total` runs; [`Progress::tick`] is safe from rayon's threads.
pub struct Progress {
    what: String,
    state: Mutex<State>,
    mode: Mode,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Quiet,
    Bar,
    Lines,
}

struct State {
    total: usize,
    done: usize,
    started: Instant,
    last: Instant,
}

impl Progress {
    /// A reporter for `total` items named `what` (e.g. `runs`; total 0: an open-ended count);
    /// silent when `quiet`.
    pub fn new(what: &str, total: usize, quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        let now = Instant::now();
        Progress {
            what: what.to_string(),
            state: Mutex::new(State { total, done: 0, started: now, last: now }),
            mode,
        }
    }

    /// Ends an open-ended count (total 0) on a terminal with a newline.
    pub fn finish(&self) {
        if self.mode == Mode::Bar {
            let _ = writeln!(std::io::stderr());
        }
    }

    /// One item done.
    pub fn tick(&self) {
        if self.mode == Mode::Quiet {
            return;
        }
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.done += 1;
        let now = Instant::now();
        let total = s.total;
        let finished = total > 0 && s.done >= total;
        let due = match self.mode {
            Mode::Bar => now - s.last >= Duration::from_millis(100),
            _ => now - s.last >= Duration::from_secs(10),
        };
        if !(due || finished) {
            return;
        }
        s.last = now;
        let elapsed = (now - s.started).as_secs_f64();
        let eta = if s.done > 0 && total > s.done {
            elapsed / s.done as f64 * (total - s.done) as f64
        } else {
            0.0
        };
        let line = if total == 0 {
            format!("{} {} done, {:.0}s elapsed", s.done, self.what, elapsed)
        } else {
            format!(
                "{}/{} {} done, {:.0}s elapsed, ETA {:.0}s",
                s.done.min(total),
                total,
                self.what,
                elapsed,
                eta
            )
        };
        let mut err = std::io::stderr().lock();
        let _ = match self.mode {
            Mode::Bar if total == 0 => write!(err, "\r{line}  "),
            Mode::Bar => {
                let width = 30;
                let filled = (s.done * width).checked_div(total).unwrap_or(width).min(width);
                let bar = format!("{}{}", "#".repeat(filled), "-".repeat(width - filled));
                let end = if finished { "\n" } else { "" };
                write!(err, "\r[{bar}] {line}  {end}")
            }
            _ => writeln!(err, "  {line}"),
        };
        let _ = err.flush();
    }
}
