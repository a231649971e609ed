//! Input that upstream refuses is refused (issue 15, part 3): the `capsim` binary on a bad file
//! exits with code 2 and one message naming file, line and field, in upstream's wording
//! (kube-scheduler's strict config decoding; the API server's `pkg/apis/core/validation`).

use std::path::{Path, PathBuf};
use std::process::Command;

const NODES: &str = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  allocatable:\n    cpu: \"4\"\n    memory: 8Gi\n    pods: \"110\"\n";
const PODS_CSV: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\np0,1000,1024,0,0,,LS,Running,0,10,0\n";
const CONFIG: &str = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n  - schedulerName: default-scheduler\n";
const POD: &str =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\nspec:\n  containers:\n  - name: c\n    image: nginx\n";

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// A scenario with `nodes.yaml`, `config.yaml` and a workload of `pods.csv` (`manifest`:
    /// `pods.yaml` instead).
    fn new(manifest: bool) -> Self {
        let s = Scratch { dir: tempfile::tempdir().unwrap() };
        s.write("nodes.yaml", NODES);
        s.write("pods.csv", PODS_CSV);
        s.write("pods.yaml", POD);
        s.write("config.yaml", CONFIG);
        let workload = if manifest {
            "- manifest: {path: pods.yaml}"
        } else {
            "- trace: {format: alibaba-openb, path: pods.csv}"
        };
        s.write(
            "scenario.yaml",
            &format!("apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: scratch\nspec:\n  cluster:\n    nodes:\n      - manifest: {{path: nodes.yaml}}\n  scheduler:\n    config: config.yaml\n  workload:\n    {workload}\n"),
        );
        s
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Runs `capsim validate` and `capsim run` and asserts both exit 2 with one line holding
    /// every needle.
    fn assert_refused(&self, needles: &[&str]) {
        let scenario = self.path("scenario.yaml");
        for args in [
            vec!["validate", scenario.to_str().unwrap()],
            vec!["run", scenario.to_str().unwrap(), "--quiet", "--out", self.path("out").to_str().unwrap()],
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_capsim")).args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "one message, got: {stderr}");
            for n in needles {
                assert!(stderr.contains(n), "{args:?} should mention {n:?}: {stderr}");
            }
        }
        assert!(!Path::new(&self.path("out")).exists());
    }
}

