//! Results folders: `pods.csv`, `timeseries.csv`, `summary.csv`, `profiles.csv`, `events.csv`,
//! `daemonsets.csv` and `failures.csv` (when the run has DaemonSets or node failures),
//! `summary.json`, `timing.csv`, `report.html` with its `charts/` (SVG and PNG) and a copy of
//! the scenario, written to a temporary folder and renamed into place only when
//! complete, so a failed run never leaves a half-written result.

use std::fs;
use std::path::Path;

use serde::Serialize;

pub mod charts;
pub mod digest;
pub mod folder;
pub mod html;
pub mod plot;
pub mod run_report;
pub mod summary;
pub mod tally;

pub use folder::{MARKER, check_replaceable, remove_temporary_folders, write_folder};
pub use summary::{
    GROUP_COLUMNS, GroupPending, ProfileSummary, RuntimeSummary, SIZE_CLASSES, Summary, Timing, size_class,
    summarize, summarize_groups, summarize_profiles, summarize_runtime,
};
pub use tally::{PodTally, tally};

use crate::error::SimError;
use crate::metrics::RunResult;
use crate::metrics::round6;
use crate::time::secs;

fn out_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

#[derive(Serialize)]
struct PodRow<'a> {
    namespace: &'a str,
    name: &'a str,
    priority: i32,
    scheduler: &'a str,
    created_s: String,
    scheduled_s: String,
    deleted_s: String,
    pending_s: String,
    node: &'a str,
    outcome: &'static str,
    attempts: u32,
    last_unschedulable_reason: &'a str,
    terminating_s: String,
    owner: &'a str,
    oom_kills: u32,
    restarts: u32,
    throttled_cpu_s: String,
    throttled_fraction: String,
    throttled_periods: u64,
    cpu_shortfall_s: String,
    gpu_milli: String,
    gpu_devices: String,
}

/// Columns of `pods.csv`, in `PodRow` field order.
const POD_COLUMNS: [&str; 22] = [
    "namespace",
    "name",
    "priority",
    "scheduler",
    "created_s",
    "scheduled_s",
    "deleted_s",
    "pending_s",
    "node",
    "outcome",
    "attempts",
    "last_unschedulable_reason",
    "terminating_s",
    "owner",
    "oom_kills",
    "restarts",
    "throttled_cpu_s",
    "throttled_fraction",
    "throttled_periods",
    "cpu_shortfall_s",
    "gpu_milli",
    "gpu_devices",
];

/// Columns of `timeseries.csv`, in [`crate::metrics::Sample`] field order.
pub const SAMPLE_COLUMNS: [&str; 21] = [
    "time_s",
    "nodes",
    "pods_running",
    "pods_pending",
    "cpu_allocated",
    "memory_allocated",
    "gpu_allocated",
    "pods_created",
    "pods_succeeded",
    "pods_failed",
    "pods_rejected",
    "nodes_not_ready",
    "cpu_used",
    "memory_used",
    "nodes_memory_pressure",
    "pods_crash_looping",
    "nodes_used",
    "cpu_allocated_stddev",
    "cpu_allocated_node_min",
    "cpu_allocated_node_max",
    "cpu_fragmented",
];

/// A CSV writer whose header is written even when no row follows.
fn csv_with_header(path: &Path, header: &[&str]) -> Result<csv::Writer<fs::File>, SimError> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_path(path).map_err(|e| out_err(path, e))?;
    w.write_record(header).map_err(|e| out_err(path, e))?;
    Ok(w)
}

