//! The command line: clap commands (`args.rs`), resolved into runs by one file per command
//! (`run`, `compare`, `plan`, `bench`); the only place that prints and uses `anyhow`. Exit codes: 0 success, 2 bad input (file, line and field named), 1 internal error.

use std::io::Write;
use std::path::Path;

mod args;
mod bench;
mod compare;
mod plan;
mod progress;
mod run;
mod validate;

pub use args::{Cli, Command, Repro};

use crate::error::{InputError, SimError};
use crate::scenario::LoadedScenario;

/// A CLI failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// 2 for bad input, 1 otherwise.
    pub code: i32,
    /// What to print.
    pub error: anyhow::Error,
}

impl Failure {
    /// A bad command-line argument (exit code 2).
    fn usage(message: String) -> Self {
        Failure { code: 2, error: anyhow::anyhow!(message) }
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure { code: 2, error: e.into() }
    }
}

impl From<SimError> for Failure {
    fn from(e: SimError) -> Self {
        // Bad input and an unusable --out are the user's to fix (2); anything else is a bug (1).
        let code = if matches!(e, SimError::Input(_) | SimError::Output { .. }) { 2 } else { 1 };
        Failure { code, error: e.into() }
    }
}

/// Loads a scenario, with a spinner on a terminal while it reads (big inputs take seconds);
/// nothing with `quiet`.
pub(super) fn load_scenario(path: &Path, quiet: bool) -> Result<LoadedScenario, InputError> {
    let reading = progress::Progress::spinner(&format!("reading {}", path.display()), quiet);
    let sc = crate::scenario::load(path);
    reading.finish();
    sc
}

fn load(path: &Path) -> Result<LoadedScenario, InputError> {
    load_scenario(path, false)
}

/// On SIGINT or SIGTERM, removes the temporary results folders being written and exits with
/// 128 + the signal (130, 143), as a shell reports a process ended by it.
fn remove_temporary_folders_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            crate::report::remove_temporary_folders();
            eprintln!("capsim: interrupted; its temporary results folder is removed");
            std::process::exit(128 + sig);
        }
    });
}

/// Runs the parsed command line.
///
/// # Errors
/// A [`Failure`] carrying the exit code and the message.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    remove_temporary_folders_on_signal();
    match cli.command {
        Command::Run { scenario, seed, out, quiet } => run::cmd_run(&scenario, seed, out, quiet),
        Command::Schedule { file, preemption } => {
            let input = crate::experiment::schedule::load(&file)?;
            let mut out = std::io::stdout().lock();
            for d in crate::experiment::schedule::schedule_all(input, preemption) {
                let line = serde_json::to_string(&d).map_err(|e| Failure { code: 1, error: e.into() })?;
                if writeln!(out, "{line}").is_err() {
                    break; // closed pipe (e.g. `| head`): stop quietly
                }
            }
            Ok(())
        }
        Command::Explain { scenario, pod, at, seed, top, json } => {
            let sc = load(&scenario)?;
            let at = crate::scenario::parse_duration(&at, Path::new("--at"), "", "--at")?;
            let e = crate::experiment::explain::explain(&sc, seed.unwrap_or(sc.seed), &pod, at)?;
            if json {
                let line =
                    serde_json::to_string(&e.decision).map_err(|e| Failure { code: 1, error: e.into() })?;
                println!("{line}");
            } else {
                print!("{}", crate::experiment::explain::render(&e, top));
            }
            Ok(())
        }
        Command::Compare {
            scenario,
            profiles,
            seeds,
            out,
            shard,
            quiet,
            until_decided,
            metric,
            max_seeds,
        } => {
            let until = until_decided.then_some((metric, max_seeds));
            compare::cmd_compare(&scenario, &profiles, seeds, out, shard, until, quiet)
        }
        Command::Plan { scenario, node_types, slo, seeds, confidence, exhaustive, out, quiet } => {
            plan::cmd_plan(&scenario, &node_types, &slo, seeds, confidence, exhaustive, out, quiet)
        }
        Command::Bench { profile, baseline, save, scale, repeat, threshold, workloads } => bench::cmd_bench(
            profile.as_deref(),
            baseline.as_deref(),
            save.as_deref(),
            scale,
            repeat,
            threshold,
            &workloads,
        ),
        Command::Repro { study: Repro::Fgd { scenario, traces, seeds, out, quiet } } => {
            plan::cmd_repro_fgd(&scenario, &traces, &seeds, out, quiet)
        }
        Command::Merge { dirs, out } => {
            crate::experiment::compare::merge(&dirs, &out).map_err(|e| match e {
                crate::experiment::compare::MergeError::Sim(e) => Failure::from(e),
                crate::experiment::compare::MergeError::Bad(m) => Failure::usage(m),
            })?;
            println!("merged {} shard folders into {}", dirs.len(), out.display());
            Ok(())
        }
        Command::Validate { scenario } => validate::cmd_validate(&scenario),
    }
}

/// `I/N` (or `/N` with `I` from `JOB_COMPLETION_INDEX`).
pub(super) fn parse_shard(s: &str) -> Result<(usize, usize), Failure> {
    let bad = || {
        Failure::usage(format!(
            "--shard {s:?}: expected I/N with 0 <= I < N (or /N with JOB_COMPLETION_INDEX set)"
        ))
    };
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    let i: usize = if i.trim().is_empty() {
        std::env::var("JOB_COMPLETION_INDEX").map_err(|_| bad())?.trim().parse().map_err(|_| bad())?
    } else {
        i.trim().parse().map_err(|_| bad())?
    };
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// `A..B` (inclusive) or `a,b,c`.
pub(super) fn parse_seeds(s: &str) -> Result<Vec<u64>, Failure> {
    let bad =
        || Failure::usage(format!("--seeds {s:?}: expected A..B (inclusive) or a comma-separated list"));
    let seeds: Vec<u64> = if let Some((a, b)) = s.split_once("..") {
        let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
        if b < a || b - a >= 10_000 {
            return Err(bad());
        }
        (a..=b).collect()
    } else {
        s.split(',').map(|x| x.trim().parse().map_err(|_| bad())).collect::<Result<_, _>>()?
    };
    if seeds.is_empty() { Err(bad()) } else { Ok(seeds) }
}
