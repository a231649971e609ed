//! Criterion benchmarks shaped like upstream scheduler_perf's performance tests (the same
//! workloads `capsim bench` runs; see `src/experiment/bench.rs`): SchedulingBasic,
//! SchedulingNodeAffinity, SchedulingPodAntiAffinity, TopologySpreading and PreemptionBasic on
//! 5,000 nodes and SchedulingDaemonset on 15,000, each at the default profile's adaptive
//! percentageOfNodesToScore and at 100. Each iteration builds the cluster and places the initial
//! pods untimed, then times the measured pods only (`iter_custom`), so criterion's throughput is
//! measured pods per second of scheduling, as scheduler_perf's `SchedulingThroughput`.
//!
//! Run with `cargo bench --bench scheduler_perf` (a filter such as `SchedulingBasic` selects
//! workloads); figures are kept in `results/bench/`. The whole-run workloads (openb replay,
//! the 1,000,000-pod day) are in `capsim bench` and `cargo bench --bench dynamics`.

use std::time::Duration;

use capsim::experiment::bench::{build, pass, workloads};
use capsim::scheduler::framework::profile::SchedulerConfig;
use capsim::scheduler::plugins::registry::in_tree;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn scheduler_perf(c: &mut Criterion) {
    let config = SchedulerConfig::default_config(in_tree());
    let profile = config.profile("default-scheduler").unwrap();
    let mut full = profile.clone();
    full.percentage_of_nodes_to_score = Some(100);
    let mut group = c.benchmark_group("scheduler_perf");
    group.sample_size(10);
    for w in workloads(1.0) {
        let built = build(&w);
        group.throughput(Throughput::Elements(w.measured_pods as u64));
        for (label, p) in [("default", profile), ("pct100", &full)] {
            group.bench_function(format!("{}/{label}", w.name), |b| {
                b.iter_custom(|iters| {
                    (0..iters).map(|_| Duration::from_secs_f64(pass(&w, &built, p).unwrap().0)).sum()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, scheduler_perf);
criterion_main!(benches);
