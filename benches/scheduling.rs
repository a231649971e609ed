//! Criterion benchmarks: one scheduling cycle of the default profile on 1,000 and 5,000 nodes
//! (50% of them already half full), the full replay of the bundled openb trace, and the same
//! trace with and without the kubelet runtime (usage, throttling, OOM).
//!
//! Run with `cargo bench --bench scheduling`; figures are kept in `results/bench/`.

use std::hint::black_box;
use std::path::Path;

use capsim::model::resources::Resources;
use capsim::model::{Cluster, Labels, Node, simple_pod};
use capsim::rng::{Stream, stream};
use capsim::scenario::load;
use capsim::scheduler::framework::profile::SchedulerConfig;
use capsim::scheduler::framework::runner::{CycleOptions, SchedulerState, TieBreak, schedule_pod};
use capsim::scheduler::plugins::registry::in_tree;
use capsim::sim::engine::run;
use criterion::{Criterion, criterion_group, criterion_main};

/// `n` nodes of 32 cores / 128 GiB / 110 pods; every other node holds a 16-core / 64 GiB pod.
fn cluster(n: usize) -> Cluster {
    let mut c = Cluster::new();
    for i in 0..n {
        let alloc = Resources { milli_cpu: 32_000, memory: 128 << 30, pods: 110, ..Default::default() };
        let mut labels = Labels::new();
        labels.insert("kubernetes.io/hostname".into(), format!("node-{i}"));
        c.add_node(Node {
            name: format!("node-{i}"),
            labels,
            taints: Vec::new(),
            unschedulable: false,
            capacity: alloc.clone(),
            allocatable: alloc,
            images: Vec::new(),
        })
        .unwrap();
    }
    for i in (0..n).step_by(2) {
        let p = c.add_pod(simple_pod(
            &format!("filler-{i}"),
            Resources { milli_cpu: 16_000, memory: 64 << 30, ..Default::default() },
        ));
        c.bind(p, i as u32).unwrap();
    }
    c
}

fn cycle(c: &mut Criterion) {
    let config = SchedulerConfig::default_config(in_tree());
    let profile = config.profile("default-scheduler").unwrap();
    let pod = simple_pod("incoming", Resources { milli_cpu: 1_000, memory: 2 << 30, ..Default::default() });
    let mut group = c.benchmark_group("scheduling_cycle_default_profile");
    group.sample_size(30);
    for n in [1_000usize, 5_000] {
        let cl = cluster(n);
        let mut state = SchedulerState::default();
        let mut rng = stream(1, Stream::TieBreak);
        let opts = CycleOptions {
            tie_break: TieBreak::Random,
            record_scores: false,
            run_post_filter: false,
            nominated_node: None,
        };
        group.bench_function(format!("{n}_nodes"), |b| {
            b.iter(|| black_box(schedule_pod(profile, &pod, &cl, &mut state, &mut rng, opts)))
        });
    }
    group.finish();
}

fn openb_replay(c: &mut Criterion) {
    let sc = load(Path::new("workloads/openb-default.yaml")).expect("bundled scenario loads");
    let mut group = c.benchmark_group("openb_replay");
    group.sample_size(10);
    group
        .bench_function("default_trace_1523_nodes_8152_pods", |b| b.iter(|| black_box(run(&sc, 1).unwrap())));
    group.finish();
}

/// The cost of the kubelet runtime: `workloads/openb-overcommit.yaml` with and without its
/// `runtime` section (same trace, same limits), so the ratio is what usage modelling costs.
fn runtime_cost(c: &mut Criterion) {
    let with = load(Path::new("workloads/openb-overcommit.yaml")).expect("bundled scenario loads");
    let mut without = with.clone();
    without.dynamics.runtime = None;
    let mut group = c.benchmark_group("runtime_cost");
    group.sample_size(10);
    group.bench_function("openb_overcommit_without_runtime", |b| {
        b.iter(|| black_box(run(&without, 1).unwrap()))
    });
    group.bench_function("openb_overcommit_with_runtime", |b| b.iter(|| black_box(run(&with, 1).unwrap())));
    group.finish();
}

criterion_group!(benches, cycle, openb_replay, runtime_cost);
criterion_main!(benches);
