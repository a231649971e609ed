//! `capsim compare` and `capsim merge`.

use std::path::{Path, PathBuf};

use super::{Failure, parse_shard, progress};

pub(super) fn cmd_compare(
    scenario: &Path,
    profiles: &[String],
    seeds: u64,
    out: Option<PathBuf>,
    shard: Option<String>,
    until: Option<(String, u64)>,
    quiet: bool,
) -> Result<(), Failure> {
    use crate::experiment::compare::{Plan, run_all, run_jobs, with_profile, write_compare, write_shard};
    let sc = super::load_scenario(scenario, quiet)?;
    if seeds == 0 || seeds > 10_000 {
        return Err(Failure::usage(format!("--seeds {seeds}: must be between 1 and 10000")));
    }
    let mut variants = Vec::new();
    for p in profiles {
        variants.push(
            with_profile(&sc, &sc.scheduler, p).map_err(|m| Failure::usage(format!("--profiles: {m}")))?,
        );
    }
    let seed_list: Vec<u64> = (0..seeds).map(|k| sc.seed + k).collect();
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(format!("{}-compare", sc.name)));
    // Refuse bad flags and an unusable --out before spending time on runs.
    if let Some((metric, _)) = &until {
        if shard.is_some() {
            return Err(Failure::usage("--until-decided cannot be sharded".into()));
        }
        if !crate::experiment::compare::METRICS.iter().any(|m| m.name == metric) {
            let names: Vec<&str> = crate::experiment::compare::METRICS.iter().map(|m| m.name).collect();
            return Err(Failure::usage(format!("--metric {metric:?}: expected one of {}", names.join(", "))));
        }
    }
    if let Some(dup) = profiles.iter().enumerate().find(|(i, p)| profiles[..*i].contains(p)) {
        return Err(Failure::usage(format!("--profiles: {:?} is given twice", dup.1)));
    }
    let kind = if shard.is_some() {
        crate::experiment::compare::SHARD_KIND
    } else {
        crate::experiment::compare::COMPARE_KIND
    };
    crate::report::check_replaceable(&out, kind)?;
    let started = std::time::Instant::now();
    if !quiet {
        println!(
            "capsim compare {} ({} profiles × {} seeds = {} runs, {} threads)",
            scenario.display(),
            profiles.len(),
            seeds,
            profiles.len() as u64 * seeds,
            rayon::current_num_threads()
        );
    }
    let plan = Plan {
        scenario: sc.name.clone(),
        text: sc.text.clone(),
        profiles: profiles.to_vec(),
        seeds: seed_list.clone(),
    };
    if let Some(sh) = shard {
        let (index, count) = parse_shard(&sh)?;
        let jobs = plan.jobs();
        let mine: Vec<(usize, u64)> =
            jobs.iter().enumerate().filter(|(k, _)| k % count == index).map(|(_, j)| *j).collect();
        let progress = progress::Progress::new("runs", mine.len(), quiet);
        let runs = run_jobs(&variants, &mine, sc.seed, &|| progress.tick())?;
        write_shard(&out, &plan, index, count, &mine, &runs)?;
        if !quiet {
            println!(
                "  shard {index}/{count}: {} runs in {:.1}s; results: {}",
                mine.len(),
                started.elapsed().as_secs_f64(),
                out.display()
            );
        }
        return Ok(());
    }
    let mut plan = plan;
    let progress = progress::Progress::new("runs", variants.len() * seed_list.len(), quiet);
    let mut runs = run_all(&variants, &seed_list, sc.seed, &|| progress.tick())?;
    if let Some((metric, max)) = until {
        let decided = |runs: &[Vec<crate::report::digest::RunDigest>]| {
            crate::experiment::compare::compare_rows(profiles, runs)
                .iter()
                .filter(|r| r.metric == metric && r.group == "all" && !r.verdict.is_empty())
                .all(|r| r.verdict != "no difference detected" || (r.ci_low == 0.0 && r.ci_high == 0.0))
        };
        while !decided(&runs) && (plan.seeds.len() as u64) < max {
            let more = (plan.seeds.len() as u64).min(max - plan.seeds.len() as u64);
            let next: Vec<u64> = (0..more).map(|k| sc.seed + plan.seeds.len() as u64 + k).collect();
            let progress = progress::Progress::new("runs", variants.len() * next.len(), quiet);
            let extra = run_all(&variants, &next, sc.seed, &|| progress.tick())?;
            for (r, e) in runs.iter_mut().zip(extra) {
                r.extend(e);
            }
            plan.seeds.extend(next);
            if !quiet {
                println!("  {metric} undecided: {} seeds now", plan.seeds.len());
            }
        }
    }
    let rows = write_compare(&out, &plan, &runs)?;
    if !quiet {
        print_differences(&rows);
        println!(
            "  {} runs in {:.1}s; results: {}",
            profiles.len() * plan.seeds.len(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
    }
    Ok(())
}

/// Prints, per profile after the first, the paired differences that matter: pending p50, p90
/// and p99, pods never scheduled and pods deleted while pending always, every other metric when
/// its interval excludes 0. Numbers are rounded for reading; `compare.csv` keeps 6 decimals.
fn print_differences(rows: &[crate::experiment::compare::CompareRow]) {
    use crate::report::run_report::readable;
    let always = ["pods_never_scheduled", "pods_deleted_while_pending"];
    let shown: Vec<_> = rows
        .iter()
        .filter(|r| !r.verdict.is_empty() && r.group == "all")
        .filter(|r| {
            r.metric.starts_with("pending_p")
                || always.contains(&r.metric.as_str())
                || r.verdict != "no difference detected"
        })
        .collect();
    let width = shown.iter().map(|r| r.metric.len()).max().unwrap_or(0);
    let mut labels: Vec<&str> = Vec::new();
    for r in &shown {
        if !labels.contains(&r.profile.as_str()) {
            labels.push(&r.profile);
        }
    }
    for label in labels {
        println!("  paired difference {label}, mean over seeds [95 % interval]:");
        for r in shown.iter().filter(|r| r.profile == label) {
            println!(
                "    {:<width$}  {} [{}, {}] → {}",
                r.metric,
                readable(r.mean, true),
                readable(r.ci_low, false),
                readable(r.ci_high, false),
                r.verdict
            );
        }
    }
}
