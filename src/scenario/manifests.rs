//! Reads manifest files and folders into what a run creates: Pods (as arrivals), controllers
//! (DaemonSet, Deployment → ReplicaSet, ReplicaSet, Job), PriorityClasses, LimitRanges,
//! ResourceQuotas and PodDisruptionBudgets. Kinds capsim does not simulate (CRDs, RBAC,
//! Services, ConfigMaps, ...) are skipped and counted, never errors.

use std::path::{Path, PathBuf};

use super::refine_line;
use super::timeline::Dynamics;
use crate::api::convert::{
    builtin_priority, pdb_from_value, pod_to_model, replicaset_selector, validate_pod, validate_pod_spec,
    workload_selector_from_value,
};
use crate::api::names::{dns1123_label, dns1123_subdomain};
use crate::api::objects::{self as api, KubeObject};
use crate::api::workloads::PodTemplateSpec;
use crate::api::yaml::read_objects;
use crate::controllers::daemonset::DaemonSet;
use crate::controllers::job::{self, Job};
use crate::controllers::replicaset::{ReplicaSet, template_hash};
use crate::error::InputError;
use crate::model::pdb::PodDisruptionBudget;
use crate::time::RunTime;
use crate::time::SimTime;
use crate::workload::alibaba_openb::Arrival;

/// What the manifests of a scenario add to a run.
#[derive(Debug, Default)]
pub struct Collected {
    /// Standalone Pods.
    pub arrivals: Vec<Arrival>,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<PodDisruptionBudget>,
    /// Files read.
    pub files: Vec<PathBuf>,
    /// Line of each standalone Pod read, by (`namespace/name`, creation time ms): a second Pod of
    /// that name at that time is a duplicate.
    pub pod_lines: std::collections::BTreeMap<(String, i64), usize>,
}

/// The YAML files `path` names: itself, or the `.yaml`/`.yml`/`.json` files of a folder and its
/// sub-folders in name order. A symbolic link to a folder inside the folder is not followed (as
/// `find` does not), so a link to a parent cannot make the walk endless.
///
/// # Errors
/// An unreadable folder, a path that does not exist, or a folder without a manifest.
pub fn manifest_files(path: &Path) -> Result<Vec<PathBuf>, InputError> {
    let meta =
        std::fs::metadata(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    walk(path, &mut out)?;
    if out.is_empty() {
        return Err(InputError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the folder holds no .yaml, .yml or .json file (sub-folders included)",
            ),
        });
    }
    Ok(out)
}

/// Appends the manifests of folder `dir` and its sub-folders (not symbolic links to folders)
/// to `out`, in name order.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| InputError::Io { path: dir.to_path_buf(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            if !e.is_symlink() {
                walk(&e, out)?;
            }
        } else if e.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json") {
            out.push(e);
        }
    }
    Ok(())
}

/// Priority resolution while converting templates: the class's value, a built-in class, or 0
/// for a class not (yet) known — priority admission re-resolves every pod when it is created and
/// rejects pods naming an unknown class.
fn provisional_priority<'a>(dy: &'a Dynamics) -> impl Fn(&str) -> Option<i32> + 'a {
    move |n: &str| dy.priority_classes.resolve(n).or_else(|| builtin_priority(n)).or(Some(0))
}

