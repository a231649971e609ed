//! Helpers shared by capsim's fuzz targets (`fuzz_targets/*.rs`, see `docs/fuzzing.md`):
//!
//! - [`work_dir`]: one private temporary folder per fuzzing process, under `/tmp`, removed when
//!   the process exits or panics (a timeout or an out-of-memory leaves it behind);
//! - [`write_input`]: the fuzz bytes as a file, for the loaders that read a path;
//! - [`support_dir`]: a folder of small valid files a fuzzed scenario may name (nodes, pods,
//!   a scheduler configuration, openb CSV heads, and a copy of the repository's `workloads/`
//!   with every CSV cut to its first 50 lines and the largest manifests left out);
//! - [`structured`]: a small scenario description that `arbitrary` fills in, rendered into a
//!   valid scenario with its manifests.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub mod structured;
pub mod yaml;

static WORK_DIR: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_work_dir() {
    if let Some(d) = WORK_DIR.get() {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// This process's temporary folder (`/tmp/capsim-fuzz-XXXXXX`), created on first use and
/// removed at exit (libFuzzer exits through `exit()` at the end of a run) or on a panic.
pub fn work_dir() -> &'static Path {
    WORK_DIR.get_or_init(|| {
        let d = tempfile::Builder::new()
            .prefix("capsim-fuzz-")
            .tempdir_in("/tmp")
            .expect("a temporary folder under /tmp")
            .keep();
        // SAFETY: registers a plain `extern "C" fn` with no captured state.
        unsafe {
            libc::atexit(remove_work_dir);
        }
        // A panic (a finding) ends in libFuzzer's hook, which aborts without running `atexit`:
        // remove the folder first. Only a timeout or an out-of-memory leaves it behind.
        let libfuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            remove_work_dir();
            libfuzzer_hook(info);
        }));
        d
    })
}

/// Writes `bytes` to `name` inside `dir` (created if missing) and returns the path.
pub fn write_in(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("create a folder in the work dir");
    }
    // A new file each time: on ext4, truncating a file and writing it again flushes it on close
    // (`auto_da_alloc`), which made every execution wait for the disk (~3 ms).
    let _ = std::fs::remove_file(&p);
    std::fs::write(&p, bytes).expect("write into the work dir");
    p
}

/// Writes the fuzz input to `name` in [`work_dir`] and returns its path.
pub fn write_input(name: &str, bytes: &[u8]) -> PathBuf {
    write_in(work_dir(), name, bytes)
}

/// Small valid files a fuzzed scenario can name, by path relative to the scenario.
pub const SUPPORT_FILES: &[(&str, &str)] = &[
    ("nodes.yaml", NODES_YAML),
    ("node.yaml", NODE_TEMPLATE),
    ("config.yaml", CONFIG_YAML),
    ("config-a.yaml", CONFIG_A_YAML),
    ("config-b.yaml", CONFIG_B_YAML),
    ("pods.yaml", PODS_YAML),
    ("apps.yaml", APPS_YAML),
    ("static.yaml", STATIC_YAML),
    ("system/agent.yaml", SYSTEM_AGENT_YAML),
    ("system/policy.yaml", SYSTEM_POLICY_YAML),
    ("nodes.csv", NODES_CSV),
    ("pods.csv", PODS_CSV),
    ("pods-untimed.csv", PODS_UNTIMED_CSV),
    ("node-types.yaml", NODE_TYPES_YAML),
];

const NODES_YAML: &str = "apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {kubernetes.io/hostname: n1, topology.kubernetes.io/zone: a, disk: ssd}
status:
  capacity: {cpu: '8', memory: 32Gi, pods: '110'}
---
apiVersion: v1
kind: Node
metadata:
  name: n2
  labels: {kubernetes.io/hostname: n2, topology.kubernetes.io/zone: b}
spec:
  taints: [{key: dedicated, value: batch, effect: NoSchedule}]
status:
  capacity: {cpu: '4', memory: 16Gi, pods: '110', nvidia.com/gpu: '2'}
  allocatable: {cpu: 3500m, memory: 15Gi, pods: '110', nvidia.com/gpu: '2'}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n3, labels: {kubernetes.io/hostname: n3, topology.kubernetes.io/zone: c}}
  spec: {unschedulable: true}
  status: {capacity: {cpu: '16', memory: 64Gi, pods: '10'}}
";

const NODE_TEMPLATE: &str = "apiVersion: v1
kind: Node
metadata: {name: template, labels: {kubernetes.io/os: linux, topology.kubernetes.io/zone: a}}
status: {capacity: {cpu: '4', memory: 16Gi, pods: '110'}}
";

