//! `capsim plan` and `capsim repro fgd`.

use std::path::{Path, PathBuf};

use super::{Failure, parse_seeds, progress};

pub(super) fn cmd_repro_fgd(
    scenario: &Path,
    traces: &[String],
    seeds: &str,
    out: Option<PathBuf>,
    quiet: bool,
) -> Result<(), Failure> {
    use crate::experiment::fgd::{
        PAPER_TRACES, Trace, default_out, study, study_kind, trace_paths, write_study,
    };
    let seeds = parse_seeds(seeds)?;
    let sc = super::load_scenario(scenario, quiet)?;
    let (nodes, dir) = trace_paths(scenario, &sc.text)?;
    let names: Vec<String> = if traces.iter().any(|t| t == "paper") {
        PAPER_TRACES.iter().map(|t| t.to_string()).collect()
    } else {
        traces.to_vec()
    };
    let mut list = Vec::new();
    for n in &names {
        let path = dir.join(format!("openb_pod_list_{n}.csv"));
        if !path.exists() {
            return Err(Failure::usage(format!("--traces {n:?}: {} does not exist", path.display())));
        }
        list.push(Trace { name: n.clone(), path });
    }
    let out = out.unwrap_or_else(|| default_out(&names));
    crate::report::check_replaceable(&out, &study_kind(&names))?;
    let total = list.len() * sc.scheduler.profiles.len() * seeds.len();
    if !quiet {
        println!(
            "capsim repro fgd: {} trace(s) × {} policies × {} seeds = {total} runs ({} threads)",
            list.len(),
            sc.scheduler.profiles.len(),
            seeds.len(),
            rayon::current_num_threads()
        );
    }
    let started = std::time::Instant::now();
    let progress = progress::Progress::new("runs", total, quiet);
    let s = study(&nodes, &list, &sc.scheduler, &seeds, &|| progress.tick())?;
    let summary = write_study(&out, &s, &sc.text)?;
    if !quiet {
        print!("{summary}");
        println!("  {total} runs in {:.1}s; results: {}", started.elapsed().as_secs_f64(), out.display());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn cmd_plan(
    scenario: &Path,
    node_types: &Path,
    slo: &[String],
    seeds: u64,
    confidence: f64,
    exhaustive: bool,
    out: Option<PathBuf>,
    quiet: bool,
) -> Result<(), Failure> {
    use crate::experiment::plan::{Planner, describe, load_node_types, parse_slo, write_plan};
    let sc = super::load_scenario(scenario, quiet)?;
    let types = load_node_types(node_types)?;
    let slos: Vec<_> = slo.iter().map(|s| parse_slo(s)).collect::<Result<_, _>>().map_err(Failure::usage)?;
    if seeds == 0 || seeds > 1000 {
        return Err(Failure::usage(format!("--seeds {seeds}: must be between 1 and 1000")));
    }
    if !(confidence > 0.0 && confidence <= 1.0) {
        return Err(Failure::usage(format!(
            "--confidence {confidence}: expected a share of seeds in (0, 1]"
        )));
    }
    if !sc.dynamics.pools.is_empty() {
        let names: Vec<&str> = sc.dynamics.pools.iter().map(|p| p.name.as_str()).collect();
        return Err(Failure::usage(format!(
            "{}: plan replaces the scenario's nodes with each mix, but its pools ({}) add nodes that no mix would pay for; remove them",
            scenario.display(),
            names.join(", ")
        )));
    }
    let space: f64 = types.iter().map(|t| (t.max + 1) as f64).product();
    if exhaustive && space > 100_000.0 {
        return Err(Failure::usage(format!(
            "--exhaustive: {space} mixes within the types' max; lower `max` (at most 100000 mixes)"
        )));
    }
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(format!("{}-plan", sc.name)));
    crate::report::check_replaceable(&out, crate::experiment::plan::PLAN_KIND)?;
    let text = crate::api::input::read_text(node_types)?;
    let seed_list: Vec<u64> = (0..seeds).map(|k| sc.seed + k).collect();
    if !quiet {
        println!(
            "capsim plan {} ({} node types, {} SLOs, {} seeds per mix, {} threads)",
            scenario.display(),
            types.len(),
            slos.len(),
            seeds,
            rayon::current_num_threads()
        );
    }
    let started = std::time::Instant::now();
    let progress = progress::Progress::new("runs", 0, quiet);
    let tick = || progress.tick();
    let mut planner = Planner::new(&sc, &types, &slos, seed_list, confidence);
    planner.tick = &tick;
    let best = planner.search()?;
    if exhaustive {
        let found = best.clone();
        let all = planner.exhaustive()?;
        let same = match (&found, &all) {
            (Some(a), Some(b)) => a.cost_per_hour == b.cost_per_hour,
            (None, None) => true,
            _ => false,
        };
        if !quiet {
            println!(
                "  exhaustive: {} ({}) — the search {}",
                all.as_ref().map_or("none".into(), |b| describe(&types, &b.counts)),
                all.as_ref().map_or("-".into(), |b| format!("{}/h", b.cost_per_hour)),
                if same { "agrees" } else { "DISAGREES" }
            );
        }
    }
    progress.finish();
    let rec = write_plan(&out, &planner, &types, &slos, &text, best.as_ref())?;
    if !quiet {
        for line in rec.lines() {
            println!("  {line}");
        }
        println!("  {:.1}s; results: {}", started.elapsed().as_secs_f64(), out.display());
    }
    Ok(())
}
