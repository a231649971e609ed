//! The command line: clap commands, resolved into runs; the only place that prints and uses
//! `anyhow`. Exit codes: 0 success, 2 bad input (file, line and field named), 1 internal error.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

mod progress;

use crate::error::{InputError, SimError};
use crate::report::write_results;

use crate::scenario::load;
use crate::sim::engine::run;

/// capsim: a discrete-event Kubernetes cluster-capacity simulator that schedules as
/// kube-scheduler v1.35 does.
#[derive(Debug, Parser)]
#[command(name = "capsim", version, about)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// capsim's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario once and write a results folder.
    Run {
        /// The scenario file (e.g. workloads/openb-default.yaml).
        scenario: PathBuf,
        /// Seed of the run (default: the scenario's `spec.seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Results folder (default: results/<scenario>-seed<N>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Schedule the pending Pods of one multi-document YAML (a KubeSchedulerConfiguration, other
    /// objects, Nodes, then Pods in arrival order) one by one and print one JSON line per pending
    /// Pod: per-node feasibility and reasons, per-plugin weighted scores, totals, the bound node
    /// (the first top-scoring node in input order).
    Schedule {
        /// The YAML file.
        file: PathBuf,
        /// Also run PostFilter (DefaultPreemption) for pods that fit nowhere: print its verdict,
        /// nominated node and victims, remove the victims and bind the pod there.
        #[arg(long)]
        preemption: bool,
    },
    /// Explain one pod at one virtual time: run the scenario up to then, and show every node's
    /// Filter verdict, each plugin's score and the outcome of a cycle for the pod.
    Explain {
        /// The scenario file.
        scenario: PathBuf,
        /// The pod, `namespace/name`.
        #[arg(long)]
        pod: String,
        /// Virtual time, as a duration since the start (`90s`, `2h`, `3d4h`).
        #[arg(long)]
        at: String,
        /// Seed of the run (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// How many top-scoring nodes to list.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Print the decision as one JSON line (the `schedule` format) instead.
        #[arg(long)]
        json: bool,
    },
    /// Compare scheduler profiles on the same workload across paired seeds: every (profile,
    /// seed) run in parallel, each profile seeing the same workload for a seed; per metric the
    /// mean with a 95 % confidence interval per profile and the paired difference against the
    /// first profile, with a verdict. Writes compare.csv, runs.csv and compare.json.
    Compare {
        /// The scenario file.
        scenario: PathBuf,
        /// Profiles (schedulerNames of the scenario's KubeSchedulerConfiguration), comma-separated;
        /// the first is the baseline.
        #[arg(long, value_delimiter = ',', required = true)]
        profiles: Vec<String>,
        /// Number of seeds (the scenario's seed and the following ones).
        #[arg(long, default_value_t = 8)]
        seeds: u64,
        /// Output folder (default: results/<scenario>-compare).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Add seeds (doubling) until the paired difference of `--metric` between every profile
        /// and the first is decided (its interval excludes 0), or `--max-seeds` is reached.
        #[arg(long)]
        until_decided: bool,
        /// The metric `--until-decided` watches.
        #[arg(long, default_value = "pending_p99_s")]
        metric: String,
        /// The most seeds `--until-decided` may use.
        #[arg(long, default_value_t = 128)]
        max_seeds: u64,
        /// Run only share `I` of `N` of the runs (`I/N`, 0-based; `/N` takes `I` from
        /// `JOB_COMPLETION_INDEX`, as in a Kubernetes Indexed Job) and write a shard folder for
        /// `capsim merge`.
        #[arg(long)]
        shard: Option<String>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Find the cheapest mix of node types that meets every SLO on all seeds: bisection per
    /// type, then a staircase walk over mixes (see docs/plan.md). Writes plan.csv (every mix
    /// evaluated), frontier.csv, charts/frontier.svg, recommendation.txt and report.html.
    Plan {
        /// The scenario file (its workload; its nodes are replaced by each mix).
        scenario: PathBuf,
        /// The node types file (`kind: NodeTypes`: allocatable, labels, taints, pricePerHour,
        /// max).
        #[arg(long)]
        node_types: PathBuf,
        /// SLOs, e.g. `p99_pending<=60s`, `never_scheduled==0`, `oom_kills==0`,
        /// `throttled_fraction_p99<=0.05` (repeat or comma-separate).
        #[arg(long, value_delimiter = ',', required = true)]
        slo: Vec<String>,
        /// Number of seeds every mix runs on (the scenario's seed and the following ones).
        #[arg(long, default_value_t = 4)]
        seeds: u64,
        /// Share of seeds on which every SLO must hold (1 = all seeds).
        #[arg(long, default_value_t = 1.0)]
        confidence: f64,
        /// Also try every mix within the types' `max` and check the search found the same
        /// cheapest cost (slow; for small spaces).
        #[arg(long)]
        exhaustive: bool,
        /// Output folder (default: results/<scenario>-plan).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Benchmark scheduling throughput on workloads shaped like upstream scheduler_perf's
    /// (SchedulingBasic, SchedulingNodeAffinity, SchedulingPodAntiAffinity, TopologySpreading,
    /// PreemptionBasic at 5,000 nodes, SchedulingDaemonset at 15,000) and whole runs (OpenbReplay,
    /// SyntheticDay1M; scale 1, from the repository root), each at the profile's
    /// percentageOfNodesToScore and at 100: pods/s, per-plugin time share,
    /// placement quality and peak memory; `--baseline` exits with code 3 on a slowdown beyond
    /// `--threshold` or changed placements.
    Bench {
        /// A KubeSchedulerConfiguration whose profiles to benchmark (default: kube-scheduler's
        /// default profile).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// A CSV saved by `--save` to compare with.
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Where to save this run's figures (CSV).
        #[arg(long)]
        save: Option<PathBuf>,
        /// Size factor of the workloads (1 = scheduler_perf's 5,000 nodes).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Timed repetitions per workload (the median counts).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Slowdown tolerated against the baseline (0.2 = 20 %).
        #[arg(long, default_value_t = 0.2)]
        threshold: f64,
        /// Only these workloads (comma-separated names).
        #[arg(long, value_delimiter = ',')]
        workloads: Vec<String>,
    },
    /// Reproduce a published study.
    Repro {
        /// Which study.
        #[command(subcommand)]
        study: Repro,
    },
    /// Merge the shard folders of one `compare --shard I/N` sweep into exactly what a single
    /// process would have written (checks the plan hash and that no shard is missing).
    Merge {
        /// The shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a scenario and every file it names, without running it.
    Validate {
        /// The scenario file.
        scenario: PathBuf,
    },
}

/// Studies `capsim repro` reproduces.
#[derive(Debug, Subcommand)]
pub enum Repro {
    /// The FGD paper's unallocated-GPU study (USENIX ATC '23): traces × the scenario's profiles
    /// (the six policies) × seeds, pods arriving until 130 % of GPU capacity, no departures.
    /// Writes table.csv, curves.csv, comparison.md, charts and report.html (docs/fgd.md).
    Fgd {
        /// The scenario: its openb node list, pod-list folder and profiles.
        #[arg(long, default_value = "workloads/fgd-default.yaml")]
        scenario: PathBuf,
        /// Traces (`default`, `gpushare40`, ...; `paper` for the paper's 17), comma-separated;
        /// each is `openb_pod_list_<name>.csv` beside the scenario's pod list.
        #[arg(long, value_delimiter = ',', default_value = "default")]
        traces: Vec<String>,
        /// Seeds, `A..B` (inclusive) or comma-separated.
        #[arg(long, default_value = "42..51")]
        seeds: String,
        /// Output folder.
        #[arg(long, default_value = "results/fgd")]
        out: PathBuf,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
}

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

/// Runs the parsed command line.
///
/// # Errors
/// A [`Failure`] carrying the exit code and the message.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run { scenario, seed, out, quiet } => cmd_run(&scenario, seed, out, quiet),
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
            cmd_compare(&scenario, &profiles, seeds, out, shard, until, quiet)
        }
        Command::Plan { scenario, node_types, slo, seeds, confidence, exhaustive, out, quiet } => {
            cmd_plan(&scenario, &node_types, &slo, seeds, confidence, exhaustive, out, quiet)
        }
        Command::Bench { profile, baseline, save, scale, repeat, threshold, workloads } => cmd_bench(
            profile.as_deref(),
            baseline.as_deref(),
            save.as_deref(),
            scale,
            repeat,
            threshold,
            &workloads,
        ),
        Command::Repro { study: Repro::Fgd { scenario, traces, seeds, out, quiet } } => {
            cmd_repro_fgd(&scenario, &traces, &seeds, &out, quiet)
        }
        Command::Merge { dirs, out } => {
            crate::experiment::compare::merge(&dirs, &out).map_err(|e| match e {
                crate::experiment::compare::MergeError::Sim(e) => Failure::from(e),
                crate::experiment::compare::MergeError::Bad(m) => Failure::usage(m),
            })?;
            println!("merged {} shard folders into {}", dirs.len(), out.display());
            Ok(())
        }
        Command::Validate { scenario } => {
            let sc = load(&scenario)?;
            println!(
                "{}: ok ({} nodes, {} pods, {} scheduler profile(s): {})",
                scenario.display(),
                sc.nodes.len(),
                sc.arrivals.len(),
                sc.scheduler.profiles.len(),
                sc.scheduler
                    .profiles
                    .iter()
                    .map(|p| p.scheduler_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let dy = &sc.dynamics;
            for g in &dy.generators {
                println!(
                    "generator {}: {} pods over {} s from {} s, {} shape(s)",
                    g.name,
                    g.count,
                    g.over_ms / 1000,
                    g.start.0 / 1000,
                    g.shapes.len()
                );
            }
            if dy.daemonsets.len() + dy.replicasets.len() + dy.jobs.len() + dy.static_pods.len() > 0 {
                println!(
                    "controllers: {} DaemonSet(s), {} Deployment/ReplicaSet(s), {} Job(s), {} static pod set(s); {} LimitRange(s), {} ResourceQuota(s)",
                    dy.daemonsets.len(),
                    dy.replicasets.len(),
                    dy.jobs.len(),
                    dy.static_pods.len(),
                    dy.limit_ranges.len(),
                    dy.quotas.len()
                );
            }
            if !dy.timeline.is_empty() || !dy.failures.is_empty() {
                println!(
                    "timeline: {} event(s), {} random failure process(es), {} pool(s)",
                    dy.timeline.len(),
                    dy.failures.len(),
                    dy.pools.len()
                );
            }
            if !dy.skipped.is_empty() {
                let kinds: Vec<String> = dy.skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
                println!("skipped (not simulated): {}", kinds.join(", "));
            }
            for n in &sc.notes {
                println!("note: {n}");
            }
            Ok(())
        }
    }
}

/// `I/N` (or `/N` with `I` from `JOB_COMPLETION_INDEX`).
fn parse_shard(s: &str) -> Result<(usize, usize), Failure> {
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

fn cmd_compare(
    scenario: &Path,
    profiles: &[String],
    seeds: u64,
    out: Option<PathBuf>,
    shard: Option<String>,
    until: Option<(String, u64)>,
    quiet: bool,
) -> Result<(), Failure> {
    use crate::experiment::compare::{Plan, run_all, run_jobs, with_profile, write_compare, write_shard};
    let sc = load(scenario)?;
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
    let markers: &[&str] = if shard.is_some() {
        &crate::experiment::compare::SHARD_MARKERS
    } else {
        &crate::report::COMPARE_MARKERS
    };
    crate::report::check_replaceable_with(&out, markers)?;
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
        let decided = |runs: &[Vec<crate::experiment::compare::RunDigest>]| {
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
        for r in rows.iter().filter(|r| !r.verdict.is_empty() && r.group == "all") {
            if r.metric.starts_with("pending_p")
                || r.metric == "pods_never_scheduled"
                || r.verdict != "no difference detected"
            {
                println!(
                    "  {:<22} {}: {:+} [{}, {}] → {}",
                    r.metric, r.profile, r.mean, r.ci_low, r.ci_high, r.verdict
                );
            }
        }
        println!(
            "  {} runs in {:.1}s; results: {}",
            profiles.len() * plan.seeds.len(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
    }
    Ok(())
}

fn cmd_bench(
    profile: Option<&Path>,
    baseline: Option<&Path>,
    save: Option<&Path>,
    scale: f64,
    repeat: usize,
    threshold: f64,
    only: &[String],
) -> Result<(), Failure> {
    use crate::experiment::bench::{
        COLUMNS, bench, bench_run, build, compare, read, run_workloads, workloads,
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
    let names: Vec<&str> = all.iter().map(|w| w.name).chain(runs.iter().map(|w| w.name)).collect();
    if let Some(bad) = only.iter().find(|n| !names.contains(&n.as_str())) {
        return Err(Failure::usage(format!("--workloads {bad:?}: expected one of {}", names.join(", "))));
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|n| n == name);
    println!(
        "capsim bench: {} profile(s) × {{default, 100}} percentageOfNodesToScore, scale {scale}, median of {repeat} on one thread",
        config.profiles.len()
    );
    println!(
        "  {:<26} {:<28} {:>6} {:>7} {:>10} {:>7} {:>6} {:>8}  plugin share",
        "workload", "profile", "nodes", "pods", "pods/s", "cpu", "used", "rss MiB"
    );
    let mut rows = Vec::new();
    let print = |r: &crate::experiment::bench::BenchRow| {
        println!(
            "  {:<26} {:<28} {:>6} {:>7} {:>10} {:>7.3} {:>6} {:>8}  {}",
            r.workload,
            r.profile,
            r.nodes,
            r.pods,
            r.pods_per_s,
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
    for w in runs.iter().filter(|w| wanted(w.name)) {
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

/// `A..B` (inclusive) or `a,b,c`.
fn parse_seeds(s: &str) -> Result<Vec<u64>, Failure> {
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

fn cmd_repro_fgd(
    scenario: &Path,
    traces: &[String],
    seeds: &str,
    out: &Path,
    quiet: bool,
) -> Result<(), Failure> {
    use crate::experiment::fgd::{PAPER_TRACES, Trace, study, trace_paths, write_study};
    let seeds = parse_seeds(seeds)?;
    let sc = load(scenario)?;
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
    crate::report::check_replaceable_with(out, &["table.csv", "curves.csv"])?;
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
    let summary = write_study(out, &s, &sc.text)?;
    if !quiet {
        print!("{summary}");
        println!("  {total} runs in {:.1}s; results: {}", started.elapsed().as_secs_f64(), out.display());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn cmd_plan(
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
    let sc = load(scenario)?;
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
    crate::report::check_replaceable_with(&out, &["plan.csv", "frontier.csv"])?;
    let text = std::fs::read_to_string(node_types)
        .map_err(|source| Failure::from(InputError::Io { path: node_types.to_path_buf(), source }))?;
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

fn cmd_run(scenario: &Path, seed: Option<u64>, out: Option<PathBuf>, quiet: bool) -> Result<(), Failure> {
    let sc = load(scenario)?;
    let seed = seed.unwrap_or(sc.seed);
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(format!("{}-seed{seed}", sc.name)));
    // Refuse an unusable --out before spending time on the run.
    crate::report::check_replaceable(&out)?;
    let result = run(&sc, seed)?;
    let summary = write_results(&result, &sc.text, &out)?;
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
        println!(
            "  pending (scheduled pods) p50 {}s  p90 {}s  p99 {}s  max {}s; longest wait of a never-scheduled pod {}s",
            summary.pending_p50_s,
            summary.pending_p90_s,
            summary.pending_p99_s,
            summary.pending_max_s,
            summary.unscheduled_wait_max_s
        );
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