const CONFIG_YAML: &str = "apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 50
profiles:
  - schedulerName: default-scheduler
  - schedulerName: most
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
            resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}]
";

const CONFIG_A_YAML: &str = "apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
";

const CONFIG_B_YAML: &str = "apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: most
    plugins:
      score:
        disabled: [{name: ImageLocality}]
    pluginConfig:
      - name: NodeResourcesFit
        args: {scoringStrategy: {type: MostAllocated}}
";

const PODS_YAML: &str = "apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: v1
kind: Pod
metadata: {name: p1, labels: {app: web}}
spec:
  priorityClassName: high
  containers:
    - name: c
      resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: p2, namespace: shop, labels: {app: db}}
spec:
  nodeSelector: {disk: ssd}
  tolerations: [{key: dedicated, operator: Equal, value: batch, effect: NoSchedule}]
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector: {matchLabels: {app: db}}
          topologyKey: kubernetes.io/hostname
  containers:
    - name: c
      resources: {requests: {cpu: '2', memory: 4Gi, nvidia.com/gpu: '1'}, limits: {nvidia.com/gpu: '1'}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
";

const APPS_YAML: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}
      containers: [{name: web, image: nginx, resources: {requests: {cpu: 250m, memory: 256Mi}}}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: agent, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch, annotations: {capsim.dev/run-time: 'uniform(1m,5m)'}}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, resources: {requests: {cpu: '1'}}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}}
";

const STATIC_YAML: &str = "apiVersion: v1
kind: Pod
metadata: {name: etcd, namespace: kube-system}
spec:
  containers: [{name: etcd, image: etcd, resources: {requests: {cpu: 100m, memory: 100Mi}}}]
";

const SYSTEM_AGENT_YAML: &str = "apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: a}}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
overhead: {podFixed: {cpu: 100m, memory: 64Mi}}
";

const SYSTEM_POLICY_YAML: &str = "apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
    - type: Container
      default: {cpu: 500m, memory: 512Mi}
      defaultRequest: {cpu: 100m, memory: 128Mi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota, namespace: shop}
spec: {hard: {pods: '20', requests.cpu: '10'}}
";

const NODES_CSV: &str = "sn,cpu_milli,memory_mib,gpu,model
openb-node-0000,32000,262144,0,
openb-node-0001,96000,786432,8,V100M32
openb-node-0002,64000,262144,2,T4
";

const PODS_CSV: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
openb-pod-0001,6000,12288,1,460,,LS,Running,427061,12902960,427061
openb-pod-0002,4000,8192,1,500,T4|V100M32,BE,Running,500000,600000,500000
openb-pod-0003,1000,1024,0,0,,LS,Running,500000,500100,500000
";

const PODS_UNTIMED_CSV: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli
openb-pod-0000,12000,16384,1,1000
openb-pod-0001,6000,12288,2,1000
";

const NODE_TYPES_YAML: &str = "apiVersion: capsim.dev/v1alpha1
kind: NodeTypes
nodeTypes:
  - name: small
    pricePerHour: 0.20
    max: 4
    allocatable: {cpu: '4', memory: 16Gi, pods: '110'}
";

/// The repository's `workloads/` folder, as this crate was built.
fn workloads_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads")
}

/// Copies `from` into `to`: CSV files cut to their first 50 lines, other files above 64 KB left
/// out (the scenario then fails to load them, which is fine).
fn copy_small(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            let _ = std::fs::create_dir_all(&dest);
            copy_small(&p, &dest);
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        if p.extension().is_some_and(|x| x == "csv") {
            if let Ok(text) = std::fs::read_to_string(&p) {
                let head: Vec<&str> = text.lines().take(50).collect();
                let _ = std::fs::write(&dest, head.join("\n") + "\n");
            }
        } else if meta.len() <= 64 * 1024 {
            let _ = std::fs::copy(&p, &dest);
        }
    }
}

/// A folder (inside [`work_dir`]) holding [`SUPPORT_FILES`] and a trimmed copy of the
/// repository's `workloads/`, so the bundled scenarios load as written. Built once per process.
pub fn support_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = work_dir().join("support");
        std::fs::create_dir_all(&d).expect("support folder");
        copy_small(&workloads_dir(), &d);
        for (name, text) in SUPPORT_FILES {
            write_in(&d, name, text.as_bytes());
        }
        d
    })
}
