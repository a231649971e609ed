//! Progress of long commands on stderr, with `indicatif`: a bar (or spinner) with what is done
//! and the ETA on a terminal; plain lines at most every 10 s (and at the end) otherwise; nothing
//! with `--quiet`. Progress never goes to stdout, so piped results stay clean.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::time::SimTime;

/// How progress is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Quiet,
    Bar,
    Lines,
}

fn mode(quiet: bool) -> Mode {
    if quiet {
        Mode::Quiet
    } else if std::io::stderr().is_terminal() {
        Mode::Bar
    } else {
        Mode::Lines
    }
}

/// A progress reporter; [`Progress::tick`] and [`Progress::observe`] are safe from rayon's
/// threads.
pub struct Progress {
    what: String,
    mode: Mode,
    bar: ProgressBar,
    started: Instant,
    /// When the last plain line was written (without a terminal).
    last_line: Mutex<Instant>,
    /// A run's virtual horizon.
    horizon: Option<SimTime>,
}

impl Progress {
    fn with(what: &str, mode: Mode, bar: ProgressBar) -> Self {
        let now = Instant::now();
        Progress {
            what: what.to_string(),
            mode,
            bar,
            started: now,
            last_line: Mutex::new(now),
            horizon: None,
        }
    }

    fn bar(mode: Mode, len: Option<u64>, template: &str) -> ProgressBar {
        if mode != Mode::Bar {
            return ProgressBar::hidden();
        }
        let bar = match len {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("#>-"));
        }
        bar
    }

    /// A reporter for `total` items named `what` (e.g. `runs`; total 0: an open-ended count);
    /// silent when `quiet`.
    pub fn new(what: &str, total: usize, quiet: bool) -> Self {
        let mode = mode(quiet);
        let bar = if total > 0 {
            Self::bar(mode, Some(total as u64), "[{bar:30}] {pos}/{len} {msg} {elapsed} elapsed, ETA {eta}")
        } else {
            Self::bar(mode, None, "{spinner} {pos} {msg} done, {elapsed} elapsed")
        };
        bar.set_message(what.to_string());
        Self::with(what, mode, bar)
    }

    /// A reporter for one run in virtual time up to `horizon` (`None`: until the workload ends,
    /// an open-ended spinner), fed by [`Progress::observe`].
    pub fn run(horizon: Option<SimTime>, quiet: bool) -> Self {
        let mode = mode(quiet);
        let bar = match horizon {
            Some(h) => Self::bar(
                mode,
                Some((h.as_millis() / 1000).max(1) as u64),
                "[{bar:30}] virtual {msg}, {elapsed} elapsed, ETA {eta}",
            ),
            None => Self::bar(mode, None, "{spinner} virtual {msg}, {elapsed} elapsed"),
        };
        let mut p = Self::with("virtual time", mode, bar);
        p.horizon = horizon;
        if let Some(h) = horizon {
            p.bar.set_message(format!("0s of {}", crate::time::human(h)));
        }
        p
    }

    /// A spinner while `what` happens (reading a big input); cleared by [`Progress::finish`].
    pub fn spinner(what: &str, quiet: bool) -> Self {
        let mode = mode(quiet);
        let bar = Self::bar(mode, None, "{spinner} {msg} ({elapsed})");
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Self::with(what, mode, bar)
    }

    /// One item done.
    pub fn tick(&self) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Bar => self.bar.inc(1),
            Mode::Lines => {
                let done = self.bar.position() + 1;
                self.bar.set_position(done);
                let total = self.bar.length().unwrap_or(0);
                let line = if total == 0 {
                    format!("{done} {} done", self.what)
                } else {
                    let elapsed = self.started.elapsed().as_secs_f64();
                    let eta = elapsed / done as f64 * total.saturating_sub(done) as f64;
                    format!("{}/{total} {} done, ETA {eta:.0}s", done.min(total), self.what)
                };
                self.line(&line, total > 0 && done >= total);
            }
        }
    }

    /// The run reached virtual time `now` after `events` events.
    pub fn observe(&self, now: SimTime, events: u64) {
        let at = crate::time::human(now);
        let msg = match self.horizon {
            Some(h) => format!("{at} of {}, {events} events", crate::time::human(h)),
            None => format!("{at}, {events} events"),
        };
        match self.mode {
            Mode::Quiet => {}
            Mode::Bar => {
                self.bar.set_position((now.as_millis() / 1000).max(0) as u64);
                self.bar.set_message(msg);
            }
            Mode::Lines => self.line(&format!("virtual {msg}"), false),
        }
    }

    /// A plain line, at most every 10 s unless `last`.
    fn line(&self, text: &str, last: bool) {
        let mut at = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
        if !last && at.elapsed() < Duration::from_secs(10) {
            return;
        }
        *at = Instant::now();
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "  {text}, {elapsed:.0}s elapsed");
        let _ = err.flush();
    }

    /// Ends the display (a bar or spinner is cleared from the terminal).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}