/// Reads the manifests at `path` (a file or folder), all created at `at`, into `dy` and `out`.
///
/// # Errors
/// Unreadable files, malformed YAML, and objects capsim simulates with invalid fields, naming
/// file, line and field.
pub fn load(path: &Path, at: SimTime, dy: &mut Dynamics, out: &mut Collected) -> Result<(), InputError> {
    let files = manifest_files(path)?;
    // PriorityClasses first, so templates in any file resolve against them.
    let mut docs = Vec::new();
    for f in &files {
        let objects = read_objects(f)?;
        for obj in &objects {
            if let KubeObject::PriorityClass(pc) = &obj.value {
                dy.priority_classes.add_at(pc, f, obj.line, at)?;
            }
        }
        docs.push((f.clone(), objects));
    }
    for (f, objects) in docs {
        // Every error about an object is placed at the line of its field.
        let each = || -> Result<(), InputError> {
            for obj in objects {
                let line = obj.line;
                let value = obj.value;
                match value {
                    KubeObject::PriorityClass(_) => {}
                    KubeObject::Pod(pod) => {
                        validate_pod(&pod, &f, line)?;
                        let mut m = pod_to_model(&pod, &f, line, provisional_priority(dy))?;
                        dy.priority_classes.apply_policy(&pod, &mut m);
                        if let Some(prev) = out.pod_lines.insert((m.key(), at.as_millis()), line) {
                            let message = format!(
                                "pods {:?} already exists (defined at line {prev})",
                                pod.metadata.name
                            );
                            let e = InputError::Field {
                                path: f.clone(),
                                line,
                                field: "metadata.name".into(),
                                message,
                            };
                            return Err(e);
                        }
                        out.arrivals.push(Arrival { pod: m, created: at, deleted: None, line });
                    }
                    KubeObject::DaemonSet(ds) => {
                        let (ns, name) = names(&ds.metadata, &f, line, "DaemonSet")?;
                        let pod = template_pod(&ds.spec.template, &ns, &name, dy, &f, line)?;
                        always_restarts(&pod, "DaemonSet", &f, line)?;
                        dy.daemonsets.push(DaemonSet::new(ns, name, pod, at));
                    }
                    KubeObject::Deployment(d) => replica_set(&d, true, at, dy, &f, line)?,
                    KubeObject::ReplicaSet(d) => replica_set(&d, false, at, dy, &f, line)?,
                    KubeObject::Job(j) => {
                        let (ns, name) = names(&j.metadata, &f, line, "Job")?;
                        let template = template_pod(&j.spec.template, &ns, &name, dy, &f, line)?;
                        if template.restart_policy == crate::model::pod::RestartPolicy::Always {
                            let m =
                                "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""
                                    .to_string();
                            return Err(field(&f, line, "spec.template.spec.restartPolicy", m));
                        }
                        let annotation =
                            j.metadata.annotations.get(job::ANNOTATION_RUN_TIME).or_else(|| {
                                j.spec.template.metadata.annotations.get(job::ANNOTATION_RUN_TIME)
                            });
                        let run_time = match annotation {
                            None => RunTime::Fixed(job::DEFAULT_RUN_TIME_MS),
                            Some(v) => RunTime::parse(v).map_err(|m| {
                                field(
                                    &f,
                                    line,
                                    &format!("metadata.annotations.{}", job::ANNOTATION_RUN_TIME),
                                    m,
                                )
                            })?,
                        };
                        let positive = |v: Option<i32>, d: i32, fld: &str| -> Result<i32, InputError> {
                            let cap = super::caps::MAX_REPLICAS;
                            match v.unwrap_or(d) {
                                n if !(0..=cap).contains(&n) => Err(field(
                                    &f,
                                    line,
                                    fld,
                                    format!("{n}: must be from 0 to {cap} (the cap)"),
                                )),
                                n => Ok(n),
                            }
                        };
                        dy.jobs.push(Job {
                            completions: positive(j.spec.completions, 1, "spec.completions")?,
                            parallelism: positive(j.spec.parallelism, 1, "spec.parallelism")?,
                            backoff_limit: positive(j.spec.backoff_limit, 6, "spec.backoffLimit")?,
                            namespace: ns,
                            name,
                            run_time,
                            template,
                            created: at,
                        });
                    }
                    KubeObject::Other { kind, value, .. } => match kind.as_str() {
                        "Service" | "ReplicationController" | "StatefulSet" => {
                            // Read for PodTopologySpread's default selector; capsim runs no
                            // StatefulSet or ReplicationController, so those are also skipped.
                            if let Some(mut sel) = workload_selector_from_value(&kind, &value, &f, line)? {
                                sel.created = at;
                                dy.workload_selectors.push(sel);
                            }
                            if kind != "Service" {
                                *dy.skipped.entry(kind).or_insert(0) += 1;
                            }
                        }
                        "PodDisruptionBudget" => {
                            if let Some(pdb) = pdb_from_value(&kind, &value, &f, line)? {
                                out.pdbs.push(pdb);
                            }
                        }
                        "Namespace" => {
                            let name = value.pointer("/metadata/name").and_then(|v| v.as_str()).unwrap_or("");
                            if name.is_empty() {
                                return Err(field(
                                    &f,
                                    line,
                                    "metadata.name",
                                    "Required value: a Namespace needs a name".into(),
                                ));
                            }
                            let labels: std::collections::BTreeMap<String, String> =
                                match value.pointer("/metadata/labels") {
                                    None | Some(serde_json::Value::Null) => Default::default(),
                                    Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
                                        field(
                                            &f,
                                            line,
                                            "metadata.labels",
                                            format!("expected a map of strings: {e}"),
                                        )
                                    })?,
                                };
                            dy.namespaces.push((name.to_string(), labels));
                        }
                        "LimitRange" => {
                            let mut lr = crate::api::policy::limit_range_from_value(&value, &f, line)?;
                            lr.created = at;
                            dy.limit_ranges.push(lr)
                        }
                        "RuntimeClass" => {
                            let mut rc = crate::api::convert::runtime_class_from_value(&value, &f, line)?;
                            rc.created = at;
                            dy.runtime_classes.push(rc)
                        }
                        "ResourceQuota" => {
                            let mut q = crate::api::policy::resource_quota_from_value(&value, &f, line)?;
                            q.created = at;
                            dy.quotas.push(q)
                        }
                        _ => *dy.skipped.entry(kind).or_insert(0) += 1,
                    },
                    KubeObject::Node(_) => {
                        return Err(field(
                            &f,
                            line,
                            "kind",
                            "Node: nodes belong in spec.cluster.nodes".into(),
                        ));
                    }
                    KubeObject::List(_) => unreachable!("read_objects expands lists"),
                }
            }
            Ok(())
        };
        each().map_err(|e| refine_line(e, &f))?;
        out.files.push(f);
    }
    Ok(())
}

