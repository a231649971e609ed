//! The scheduler of a scenario (`spec.scheduler`): its KubeSchedulerConfiguration (built from the
//! in-tree plugin registry), or several racing scheduler processes, the cycle latency and the
//! tie-break rule.

use std::path::{Path, PathBuf};

use super::SchedulerProcess;
use super::fields::{field_err, parse_duration, read_text};
use crate::api::scenario as schema;
use crate::api::scheduler_config::KubeSchedulerConfiguration;
use crate::api::spans::field_line;
use crate::api::yaml::from_str_typed;
use crate::error::InputError;
use crate::scheduler::framework::profile::{SchedulerConfig, build};
use crate::scheduler::framework::runner::TieBreak;
use crate::scheduler::plugins::registry::in_tree;
use crate::time::SimTime;

/// Reads a KubeSchedulerConfiguration file and builds its validated profiles.
///
/// # Errors
/// Unreadable or malformed YAML, or a configuration upstream would reject (unknown plugin, bad
/// args, ...), naming the file, the line and the field path.
pub fn load_scheduler_config(path: &Path) -> Result<SchedulerConfig, InputError> {
    let text = read_text(path)?;
    let cfg: KubeSchedulerConfiguration = from_str_typed(&text, path)?;
    if cfg.kind != "KubeSchedulerConfiguration" {
        return Err(field_err(
            path,
            &text,
            "kind",
            format!("{:?}: expected KubeSchedulerConfiguration", cfg.kind),
        ));
    }
    build(&cfg, in_tree()).map_err(|e| InputError::Field {
        path: path.to_path_buf(),
        line: field_line(&text, 0, &e.field),
        field: e.field,
        message: e.message,
    })
}

/// The scheduler section resolved.
pub(super) struct SchedulerSetup {
    /// The configuration (with several processes: every process's profiles).
    pub scheduler: SchedulerConfig,
    /// The racing processes (empty: one process).
    pub processes: Vec<SchedulerProcess>,
    /// Virtual time one scheduling cycle of the single process takes.
    pub cycle_latency: SimTime,
    /// Tie-break rule among top-scored nodes.
    pub tie_break: TieBreak,
}

/// Reads `spec.scheduler`: the configuration file or the processes' files (into `inputs`), the
/// cycle latency and the tie-break rule.
pub(super) fn load_scheduler(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    base: &Path,
    inputs: &mut Vec<PathBuf>,
) -> Result<SchedulerSetup, InputError> {
    let scheduler = match &sc.spec.scheduler.config {
        None => SchedulerConfig::default_config(in_tree()),
        Some(c) => {
            let p = base.join(c);
            let cfg = load_scheduler_config(&p)?;
            inputs.push(p);
            cfg
        }
    };
    if !sc.spec.scheduler.processes.is_empty() && sc.spec.scheduler.config.is_some() {
        return Err(field_err(
            path,
            text,
            "spec.scheduler.processes",
            "give either config or processes, not both".into(),
        ));
    }
    let processes = load_processes(sc, path, text, base, inputs)?;
    let cycle_latency = match &sc.spec.scheduler.cycle_latency {
        None => SimTime::ZERO,
        Some(d) => parse_duration(d, path, text, "spec.scheduler.cycleLatency")?,
    };
    // With several processes, `scheduler` lists every process's profiles (for validate and
    // explain); the engine runs each process on its own.
    let scheduler = match processes.first() {
        Some(first) => {
            let mut all = first.scheduler.clone();
            for pr in &processes[1..] {
                all.profiles.extend(pr.scheduler.profiles.iter().cloned());
            }
            all
        }
        None => scheduler,
    };
    let tie_break = match sc.spec.scheduler.tie_break.as_deref() {
        None | Some("random") => TieBreak::Random,
        Some("first") => TieBreak::FirstNode,
        Some(other) => {
            return Err(field_err(
                path,
                text,
                "spec.scheduler.tieBreak",
                format!("{other:?}: expected random or first"),
            ));
        }
    };
    Ok(SchedulerSetup { scheduler, processes, cycle_latency, tie_break })
}

/// The scheduler processes of `spec.scheduler.processes`, their configuration files read (into
/// `inputs`) in order.
fn load_processes(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    base: &Path,
    inputs: &mut Vec<PathBuf>,
) -> Result<Vec<SchedulerProcess>, InputError> {
    let mut processes: Vec<SchedulerProcess> = Vec::new();
    for (i, pr) in sc.spec.scheduler.processes.iter().enumerate() {
        let p = base.join(&pr.config);
        let cfg = load_scheduler_config(&p)?;
        inputs.push(p);
        if processes.iter().any(|e: &SchedulerProcess| e.name == pr.name) {
            return Err(field_err(
                path,
                text,
                &format!("spec.scheduler.processes[{i}].name"),
                format!("two processes are named {:?}", pr.name),
            ));
        }
        for earlier in &processes {
            if let Some(dup) =
                cfg.profiles.iter().find(|x| earlier.scheduler.profile(&x.scheduler_name).is_some())
            {
                return Err(field_err(
                    path,
                    text,
                    &format!("spec.scheduler.processes[{i}]"),
                    format!(
                        "schedulerName {:?} is served by two processes ({} and {})",
                        dup.scheduler_name, earlier.name, pr.name
                    ),
                ));
            }
        }
        let informer_delay = match &pr.informer_delay {
            None => SimTime::ZERO,
            Some(d) => {
                parse_duration(d, path, text, &format!("spec.scheduler.processes[{i}].informerDelay"))?
            }
        };
        let cycle_latency = match &pr.cycle_latency {
            None => SimTime::ZERO,
            Some(d) => parse_duration(d, path, text, &format!("spec.scheduler.processes[{i}].cycleLatency"))?,
        };
        processes.push(SchedulerProcess {
            name: pr.name.clone(),
            scheduler: cfg,
            informer_delay,
            cycle_latency,
        });
    }
    Ok(processes)
}
