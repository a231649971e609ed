//! Criterion benchmarks shaped like upstream scheduler_perf's performance tests (the same
//! workloads `capsim bench` runs; see `src/experiment/bench.rs`): SchedulingBasic,
//! SchedulingNodeAffinity, SchedulingPodAntiAffinity and TopologySpreading on 5,000 nodes, each
//! at the default profile's adaptive percentageOfNodesToScore and at 100. One iteration places
//! the initial pods and schedules the measured ones; pods/s = measured pods / time.
//!
//! Run with `cargo bench --bench scheduler_perf`; figures are kept in `results/bench/`.

use std::hint::black_box;

use capsim::experiment::bench::{build, pass, workloads};
use capsim::scheduler::framework::profile::SchedulerConfig;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn scheduler_perf(c: &mut Criterion) {
    let config = SchedulerConfig::default_config();
    let profile = config.profile("default-scheduler").unwrap();
    let mut full = profile.clone();
    full.percentage_of_nodes_to_score = Some(100);
    let mut group = c.benchmark_group("scheduler_perf");
    group.sample_size(10);
    for w in workloads(1.0) {
        let (nodes, pod) = build(&w);
        group.throughput(Throughput::Elements(w.measured_pods as u64));
        for (label, p) in [("default", profile), ("pct100", &full)] {
            group.bench_function(format!("{}/{label}", w.name), |b| {
                b.iter(|| black_box(pass(&w, &nodes, &pod, p).unwrap()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, scheduler_perf);
criterion_main!(benches);
