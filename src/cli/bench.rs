//! `capsim bench`.

use std::path::Path;

use super::Failure;

pub(super) fn cmd_bench(
    profile: Option<&Path>,
    baseline: Option<&Path>,
    save: Option<&Path>,
    scale: f64,
    repeat: usize,
    threshold: f64,
    only: &[String],
) -> Result<(), Failure> {
    use crate::experiment::bench::{
        COLUMNS, bench, bench_load, bench_run, build, compare, read, run_workloads, workloads,
    };
    if repeat == 0 {
        return Err(Failure::usage("--repeat 0: expected at least one timed repetition".into()));
    }
    if !(scale > 0.0 && scale <= 10.0) {
        return Err(Failure::usage(format!("--scale {scale}: expected a factor in (0, 10]")));
    }
    if !(0.0..1.0).contains(&threshold) {
        return Err(Failure::usage(format!("--threshold {threshold}: expected a share in [0, 1)")));
    }
    let config = match profile {
        Some(p) => crate::scenario::load_scheduler_config(p)?,
        None => crate::scheduler::framework::profile::SchedulerConfig::default_config(
            crate::scheduler::plugins::registry::in_tree(),
        ),
    };
    let base = baseline.map(read).transpose().map_err(Failure::usage)?;
    let all = workloads(scale);
    let runs = run_workloads();
    let names: Vec<&str> =
        all.iter().map(|w| w.name).chain(runs.iter().map(|w| w.name)).chain(["LoadPodDump"]).collect();
    if let Some(bad) = only.iter().find(|n| !names.contains(&n.as_str())) {
        return Err(Failure::usage(format!("--workloads {bad:?}: expected one of {}", names.join(", "))));
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|n| n == name);
    println!(
        "capsim bench: {} profile(s) × {{default, 100}} percentageOfNodesToScore, scale {scale}, best and median of {repeat} on one thread",
        config.profiles.len()
    );
    println!(
        "  {:<26} {:<28} {:>6} {:>7} {:>10} {:>10} {:>7} {:>6} {:>8}  plugin share",
        "workload", "profile", "nodes", "pods", "pods/s", "median", "cpu", "used", "rss MiB"
    );
    let mut rows = Vec::new();
    let print = |r: &crate::experiment::bench::BenchRow| {
        println!(
            "  {:<26} {:<28} {:>6} {:>7} {:>10} {:>10} {:>7.3} {:>6} {:>8}  {}",
            r.workload,
            r.profile,
            r.nodes,
            r.pods,
            r.pods_per_s,
            r.pods_per_s_median,
            r.cpu_allocated,
            r.nodes_used,
            r.peak_rss_mib,
            r.plugin_share
        )
    };
    // Each profile as given and with percentageOfNodesToScore forced to 100.
    let variants: Vec<_> = config
        .profiles
        .iter()
        .flat_map(|p| {
            let mut full = p.clone();
            full.percentage_of_nodes_to_score = Some(100);
            full.scheduler_name = format!("{}@100", p.scheduler_name);
            [p.clone(), full]
        })
        .collect();
    for w in all.iter().filter(|w| wanted(w.name)) {
        let built = build(w);
        for prof in &variants {
            let r = bench(w, &built, prof, repeat)?;
            print(&r);
            rows.push(r);
        }
    }
    // Whole runs of bundled scenarios, at their own size only.
    for w in runs.iter().filter(|w| wanted(w.name) && (!w.on_request || only.iter().any(|n| n == w.name))) {
        let path = Path::new("workloads").join(w.scenario);
        if scale != 1.0 || !path.exists() {
            let why = if scale != 1.0 { "runs at scale 1 only" } else { "run from the repository root" };
            println!("  {:<26} skipped: {} ({why})", w.name, path.display());
            continue;
        }
        let sc = crate::scenario::load(&path)?;
        for prof in &variants {
            let r = bench_run(w, &sc, prof)?;
            print(&r);
            rows.push(r);
        }
    }
    // Loading a `kubectl get pods -A -o yaml` dump (100,000 Pods at scale 1).
    if wanted("LoadPodDump") {
        let pods = ((100_000.0 * scale).round() as usize).max(1);
        let r = bench_load(pods, (pods / 50).max(1))?;
        print(&r);
        rows.push(r);
    }
    if let Some(path) = save {
        crate::report::write_rows(&rows, &COLUMNS, path)?;
        println!("  saved: {}", path.display());
    }
    if let Some(base) = base {
        let found = compare(&rows, &base, threshold);
        if !found.is_empty() {
            for r in &found {
                eprintln!("capsim: regression: {r}");
            }
            return Err(Failure {
                code: 3,
                error: anyhow::anyhow!("{} regression(s) against the baseline", found.len()),
            });
        }
        println!("  no regression against the baseline (threshold {:.0}%)", threshold * 100.0);
    }
    Ok(())
}