/// Writes `pods.csv`: one row per pod in creation (id) order, the finished pods read back
/// from their temporary files and merged with the ones alive at the end.
fn write_pods(r: &RunResult, path: &Path) -> Result<(), SimError> {
    let mut w = csv_with_header(path, &POD_COLUMNS)?;
    let opt = |v: Option<i64>| v.map(secs).unwrap_or_default();
    for p in r.pods() {
        let p = p?;
        let (rec, pod) = (&p.record, &p.facts);
        let pending = match (rec.created_ms, rec.scheduled_ms) {
            (Some(c), Some(s)) => secs(s - c),
            _ => String::new(),
        };
        w.serialize(PodRow {
            namespace: &pod.namespace,
            name: &pod.name,
            priority: pod.priority,
            scheduler: &pod.scheduler_name,
            created_s: opt(rec.created_ms),
            scheduled_s: opt(rec.scheduled_ms),
            deleted_s: opt(rec.deleted_ms),
            pending_s: pending,
            node: rec.node.map(|n| r.cluster.node(n).node.name.as_str()).unwrap_or(""),
            outcome: rec.outcome.as_str(),
            attempts: rec.attempts,
            last_unschedulable_reason: &rec.last_reason,
            terminating_s: opt(rec.terminating_ms),
            owner: &rec.owner,
            oom_kills: rec.runtime.oom_kills,
            restarts: rec.runtime.restarts,
            throttled_cpu_s: fmt6(rec.runtime.throttled_cpu_s),
            throttled_fraction: fmt6(rec.runtime.throttled_fraction),
            throttled_periods: rec.runtime.throttled_periods,
            cpu_shortfall_s: fmt6(rec.runtime.cpu_shortfall_s),
            gpu_milli: pod.gpu_milli.map(|g| g.to_string()).unwrap_or_default(),
            gpu_devices: rec.gpus.iter().map(u8::to_string).collect::<Vec<_>>().join(";"),
        })
        .map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// A number rounded to 6 decimals, empty for 0 (most pods of most runs).
fn fmt6(x: f64) -> String {
    if x == 0.0 { String::new() } else { round6(x).to_string() }
}

pub(crate) fn write_rows<T: Serialize>(rows: &[T], header: &[&str], path: &Path) -> Result<(), SimError> {
    let mut w = csv_with_header(path, header)?;
    for row in rows {
        w.serialize(row).map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// `summary.csv`: one `metric,value` row per summary field, in field order.
fn write_summary_csv(s: &Summary, path: &Path) -> Result<(), SimError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| out_err(path, e))?;
    w.write_record(["metric", "value"]).map_err(|e| out_err(path, e))?;
    let (header, record) = summary_record(s).map_err(|e| out_err(path, e))?;
    for (key, v) in header.iter().zip(record.iter()) {
        w.write_record([key, v]).map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// A summary as (field names, values) in the struct's field order (the csv serializer walks
/// it; serde_json's map would sort the names).
///
/// # Errors
/// A csv serialization error (a bug).
pub fn summary_record(s: &Summary) -> Result<(Vec<String>, Vec<String>), csv::Error> {
    record_of(s)
}

/// A serializable row as (header, values), as the csv crate writes it.
///
/// # Errors
/// A value that does not serialize as a flat record.
pub fn record_of<T: Serialize>(s: &T) -> Result<(Vec<String>, Vec<String>), csv::Error> {
    let mut row = csv::Writer::from_writer(Vec::new());
    row.serialize(s)?;
    let bytes = row.into_inner().map_err(|e| e.into_error())?;
    let mut rd = csv::Reader::from_reader(bytes.as_slice());
    let header = rd.headers()?.iter().map(String::from).collect();
    let record =
        rd.records().next().transpose()?.map(|r| r.iter().map(String::from).collect()).unwrap_or_default();
    Ok((header, record))
}

/// The kind of a `capsim run` results folder (see [`folder::MARKER`]).
pub const RUN_KIND: &str = "run";

/// Writes the results folder of `r` at `out` (replacing an older one), through a temporary
/// sibling folder renamed into place at the end. `scenario_text` is saved as `scenario.yaml`.
///
/// # Errors
/// [`SimError::Output`] when a file cannot be written; the temporary folder is removed.
pub fn write_results(r: &RunResult, scenario_text: &str, out: &Path) -> Result<Summary, SimError> {
    write_folder(out, RUN_KIND, |tmp| {
        let t = tally(r)?;
        let (summary, timing) = summarize(r, &t);
        write_pods(r, &tmp.join("pods.csv"))?;
        write_rows(&r.recorder.samples, &SAMPLE_COLUMNS, &tmp.join("timeseries.csv"))?;
        write_summary_csv(&summary, &tmp.join("summary.csv"))?;
        if !r.recorder.daemonsets.is_empty() {
            write_rows(
                &r.recorder.daemonsets,
                &["time_s", "daemonset", "desired", "current", "ready", "misscheduled"],
                &tmp.join("daemonsets.csv"),
            )?;
        }
        let runtime = summarize_runtime(&t);
        if !runtime.is_empty() {
            write_rows(
                &runtime,
                &[
                    "scheduler",
                    "qos_class",
                    "pods",
                    "oom_kills",
                    "restarts",
                    "pressure_evictions",
                    "throttled_cpu_s",
                    "throttled_fraction_p99",
                    "cpu_shortfall_s",
                ],
                &tmp.join("runtime.csv"),
            )?;
        }
        if !r.recorder.failures.is_empty() {
            write_rows(
                &r.recorder.failures,
                &[
                    "node",
                    "failed_s",
                    "recovered_s",
                    "pods_on_node",
                    "pods_evicted",
                    "replacements_scheduled",
                ],
                &tmp.join("failures.csv"),
            )?;
        }
        let events = tmp.join("events.csv");
        r.recorder.kube_events.write_csv(&events).map_err(|e| out_err(&events, e))?;
        write_rows(&summarize_groups(&t), &GROUP_COLUMNS, &tmp.join("groups.csv"))?;
        let profiles = summarize_profiles(&t);
        write_rows(
            &profiles,
            &[
                "scheduler",
                "pods_created",
                "pods_scheduled",
                "pods_never_scheduled",
                "pods_deleted_while_pending",
                "pods_preempted",
                "pods_rejected_by_kubelet",
                "pending_p50_s",
                "pending_p90_s",
                "pending_p99_s",
                "pending_max_s",
            ],
            &tmp.join("profiles.csv"),
        )?;
        write_rows(
            std::slice::from_ref(&timing),
            &["wall_seconds", "events_per_second", "cycles_per_second"],
            &tmp.join("timing.csv"),
        )?;
        let json = serde_json::json!({ "summary": &summary, "profiles": &profiles });
        let text = serde_json::to_string_pretty(&json).map_err(|e| out_err(tmp, e))?;
        fs::write(tmp.join("summary.json"), text + "\n").map_err(|e| out_err(tmp, e))?;
        fs::write(tmp.join("scenario.yaml"), scenario_text).map_err(|e| out_err(tmp, e))?;
        let extras = run_report::RunExtras {
            runtime: &runtime,
            runtime_series: &r.recorder.runtime_samples,
            daemonsets: &r.recorder.daemonsets,
            failures: &r.recorder.failures,
            evictions: &r.recorder.evictions,
        };
        run_report::write_run_report(tmp, &digest::digest_tallied(r, &t, true), &extras, scenario_text)?;
        Ok(summary)
    })
}
