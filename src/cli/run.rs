//! `capsim run`.

use std::path::{Path, PathBuf};

use super::Failure;
use crate::report::write_results;
use crate::sim::engine::run_observed;

pub(super) fn cmd_run(
    scenario: &Path,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
) -> Result<(), Failure> {
    let sc = super::load_scenario(scenario, quiet)?;
    let seed = seed.unwrap_or(sc.seed);
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(format!("{}-seed{seed}", sc.name)));
    // Refuse an unusable --out before spending time on the run.
    crate::report::check_replaceable(&out, crate::report::RUN_KIND)?;
    let progress = super::progress::Progress::run(sc.horizon, quiet);
    let result = run_observed(&sc, seed, &|now, events| progress.observe(now, events))?;
    progress.finish();
    // Writing merges the finished pods back from disk: minutes for a 10,000,000-pod week.
    let writing = super::progress::Progress::spinner(&format!("writing {}", out.display()), quiet);
    let summary = write_results(&result, &sc.text, &out)?;
    writing.finish();
    if !quiet {
        println!("capsim run {} (seed {seed})", scenario.display());
        println!(
            "  nodes {}  pods created {} of {}: scheduled {}, bound by nodeName {}, never scheduled {}, deleted while pending {}",
            summary.nodes,
            summary.pods_created,
            summary.pods_total,
            summary.pods_scheduled,
            summary.pods_bound_by_node_name,
            summary.pods_never_scheduled,
            summary.pods_deleted_while_pending
        );
        if summary.pods_preempted + summary.pods_rejected_by_kubelet > 0 || summary.preemptions > 0 {
            println!(
                "  preempted {} (victims asked to leave {}), rejected by the kubelet after a race {}",
                summary.pods_preempted, summary.preemptions, summary.pods_rejected_by_kubelet
            );
        }
        if summary.node_failures + summary.pods_evicted + summary.pods_rejected > 0 {
            println!(
                "  node failures {}, evicted {} ({}), rejected at admission {}{}; lost pod → replacement bound p50 {}s p99 {}s",
                summary.node_failures,
                summary.pods_evicted,
                summary.evictions_by_reason,
                summary.pods_rejected,
                if summary.rejections_by_reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", summary.rejections_by_reason)
                },
                summary.replacement_p50_s,
                summary.replacement_p99_s
            );
        }
        if summary.oom_kills + summary.restarts + summary.pressure_evictions > 0
            || summary.throttled_cpu_s > 0.0
        {
            println!(
                "  runtime: OOM kills {}, container restarts {}, memory-pressure evictions {}, throttled cpu {:.0}s (p99 over pods of the fraction of CFS periods throttled: {:.3})",
                summary.oom_kills,
                summary.restarts,
                summary.pressure_evictions,
                summary.throttled_cpu_s,
                summary.throttled_fraction_p99
            );
        }
        if summary.pods_scheduled == 0 {
            println!(
                "  pending: no pod was scheduled (percentiles n/a); longest wait of a never-scheduled pod {}s",
                summary.unscheduled_wait_max_s
            );
        } else {
            println!(
                "  pending (scheduled pods) p50 {}s  p90 {}s  p99 {}s  max {}s; longest wait of a never-scheduled pod {}s",
                summary.pending_p50_s,
                summary.pending_p90_s,
                summary.pending_p99_s,
                summary.pending_max_s,
                summary.unscheduled_wait_max_s
            );
        }
        println!(
            "  allocated mean/peak  cpu {:.3}/{:.3}  memory {:.3}/{:.3}  gpu {:.3}/{:.3}",
            summary.cpu_allocated_mean,
            summary.cpu_allocated_peak,
            summary.memory_allocated_mean,
            summary.memory_allocated_peak,
            summary.gpu_allocated_mean,
            summary.gpu_allocated_peak
        );
        println!(
            "  {} events, {} scheduling cycles in {:.2}s wall ({:.0} events/s); virtual end {}s",
            summary.events,
            summary.scheduling_cycles,
            result.wall.as_secs_f64(),
            summary.events as f64 / result.wall.as_secs_f64().max(1e-9),
            summary.virtual_end_s
        );
        for n in &result.notes {
            println!("  note: {n}");
        }
        println!("  results: {}", out.display());
    }
    Ok(())
}
