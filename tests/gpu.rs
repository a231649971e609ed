//! GPU devices: sharing pods pack onto one device up to 1000 milli-GPU, whole-GPU pods take only
//! idle devices, GPU models are honoured, a node's devices are never over-committed, and the FGD
//! paper's policies score as their definitions say.

use capsim::model::gpu::{GPU_MODEL_KEY, GpuShare};
use capsim::model::resources::{NVIDIA_GPU, Resources};
use capsim::model::{Cluster, Node, Pod, simple_pod};
use capsim::scheduler::framework::profile::{SchedulerConfig, build};
use capsim::scheduler::framework::runner::{
    CycleOptions, CycleOutcome, SchedulerState, TieBreak, schedule_pod,
};
use capsim::scheduler::plugins::gpu::open_gpu_share::{ERR_INSUFFICIENT, ERR_MODEL};
use capsim::scheduler::plugins::registry::in_tree;
use common::builders::{make_node, make_pod};
use proptest::prelude::*;
use rand::SeedableRng;

mod common;

fn gpu_node(name: &str, gpus: i64, model: &str) -> Node {
    make_node(name, 64_000, 256 << 30).label(GPU_MODEL_KEY, model).resource(NVIDIA_GPU, gpus).obj()
}

fn gpu_pod(name: &str, count: u32, milli: u32, models: &[&str]) -> Pod {
    let mut p = make_pod(name, 1000, 1 << 30).obj();
    p.gpu_share = Some(GpuShare { count, milli, models: models.iter().map(|m| m.to_string()).collect() });
    p
}

const OPTS: CycleOptions = CycleOptions {
    tie_break: TieBreak::FirstNode,
    record_scores: false,
    run_post_filter: false,
    nominated_node: None,
};

/// Schedules `pod` with `config`'s first profile and binds it with the devices the cycle chose;
/// returns the node name, or the FitError message.
fn place(c: &mut Cluster, config: &SchedulerConfig, pod: Pod) -> Result<String, String> {
    let id = c.add_pod(pod);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let r = schedule_pod(&config.profiles[0], c.pod(id), c, &mut SchedulerState::default(), &mut rng, OPTS);
    match r.outcome {
        CycleOutcome::Scheduled(n) => {
            c.bind_gpus(id, n, r.gpus).unwrap();
            Ok(c.node(n).node.name.clone())
        }
        CycleOutcome::Unschedulable(fe) => Err(fe.message),
        CycleOutcome::Error(e) => panic!("{e}"),
    }
}

/// The default profile as a GPU-sharing workload gets it: with capsim's Open-Gpu-Share Filter
/// after NodeResourcesFit.
fn sharing_config() -> SchedulerConfig {
    let mut config = SchedulerConfig::default_config(in_tree());
    capsim::scheduler::plugins::gpu::enable_for_workload(
        &mut config,
        [&gpu_pod("x", 1, 100, &[])].into_iter(),
    );
    config
}

#[test]
fn open_gpu_share_joins_only_gpu_sharing_workloads() {
    let names = |c: &SchedulerConfig| c.profiles[0].filter.iter().map(|p| p.name()).collect::<Vec<_>>();
    let mut config = SchedulerConfig::default_config(in_tree());
    // Upstream's default profile: no GPU filter.
    assert!(!names(&config).contains(&"Open-Gpu-Share"));
    // A workload of whole nvidia.com/gpu pods only does not ask for it.
    let mut plain = simple_pod("plain", Resources { milli_cpu: 1000, ..Default::default() });
    plain.containers[0].requests.set(NVIDIA_GPU, 1);
    capsim::scheduler::plugins::gpu::enable_for_workload(&mut config, [&plain].into_iter());
    assert!(!names(&config).contains(&"Open-Gpu-Share"));
    let with = names(&sharing_config());
    let fit = with.iter().position(|n| *n == "NodeResourcesFit").unwrap();
    assert_eq!(with[fit + 1], "Open-Gpu-Share");
    // A profile that disables it by name keeps it out.
    let text = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- plugins:\n    filter: {disabled: [{name: Open-Gpu-Share}]}\n";
    let cfg = capsim::api::yaml::from_str_typed(text, std::path::Path::new("p.yaml")).unwrap();
    let mut config = build(&cfg, in_tree()).unwrap();
    capsim::scheduler::plugins::gpu::enable_for_workload(
        &mut config,
        [&gpu_pod("x", 1, 100, &[])].into_iter(),
    );
    assert!(!names(&config).contains(&"Open-Gpu-Share"));
}

