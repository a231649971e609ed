//! The command-line arguments: capsim's commands and their flags (clap).

// Doc comments here are clap's help text, where `<scenario>` is a placeholder, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
        /// SLOs, e.g. `p99_pending<=60s`, `never_ran==0`, `oom_kills==0`,
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
    /// TopologySpreadingZoneHostname, SchedulingPreferredPodAffinity, PreemptionBasic at 5,000
    /// nodes, SchedulingDaemonset at 15,000), whole runs (OpenbReplay, SyntheticDay1M; scale 1,
    /// from the repository root; SyntheticWeek10M, 10,000,000 pods, only when named in
    /// `--workloads`) and loading a 100,000-pod dump (LoadPodDump), each at the profile's
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
        /// Timed repetitions per workload (the best counts against a baseline; the median is shown
        /// beside it).
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
        /// Output folder (default `results/fgd/<set>/`: `default`, `paper`, or the traces
        /// joined with `+`); a study of other traces is never replaced.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
}