/// Gives the ReplicaSets capsim runs the manifest pods they own: a pod whose controller
/// reference (`metadata.ownerReferences` with `controller: true`) names an `apps/v1`
/// `ReplicaSet` of the manifests in the pod's namespace belongs to it, as upstream's ReplicaSet
/// controller adopts (`ClaimPods`) the pods its controller reference points to. The pod then
/// counts toward the ReplicaSet's replicas (a `kubectl get -o yaml` dump of a ReplicaSet and its
/// pods runs `replicas` pods, not twice as many), and the ReplicaSet replaces it when it ends.
pub fn adopt_owned_pods(arrivals: &mut [Arrival], dy: &Dynamics) {
    for a in arrivals {
        let Some(r) = a.pod.controller_ref() else { continue };
        if r.kind != "ReplicaSet" || r.group_version().map(|(g, _)| g) != Some("apps") {
            continue;
        }
        let pod = &a.pod;
        if let Some(i) =
            dy.replicasets.iter().position(|rs| rs.namespace == pod.namespace && rs.name == r.name)
        {
            a.pod.owner = Some(crate::model::Owner::ReplicaSet(i as u32));
        }
    }
}

/// The label the deployment controller adds to its ReplicaSet's selector and pods.
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// Adds a Deployment (as its one ReplicaSet, `<name>-<hash>`) or a bare ReplicaSet, and the
/// ReplicaSet's selector (PodTopologySpread's default constraints).
fn replica_set(
    d: &crate::api::workloads::Deployment,
    is_deployment: bool,
    at: SimTime,
    dy: &mut Dynamics,
    f: &Path,
    line: usize,
) -> Result<(), InputError> {
    let kind = if is_deployment { "Deployment" } else { "ReplicaSet" };
    let (ns, name) = names(&d.metadata, f, line, kind)?;
    let replicas = d.spec.replicas.unwrap_or(1);
    if !(0..=super::caps::MAX_REPLICAS).contains(&replicas) {
        return Err(field(
            f,
            line,
            "spec.replicas",
            format!("{replicas}: must be from 0 to {} (the cap)", super::caps::MAX_REPLICAS),
        ));
    }
    // The deployment controller names its ReplicaSet `<name>-<hash>` and adds the label
    // `pod-template-hash: <hash>` to the ReplicaSet's selector and pod template, so the API
    // server sees it on every pod (and merges it for `matchLabelKeys`).
    let mut rs = d.clone();
    rs.metadata.namespace = ns.clone();
    let rs_name = if is_deployment {
        let hash = template_hash(&format!("{ns}/{name}"));
        rs.spec.template.metadata.labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
        if let Some(sel) = rs.spec.selector.as_mut() {
            sel.match_labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
        }
        rs.metadata.name = format!("{name}-{hash}");
        rs.metadata.name.clone()
    } else {
        name.clone()
    };
    let template = template_pod(&rs.spec.template, &ns, &name, dy, f, line)?;
    always_restarts(&template, kind, f, line)?;
    if let Some(mut sel) = replicaset_selector(&rs, f, line)? {
        sel.created = at;
        dy.workload_selectors.push(sel);
    }
    // A dumped ReplicaSet names its Deployment in its controller reference.
    let controller_deployment = d
        .metadata
        .owner_references
        .iter()
        .find(|r| r.controller == Some(true))
        .filter(|r| !is_deployment && r.kind == "Deployment" && r.api_version.starts_with("apps/"))
        .map(|r| r.name.clone());
    dy.replicasets.push(ReplicaSet {
        name: rs_name,
        namespace: ns,
        deployment: is_deployment.then_some(name),
        controller_deployment,
        replicas,
        template,
        created: at,
    });
    Ok(())
}