#[test]
fn sharing_pods_pack_one_device_up_to_1000_milli() {
    let config = sharing_config();
    let mut c = Cluster::new();
    c.add_node(gpu_node("n", 2, "T4")).unwrap();
    for (name, milli) in [("a", 300), ("b", 300), ("c", 400)] {
        place(&mut c, &config, gpu_pod(name, 1, milli, &[])).unwrap();
    }
    // The tightest device that fits: all three on device 0, which is now full.
    assert_eq!((c.pod_gpus(0), c.pod_gpus(1), c.pod_gpus(2)), (&[0u8][..], &[0u8][..], &[0u8][..]));
    assert_eq!(c.node(0).gpu_left, [0, 1000]);
    place(&mut c, &config, gpu_pod("d", 1, 100, &[])).unwrap();
    assert_eq!(c.pod_gpus(3), [1]);
    assert_eq!(c.node(0).gpu_left, [0, 900]);
    // 950 milli fits no device: 900 is left on the only one with room.
    let err = place(&mut c, &config, gpu_pod("e", 1, 950, &[])).unwrap_err();
    assert_eq!(err, format!("0/1 nodes are available: 1 {ERR_INSUFFICIENT}."));
    // Deleting a pod gives its milli back to its device.
    c.unbind(3);
    assert_eq!(c.node(0).gpu_left, [0, 1000]);
}

#[test]
fn whole_gpu_pods_take_only_idle_devices() {
    let config = sharing_config();
    let mut c = Cluster::new();
    c.add_node(gpu_node("n", 3, "V100M16")).unwrap();
    place(&mut c, &config, gpu_pod("share", 1, 100, &[])).unwrap();
    // Two idle devices of three: a 3-GPU pod does not fit, a 2-GPU pod takes devices 1 and 2.
    assert!(place(&mut c, &config, gpu_pod("three", 3, 1000, &[])).is_err());
    place(&mut c, &config, gpu_pod("two", 2, 1000, &[])).unwrap();
    assert_eq!(c.pod_gpus(2), [1, 2]);
    assert_eq!(c.node(0).gpu_left, [900, 0, 0]);
    // An nvidia.com/gpu request is whole GPUs too: none is idle now.
    let mut p = simple_pod("plain", Resources { milli_cpu: 1000, ..Default::default() });
    p.containers[0].requests.set(NVIDIA_GPU, 1);
    p.refresh_requests();
    assert!(place(&mut c, &config, p).unwrap_err().contains(ERR_INSUFFICIENT));
}

#[test]
fn gpu_models_are_honoured() {
    let config = sharing_config();
    let mut c = Cluster::new();
    c.add_node(gpu_node("t4", 2, "T4")).unwrap();
    c.add_node(gpu_node("v100", 2, "V100M32")).unwrap();
    assert_eq!(place(&mut c, &config, gpu_pod("p", 1, 500, &["V100M16", "V100M32"])), Ok("v100".into()));
    let err = place(&mut c, &config, gpu_pod("q", 1, 500, &["A10"])).unwrap_err();
    assert_eq!(err, format!("0/2 nodes are available: 2 {ERR_MODEL}."));
}

