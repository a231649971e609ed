//! The openb trace reader and the end-to-end replay of `workloads/openb-default.yaml`.

use std::path::Path;

use capsim::model::resources::NVIDIA_GPU;
use capsim::scenario::load;
use capsim::sim::engine::run;
use capsim::workload::alibaba_openb::{GPU_MODEL_LABEL, read_nodes, read_pods};

const TRACE: &str = "workloads/traces/alibaba-openb";

#[test]
fn node_list_converts_rows_exactly() {
    let nodes = read_nodes(&Path::new(TRACE).join("openb_node_list_all_node.csv")).unwrap();
    assert_eq!(nodes.len(), 1523);
    // Row 1: openb-node-0000,32000,262144,0, (CPU-only).
    let n0 = &nodes[0];
    assert_eq!(n0.name, "openb-node-0000");
    assert_eq!(n0.allocatable.milli_cpu, 32_000);
    assert_eq!(n0.allocatable.memory, 262_144 << 20);
    assert_eq!(n0.allocatable.pods, 110);
    assert_eq!(n0.allocatable.get(NVIDIA_GPU), 0);
    assert!(!n0.labels.contains_key(GPU_MODEL_LABEL));
    // Totals from SOURCE.md: 125,514 cores, 612,028,416 MiB, 6,212 GPUs, 549 G2 nodes.
    let cores: i64 = nodes.iter().map(|n| n.allocatable.milli_cpu).sum();
    let mib: i64 = nodes.iter().map(|n| n.allocatable.memory >> 20).sum();
    let gpus: i64 = nodes.iter().map(|n| n.allocatable.get(NVIDIA_GPU)).sum();
    assert_eq!((cores, mib, gpus), (125_514_000, 612_028_416, 6212));
    let g2 = nodes.iter().filter(|n| n.labels.get(GPU_MODEL_LABEL).map(String::as_str) == Some("G2")).count();
    assert_eq!(g2, 549);
}

#[test]
fn pod_list_converts_rows_exactly() {
    let list = read_pods(&Path::new(TRACE).join("openb_pod_list_default.csv")).unwrap();
    assert_eq!(list.arrivals.len(), 8152);
    // openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
    let p0 = &list.arrivals[0];
    assert_eq!(p0.pod.name, "openb-pod-0000");
    assert_eq!(p0.pod.requests.milli_cpu, 12_000);
    assert_eq!(p0.pod.requests.memory, 16_384 << 20);
    let g = |a: &capsim::workload::alibaba_openb::Arrival| a.pod.gpu_share.clone().unwrap_or_default();
    assert_eq!((g(p0).count, g(p0).milli), (1, 1000));
    assert_eq!(p0.pod.requests.get(NVIDIA_GPU), 0, "GPUs are a GPU-sharing request, not nvidia.com/gpu");
    assert_eq!(p0.created.as_millis(), 0);
    assert_eq!(p0.deleted.map(|d| d.as_millis()), Some(12_537_496_000));
    assert_eq!(p0.pod.labels.get("openb/qos").map(String::as_str), Some("LS"));
    // openb-pod-0001,6000,12288,1,460,... shares a GPU: 460 milli-GPU of one device.
    let p1 = &list.arrivals[1];
    assert_eq!((p1.pod.requests.milli_cpu, g(p1).count, g(p1).milli), (6_000, 1, 460));
    assert!(g(p1).is_shared());
    assert_eq!(p1.created.as_millis(), 427_061_000);
    // SOURCE.md: 3,078 GPU-sharing pods; 44 pods ask for 8 GPUs; one pod asks for 0 MiB.
    assert_eq!(
        list.arrivals.iter().filter(|a| a.pod.gpu_share.as_ref().is_some_and(|g| g.is_shared())).count(),
        3078
    );
    assert_eq!(list.arrivals.iter().filter(|a| g(a).count == 8).count(), 44);
    assert_eq!(list.arrivals.iter().filter(|a| a.pod.requests.memory == 0).count(), 1);
    // The trace's GPU demand, as the FGD paper's simulator totals it: 6,086,800 milli-GPU.
    let milli: i64 = list.arrivals.iter().map(|a| g(a).total_milli()).sum();
    assert_eq!(milli, 6_086_800);
    assert!(list.arrivals.windows(2).all(|w| w[0].created <= w[1].created));
}

#[test]
fn unsorted_variant_is_sorted_by_creation_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pods.csv");
    std::fs::write(
        &p,
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
         b,1000,1024,0,0,,LS,Running,50,60,50\n\
         a,2000,1024,1,1000,V100M16|V100M32|V100M32,LS,Running,10,20,10\n",
    )
    .unwrap();
    let list = read_pods(&p).unwrap();
    let names: Vec<&str> = list.arrivals.iter().map(|a| a.pod.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    // gpu_spec becomes the accepted GPU models, duplicates dropped; Open-Gpu-Share enforces them.
    let g = list.arrivals[0].pod.gpu_share.clone().unwrap();
    assert_eq!(g.models, ["V100M16", "V100M32"]);
    assert!(list.arrivals[0].pod.node_affinity.is_none());
}

#[test]
fn openb_replay_schedules_every_pod_and_never_overallocates() {
    let sc = load(Path::new("workloads/openb-default.yaml")).unwrap();
    // The engine checks every binding against allocatable and fails the run on a violation.
    let r = run(&sc, 1).expect("the run completes without over-allocating any node");
    r.cluster.check_not_overallocated().unwrap();
    let (s, _) = capsim::report::summarize(&r, &capsim::report::tally(&r).unwrap());
    assert_eq!(s.pods_total, 8152);
    assert_eq!(s.pods_created, 8152);
    assert_eq!(
        s.pods_scheduled
            + s.pods_bound_by_node_name
            + s.pods_never_scheduled
            + s.pods_deleted_while_pending
            + s.pods_preempted
            + s.pods_rejected_by_kubelet,
        s.pods_created
    );
    // The trace is light at any instant: every pod fits at once except the one deleted in the
    // same second it was created (deletion_time == creation_time).
    assert_eq!((s.pods_scheduled, s.pods_deleted_while_pending, s.pods_never_scheduled), (8151, 1, 0));
    assert_eq!(s.virtual_end_s, 12_902_960.0);
    assert_eq!(s.nodes, 1523);
}