/// Hands each Deployment of the manifests the ReplicaSets of the manifests that its controller
/// reference claims (a `kubectl get -o yaml` dump holds both), as upstream's deployment
/// controller adopts them instead of creating its own: the one with the most replicas (the
/// first on ties) becomes the Deployment's ReplicaSet with the Deployment's `replicas`, the
/// others are old ReplicaSets scaled to 0, and the ReplicaSet capsim would have made
/// (`<name>-<hash>`) and its selector are dropped. Call before [`adopt_owned_pods`].
pub fn merge_dumped_replicasets(dy: &mut Dynamics) {
    let mut dropped = Vec::new();
    for g in 0..dy.replicasets.len() {
        // Only the ReplicaSets capsim makes for Deployments (a dumped one handed over already
        // has `controller_deployment`).
        if dy.replicasets[g].controller_deployment.is_some() {
            continue;
        }
        let Some(dep) = dy.replicasets[g].deployment.clone() else { continue };
        let ns = dy.replicasets[g].namespace.clone();
        let rs = &dy.replicasets;
        let claimed: Vec<usize> = (0..rs.len())
            .filter(|&j| {
                rs[j].deployment.is_none()
                    && rs[j].namespace == ns
                    && rs[j].controller_deployment.as_deref() == Some(dep.as_str())
            })
            .collect();
        let Some(&current) = claimed.iter().max_by_key(|&&j| (rs[j].replicas, std::cmp::Reverse(j))) else {
            continue;
        };
        let replicas = rs[g].replicas;
        for &j in &claimed {
            dy.replicasets[j].replicas = if j == current { replicas } else { 0 };
        }
        dy.replicasets[current].deployment = Some(dep);
        dropped.push(g);
    }
    for g in dropped.into_iter().rev() {
        let gone = dy.replicasets.remove(g);
        dy.workload_selectors.retain(|w| {
            !(w.kind == crate::model::SelectorKind::ReplicaSet
                && w.namespace == gone.namespace
                && w.name == gone.name)
        });
    }
}

/// API validation of a DaemonSet, Deployment or ReplicaSet template: `restartPolicy` must be
/// `Always`.
fn always_restarts(pod: &crate::model::Pod, kind: &str, f: &Path, line: usize) -> Result<(), InputError> {
    if pod.restart_policy == crate::model::pod::RestartPolicy::Always {
        return Ok(());
    }
    let m = format!("Unsupported value: {:?}: a {kind}'s pods must use \"Always\"", pod.restart_policy);
    Err(field(f, line, "spec.template.spec.restartPolicy", m))
}

fn field(path: &Path, line: usize, field: &str, message: String) -> InputError {
    InputError::Field { path: path.to_path_buf(), line, field: field.into(), message }
}

/// (namespace, name) of a controller; the namespace defaults to `default`.
fn names(
    meta: &api::ObjectMeta,
    path: &Path,
    line: usize,
    kind: &str,
) -> Result<(String, String), InputError> {
    if meta.name.is_empty() {
        return Err(field(path, line, "metadata.name", format!("Required value: a {kind} needs a name")));
    }
    let invalid = |f: &str, v: &str, m: Option<String>| match m {
        None => Ok(()),
        Some(m) => Err(field(path, line, f, format!("Invalid value: {v:?}: {m}"))),
    };
    invalid("metadata.name", &meta.name, dns1123_subdomain(&meta.name).into_iter().next())?;
    if !meta.namespace.is_empty() {
        invalid("metadata.namespace", &meta.namespace, dns1123_label(&meta.namespace).into_iter().next())?;
    }
    let ns = if meta.namespace.is_empty() { "default".to_string() } else { meta.namespace.clone() };
    Ok((ns, meta.name.clone()))
}

/// Converts a controller's pod template into a model pod in `ns`, named after the controller
/// (controllers rename each pod they create).
fn template_pod(
    t: &PodTemplateSpec,
    ns: &str,
    name: &str,
    dy: &Dynamics,
    path: &Path,
    line: usize,
) -> Result<crate::model::Pod, InputError> {
    let mut meta = t.metadata.clone();
    meta.namespace = ns.to_string();
    meta.name = name.to_string();
    let pod = api::Pod { metadata: meta, spec: t.spec.clone(), ..Default::default() };
    if pod.spec.containers.is_empty() {
        return Err(field(
            path,
            line,
            "spec.template.spec.containers",
            "Required value: a pod template needs at least one container".into(),
        ));
    }
    validate_pod_spec(&pod.spec, path, line, "spec.template.spec")?;
    let mut m = pod_to_model(&pod, path, line, provisional_priority(dy)).map_err(|e| match e {
        InputError::Field { path, line, field, message } => {
            InputError::Field { path, line, field: format!("spec.template.{field}"), message }
        }
        other => other,
    })?;
    dy.priority_classes.apply_policy(&pod, &mut m);
    Ok(m)
}