/// A profile scoring with `plugin` alone, as the paper's simulator runs it.
fn policy(plugin: &str) -> SchedulerConfig {
    let text = format!(
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: p\n  percentageOfNodesToScore: 100\n  plugins:\n    preScore: {{disabled: [{{name: '*'}}]}}\n    score: {{disabled: [{{name: '*'}}], enabled: [{{name: {plugin}, weight: 1}}]}}\n"
    );
    let cfg = capsim::api::yaml::from_str_typed(&text, std::path::Path::new("p.yaml")).unwrap();
    build(&cfg, in_tree()).unwrap()
}

/// Hand-worked placements of one 500-milli sharing pod (1 core) on three 2-GPU nodes of 64 cores
/// holding 1-core pods: `idle` (devices [1000, 1000]), `half` (a 600 sharing pod: [400, 1000]),
/// `busy` (a 400 sharing pod and a whole GPU: [600, 0]).
///
/// - GpuPacking: idle 33 − 2 = 31; half takes its idle device (k = 1): 49; busy takes the 600
///   device: x = 60, 100 − 6 = 94 → busy.
/// - BestFit: raw = ½(cpu left − 1000)/128000 + ½(GPU free − 500)/8000 → idle 0.3398 (66), half
///   0.2984 (70), busy 0.2445 (75); normalised 0, 44, 100 → busy.
/// - GpuClustering: base = ⌊25·(8000 − free)/8000⌋: idle 18 + 25 (no GPU pods) = 43, half 20 + 75
///   (only sharing pods) = 95, busy 23 + 50 (sharing among whole-GPU pods) = 73 → half.
/// - DotProd: dot ≤ 0.01 everywhere, so every node scores ⌊100 · (1 − dot)⌋ = 99 and the first
///   node wins the tie → idle.
#[test]
fn policies_score_as_the_paper_defines_them() {
    for (plugin, want) in [
        ("GpuPackingScore", "busy"),
        ("BestFitScore", "busy"),
        ("GpuClusteringScore", "half"),
        ("DotProductScore", "idle"),
    ] {
        let config = policy(plugin);
        let mut c = Cluster::new();
        for n in ["idle", "half", "busy"] {
            c.add_node(gpu_node(n, 2, "T4")).unwrap();
        }
        // Existing sharing pods: half gets 600 on device 0; busy gets 400 on 0 and 1000 on 1.
        for (node, milli) in [(1, 600), (2, 400), (2, 1000)] {
            let id = c.add_pod(gpu_pod("x", 1, milli, &[]));
            c.bind(id, node).unwrap();
        }
        assert_eq!(c.node(2).gpu_left, [600, 0]);
        assert_eq!(place(&mut c, &config, gpu_pod("p", 1, 500, &[])), Ok(want.to_string()), "{plugin}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever pods arrive, a device's milli-GPU taken equals the sum of its pods' requests and
    /// never exceeds 1000, and unbinding everything restores every device.
    #[test]
    fn devices_are_never_over_committed(pods in prop::collection::vec((1u32..=3, 1u32..=1000), 1..60)) {
        let config = SchedulerConfig::default_config(in_tree());
        let mut c = Cluster::new();
        c.add_node(gpu_node("a", 4, "T4")).unwrap();
        c.add_node(gpu_node("b", 2, "T4")).unwrap();
        for (i, (count, milli)) in pods.iter().enumerate() {
            let (count, milli) = if *milli < 1000 { (1, *milli) } else { (*count, 1000) };
            let _ = place(&mut c, &config, gpu_pod(&format!("p{i}"), count, milli, &[]));
        }
        for n in 0..2u32 {
            let mut taken = vec![0u32; c.node(n).gpu_left.len()];
            for p in c.node(n).pods.clone() {
                let g = c.pod(p).gpu_share.clone().unwrap();
                for d in c.pod_gpus(p) {
                    taken[*d as usize] += g.milli;
                }
            }
            for (t, l) in taken.iter().zip(&c.node(n).gpu_left) {
                prop_assert_eq!(t + l, 1000);
            }
        }
        for p in 0..pods.len() as u32 {
            c.unbind(p);
        }
        prop_assert!(c.node(0).gpu_left.iter().chain(&c.node(1).gpu_left).all(|l| *l == 1000));
    }
}