#[test]
fn the_scratch_scenarios_are_valid() {
    for manifest in [false, true] {
        let s = Scratch::new(manifest);
        let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
            .args(["validate", s.path("scenario.yaml").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn scheduler_configuration_is_decoded_strictly() {
    for (bad, line, field) in [
        ("profile:\n  - schedulerName: x\n", "config.yaml:5", "unknown field \"profile\""),
        ("percentageOfNodeToScore: 50\n", "config.yaml:5", "unknown field \"percentageOfNodeToScore\""),
        ("    plugin:\n      score: {}\n", "config.yaml:5", "unknown field \"profiles[0].plugin\""),
        (
            "leaderElection: {leaderElect: false, bogus: 1}\n",
            "config.yaml:5",
            "unknown field \"leaderElection.bogus\"",
        ),
        ("clientConnection: {qpss: 5}\n", "config.yaml:5", "unknown field \"clientConnection.qpss\""),
        (
            "extenders: [{urlPrefix: 'http://x', bogusVerb: 1}]\n",
            "config.yaml:5",
            "unknown field \"extenders[0].bogusVerb\"",
        ),
    ] {
        let s = Scratch::new(false);
        s.write("config.yaml", &format!("{CONFIG}{bad}"));
        s.assert_refused(&[line, "strict decoding error", field]);
    }
    // Plugin args are decoded strictly too.
    let s = Scratch::new(false);
    s.write(
        "config.yaml",
        &format!("{CONFIG}    pluginConfig:\n      - name: NodeResourcesFit\n        args:\n          scoringStrategy: {{type: LeastAllocated}}\n          scoringStrategyy: {{}}\n"),
    );
    s.assert_refused(&["config.yaml", "pluginConfig[0].args", "unknown field `scoringStrategyy`"]);
}

#[test]
fn a_node_without_a_valid_name_is_refused() {
    let s = Scratch::new(false);
    s.write("nodes.yaml", &NODES.replace("  name: n1\n", "  labels: {a: b}\n"));
    s.assert_refused(&["nodes.yaml", "metadata.name", "Required value: name or generateName is required"]);
    let s = Scratch::new(false);
    s.write("nodes.yaml", &NODES.replace("name: n1", "name: Node_1"));
    s.assert_refused(&[
        "nodes.yaml:4",
        "metadata.name",
        "Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain",
    ]);
}

#[test]
fn duplicate_pod_names_are_refused() {
    let s = Scratch::new(false);
    s.write("pods.csv", &format!("{PODS_CSV}p0,500,512,0,0,,LS,Running,5,10,0\n"));
    s.assert_refused(&["pods.csv:3", "name", "pods \"p0\" already exists"]);
    let s = Scratch::new(true);
    s.write("pods.yaml", &format!("{POD}---\n{POD}"));
    s.assert_refused(&["pods.yaml:13", "metadata.name", "pods \"p1\" already exists"]);
}

#[test]
fn bad_names_and_labels_are_refused() {
    let s = Scratch::new(false);
    s.write("pods.csv", &PODS_CSV.replace("p0,", "P_0,"));
    s.assert_refused(&["pods.csv:2", "Invalid value: \"P_0\": a lowercase RFC 1123 subdomain"]);
    let s = Scratch::new(true);
    s.write("pods.yaml", &POD.replace("  name: p1\n", "  name: p1\n  namespace: My.NS\n"));
    s.assert_refused(&[
        "pods.yaml:5",
        "metadata.namespace",
        "Invalid value: \"My.NS\": a lowercase RFC 1123 label",
    ]);
    let s = Scratch::new(true);
    s.write("pods.yaml", &POD.replace("  name: p1\n", "  name: p1\n  labels:\n    app: -web\n"));
    s.assert_refused(&[
        "pods.yaml:5",
        "metadata.labels",
        "Invalid value: \"-web\": a valid label must be an empty string",
    ]);
}

#[test]
fn affinity_spread_and_port_errors_are_refused() {
    let spec = |extra: &str| format!("{POD}{extra}");
    for (extra, needles) in [
        (
            "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: []\n",
            vec![
                "pods.yaml:12",
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
                "Required value: must have at least one node selector term",
            ],
        ),
        (
            "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: cores, operator: Gt, values: [\"1\", \"2\"]}\n",
            vec![
                "nodeSelectorTerms[0].matchExpressions[0].values",
                "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
            ],
        ),
        (
            "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {a: b}}\n        topologyKey: \"\"\n",
            vec![
                "pods.yaml:13",
                "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
                "Required value: can not be empty",
            ],
        ),
        (
            "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: \"\"\n    whenUnsatisfiable: DoNotSchedule\n",
            vec![
                "pods.yaml:11",
                "spec.topologySpreadConstraints[0].topologyKey",
                "Required value: can not be empty",
            ],
        ),
    ] {
        let s = Scratch::new(true);
        s.write("pods.yaml", &spec(extra));
        s.assert_refused(&needles);
    }
    for (ports, needles) in [
        (
            "    ports:\n    - containerPort: 70000\n",
            vec![
                "pods.yaml:10",
                "spec.containers[0].ports[0].containerPort",
                "Invalid value: 70000: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            "    ports:\n    - hostPort: 80\n",
            vec!["spec.containers[0].ports[0].containerPort", "Required value"],
        ),
        (
            "    ports:\n    - {containerPort: 80, hostPort: -1}\n",
            vec![
                "spec.containers[0].ports[0].hostPort",
                "Invalid value: -1: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            "    ports:\n    - {containerPort: 80, protocol: udp}\n",
            vec![
                "spec.containers[0].ports[0].protocol",
                "Unsupported value: \"udp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ],
        ),
        ("  - name: c\n    image: busybox\n", vec!["spec.containers[1].name", "Duplicate value: \"c\""]),
        (
            "  - name: C_1\n    image: busybox\n",
            vec!["spec.containers[1].name", "Invalid value: \"C_1\": a lowercase RFC 1123 label"],
        ),
    ] {
        let s = Scratch::new(true);
        s.write("pods.yaml", &spec(ports));
        s.assert_refused(&needles);
    }
}

#[test]
fn template_specs_are_validated_too() {
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        ports:\n        - containerPort: 0\n          hostPort: 8080\n",
    );
    s.assert_refused(&[
        "pods.yaml",
        "spec.template.spec.containers[0].ports[0].containerPort",
        "Required value",
    ]);
}

#[test]
fn unknown_fields_in_manifests_are_refused_as_kubectl_validate_strict_does() {
    let s = Scratch::new(true);
    s.write("pods.yaml", &format!("{POD}    resources:\n      requets: {{cpu: 100m}}\n"));
    s.assert_refused(&[
        "pods.yaml:10",
        "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].resources.requets\"",
    ]);
    let s = Scratch::new(true);
    s.write("pods.yaml", &format!("{POD}  nodeSelecter: {{disk: ssd}}\n"));
    s.assert_refused(&["pods.yaml:9", "unknown field \"spec.nodeSelecter\""]);
    let s = Scratch::new(false);
    s.write("nodes.yaml", &NODES.replace("status:\n", "spec:\n  unschedulabel: true\nstatus:\n"));
    s.assert_refused(&["nodes.yaml:6", "Node in version \"v1\" cannot be handled as a Node: strict decoding error: unknown field \"spec.unschedulabel\""]);
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        resourcess: {}\n",
    );
    s.assert_refused(&["pods.yaml:14", "unknown field \"spec.template.spec.containers[0].resourcess\""]);
    // Fields upstream has and capsim does not read are accepted.
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        &format!("{POD}    livenessProbe: {{httpGet: {{path: /, port: 80}}}}\n  dnsPolicy: ClusterFirst\n  volumes: [{{name: v, emptyDir: {{}}}}]\nstatus: {{phase: Pending, conditions: []}}\n"),
    );
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["validate", s.path("scenario.yaml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A big `List` is read item by item in parallel; an error in its last item (the 50,000th; the
/// 5,000th in a debug build, where the general reader the error is left to is slow) still names
/// the file, the line of the field in that item and the field.
#[test]
fn an_error_deep_in_a_big_list_names_its_line() {
    let n: usize = if cfg!(debug_assertions) { 5_000 } else { 50_000 };
    let list = |bad: &str| {
        let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
        for i in 1..=n {
            let extra = if i == n { bad } else { "" };
            text.push_str(&format!(
                "- apiVersion: v1\n  kind: Pod\n  metadata: {{name: p{i}}}\n  spec:\n{extra}    containers:\n    - {{name: c, image: nginx}}\n"
            ));
        }
        text
    };
    // Item n starts on line 3 + 6 × (n - 1) + 1; its fifth line is the bad field.
    let line = 3 + 6 * (n - 1) + 5;
    let s = Scratch::new(true);
    s.write("pods.yaml", &list("    nodeSelecter: {disk: ssd}\n"));
    s.assert_refused(&[&format!("pods.yaml:{line}"), "unknown field \"spec.nodeSelecter\""]);
    let s = Scratch::new(true);
    s.write("pods.yaml", &list("    priority: high\n"));
    s.assert_refused(&[&format!("pods.yaml:{line}"), &format!("items[{}].spec.priority", n - 1)]);
}

/// Node affinity as v1.35's `ValidateNodeSelectorRequirement` / `ValidatePreferredSchedulingTerms`
/// see it: values of *required* terms must be valid label values, preferred weights 1-100; a
/// non-integer `Gt`/`Lt` value is accepted (the scheduler cannot parse it: see the plugin tests).
#[test]
fn node_affinity_values_and_weights_as_the_api_server_checks_them() {
    let required = |expr: &str| {
        format!(
            "{POD}  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {expr}\n"
        )
    };
    let s = Scratch::new(true);
    s.write("pods.yaml", &required("{key: zone, operator: In, values: [\"eu west\"]}"));
    s.assert_refused(&[
        "pods.yaml",
        "nodeSelectorTerms[0].matchExpressions[0].values[0]",
        "Invalid value: \"eu west\": a valid label must be an empty string or consist of alphanumeric characters",
    ]);
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        &format!(
            "{POD}  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 0\n        preference:\n          matchExpressions: [{{key: zone, operator: In, values: [a]}}]\n"
        ),
    );
    s.assert_refused(&[
        "pods.yaml",
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
        "Invalid value: 0: must be in the range 1-100",
    ]);
    // Accepted: a non-integer Gt (required) and an invalid label value in a preferred term.
    let s = Scratch::new(true);
    s.write("pods.yaml", &required("{key: cores, operator: Gt, values: [\"4.5\"]}"));
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["validate", s.path("scenario.yaml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    s.write(
        "pods.yaml",
        &format!(
            "{POD}  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 5\n        preference:\n          matchExpressions: [{{key: zone, operator: In, values: [\"eu west\"]}}]\n"
        ),
    );
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["validate", s.path("scenario.yaml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Pod-level `spec.resources` as `validatePodResources` checks them (v1.35, PodLevelResources on).
#[test]
fn invalid_pod_level_resources_are_refused() {
    let s = Scratch::new(true);
    s.write("pods.yaml", &POD.replace("spec:\n", "spec:\n  resources:\n    limits: {nvidia.com/gpu: 1}\n"));
    s.assert_refused(&[
        "pods.yaml:7",
        "spec.resources.limits[nvidia.com/gpu]",
        "Unsupported value: \"nvidia.com/gpu\": supported values: \"cpu\", \"hugepages-\", \"memory\"",
    ]);
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        &format!(
            "{}    resources: {{requests: {{cpu: 1500m}}}}\n",
            POD.replace("spec:\n", "spec:\n  resources:\n    requests: {cpu: 1}\n")
        ),
    );
    s.assert_refused(&[
        "pods.yaml",
        "spec.resources.requests[cpu]",
        "Invalid value: \"1\": must be greater than or equal to aggregate container requests of 1500m",
    ]);
}

/// `metadata.ownerReferences` as apimachinery's `ValidateOwnerReferences` checks them: every
/// reference needs apiVersion (with a version), kind, name and uid; an Event owns nothing; at
/// most one controller. Upstream's field path has no index.
#[test]
fn invalid_owner_references_are_refused() {
    let with = |refs: &str| POD.replace("  name: p1\n", &format!("  name: p1\n  ownerReferences:\n{refs}"));
    for (refs, needles) in [
        (
            "  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-1}\n",
            vec!["pods.yaml:5", "metadata.ownerReferences.uid", "Invalid value: \"\": uid must not be empty"],
        ),
        (
            "  - {apiVersion: apps/, kind: ReplicaSet, name: web-1, uid: u1}\n",
            vec![
                "metadata.ownerReferences.apiVersion",
                "Invalid value: \"apps/\": version must not be empty",
            ],
        ),
        (
            "  - {apiVersion: v1, name: x, uid: u1}\n",
            vec!["metadata.ownerReferences.kind", "Invalid value: \"\": kind must not be empty"],
        ),
        (
            "  - {apiVersion: v1, kind: Event, name: e, uid: u1}\n",
            vec!["metadata.ownerReferences", "/v1, Kind=Event is disallowed from being an owner"],
        ),
        (
            "  - {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: u1, controller: true}\n  - {apiVersion: apps/v1, kind: StatefulSet, name: b, uid: u2, controller: true}\n",
            vec![
                "metadata.ownerReferences",
                "Only one reference can have Controller set to true. Found \"true\" in references for ReplicaSet/a and StatefulSet/b",
            ],
        ),
    ] {
        let s = Scratch::new(true);
        s.write("pods.yaml", &with(refs));
        s.assert_refused(&needles);
    }
    // A controller and a plain owner are fine.
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        &with("  - {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: u1, controller: true}\n  - {apiVersion: v1, kind: ConfigMap, name: c, uid: u2}\n"),
    );
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["validate", s.path("scenario.yaml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A `kubectl get pods -o yaml` dump (`items:` before `kind: List`, as kubectl sorts keys) of
/// `n` Pods; item `i` starts at line `3 + 8 * i`.
fn kubectl_dump(n: usize) -> String {
    let mut text = String::from("apiVersion: v1\nitems:\n");
    for i in 0..n {
        text.push_str(&format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n  spec:\n    containers:\n    - name: c\n      resources: {{requests: {{cpu: 100m}}}}\n"
        ));
    }
    text + "kind: List\nmetadata:\n  resourceVersion: \"\"\n"
}

#[test]
fn errors_in_a_kubectl_dump_name_their_own_line() {
    let item = |i: usize| 3 + 8 * i;
    let s = Scratch::new(true);
    s.write("pods.yaml", &kubectl_dump(60));
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["validate", s.path("scenario.yaml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A value of the wrong type (this used to have no line at all).
    let s = Scratch::new(true);
    s.write("pods.yaml", &kubectl_dump(60).replace("name: p41\n", "name: p41\n    labels: [a]\n"));
    s.assert_refused(&[
        &format!("pods.yaml:{}: field `items[41].metadata.labels`", item(41) + 4),
        "expected a mapping (`key: value` entries)",
    ]);
    // A misspelt field.
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        &kubectl_dump(60).replace("name: p57\n  spec:\n", "name: p57\n  spec:\n    nodeSelecter: {a: b}\n"),
    );
    s.assert_refused(&[
        &format!("pods.yaml:{}: field `spec.nodeSelecter`", item(57) + 5),
        "strict decoding error: unknown field \"spec.nodeSelecter\"",
    ]);
}

/// An unclosed flow collection is a syntax error at its line, in a scenario, a scheduler
/// configuration and a manifest alike, even where a value of the wrong type comes first (the
/// typed parse meets `[1` as a `seed` before the parser finds the bracket never closed).
#[test]
fn an_unclosed_bracket_is_a_syntax_error_not_a_wrong_type() {
    let s = Scratch::new(true);
    let scenario = std::fs::read_to_string(s.path("scenario.yaml")).unwrap();
    s.write("scenario.yaml", &scenario.replace("spec:\n", "spec:\n  seed: [1\n"));
    s.assert_refused(&["scenario.yaml:7", "illegal placement of ':' indicator"]);
    let s = Scratch::new(true);
    s.write(
        "config.yaml",
        &format!("{CONFIG}    plugins: {{score: {{enabled: [{{name: NodeResourcesFit}}\n"),
    );
    s.assert_refused(&["config.yaml:5", "unclosed bracket '['"]);
    let s = Scratch::new(true);
    s.write(
        "pods.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\nspec:\n  containers: [{name: c, image: nginx\n",
    );
    s.assert_refused(&["pods.yaml:6", "unclosed bracket '{'"]);
}
