//! Unknown fields in Pod, Node and workload manifests, found as `kubectl --validate=strict` (the
//! API server's strict field validation) finds them: every field name of the v1.35 types capsim
//! reads is known, and any other key is reported with its whole path
//! (`spec.containers[0].resources.requets`). Maps (labels, annotations, resource lists, node
//! selectors) and the types capsim does not read into (volumes, probes, status details, security
//! contexts, ...) are not descended into.

use std::path::Path;

use super::spans::{Node, Tree};
use crate::error::InputError;

/// The schema of one object type: its known fields, and for some the type of their value.
#[derive(Clone, Copy)]
enum Ty {
    /// Not checked (a map, a scalar, or a type capsim does not read).
    Any,
    /// An object with these fields: (name, type of value).
    Obj(&'static [(&'static str, Ty)]),
    /// A list of the given type.
    List(&'static Ty),
}

use Ty::{Any, List, Obj};

const META: Ty = Obj(&[
    ("name", Any),
    ("generateName", Any),
    ("namespace", Any),
    ("selfLink", Any),
    ("uid", Any),
    ("resourceVersion", Any),
    ("generation", Any),
    ("creationTimestamp", Any),
    ("deletionTimestamp", Any),
    ("deletionGracePeriodSeconds", Any),
    ("labels", Any),
    ("annotations", Any),
    ("ownerReferences", Any),
    ("finalizers", Any),
    ("managedFields", Any),
]);

const LABEL_SELECTOR: Ty = Obj(&[
    ("matchLabels", Any),
    ("matchExpressions", List(&Obj(&[("key", Any), ("operator", Any), ("values", Any)]))),
]);

const NODE_SELECTOR_TERM: Ty = Obj(&[
    ("matchExpressions", List(&Obj(&[("key", Any), ("operator", Any), ("values", Any)]))),
    ("matchFields", List(&Obj(&[("key", Any), ("operator", Any), ("values", Any)]))),
]);

const POD_AFFINITY_TERM: Ty = Obj(&[
    ("labelSelector", LABEL_SELECTOR),
    ("namespaces", Any),
    ("topologyKey", Any),
    ("namespaceSelector", LABEL_SELECTOR),
    ("matchLabelKeys", Any),
    ("mismatchLabelKeys", Any),
]);

const POD_AFFINITY: Ty = Obj(&[
    ("requiredDuringSchedulingIgnoredDuringExecution", List(&POD_AFFINITY_TERM)),
    (
        "preferredDuringSchedulingIgnoredDuringExecution",
        List(&Obj(&[("weight", Any), ("podAffinityTerm", POD_AFFINITY_TERM)])),
    ),
]);

const AFFINITY: Ty = Obj(&[
    (
        "nodeAffinity",
        Obj(&[
            (
                "requiredDuringSchedulingIgnoredDuringExecution",
                Obj(&[("nodeSelectorTerms", List(&NODE_SELECTOR_TERM))]),
            ),
            (
                "preferredDuringSchedulingIgnoredDuringExecution",
                List(&Obj(&[("weight", Any), ("preference", NODE_SELECTOR_TERM)])),
            ),
        ]),
    ),
    ("podAffinity", POD_AFFINITY),
    ("podAntiAffinity", POD_AFFINITY),
]);

const RESOURCES: Ty = Obj(&[("limits", Any), ("requests", Any), ("claims", Any)]);

const CONTAINER: Ty = Obj(&[
    ("name", Any),
    ("image", Any),
    ("command", Any),
    ("args", Any),
    ("workingDir", Any),
    (
        "ports",
        List(&Obj(&[
            ("name", Any),
            ("hostPort", Any),
            ("containerPort", Any),
            ("protocol", Any),
            ("hostIP", Any),
        ])),
    ),
    ("envFrom", Any),
    ("env", Any),
    ("resources", RESOURCES),
    ("resizePolicy", Any),
    ("restartPolicy", Any),
    ("restartPolicyRules", Any),
    ("volumeMounts", Any),
    ("volumeDevices", Any),
    ("livenessProbe", Any),
    ("readinessProbe", Any),
    ("startupProbe", Any),
    ("lifecycle", Any),
    ("terminationMessagePath", Any),
    ("terminationMessagePolicy", Any),
    ("imagePullPolicy", Any),
    ("securityContext", Any),
    ("stdin", Any),
    ("stdinOnce", Any),
    ("tty", Any),
]);

const POD_SPEC: Ty = Obj(&[
    ("volumes", Any),
    ("initContainers", List(&CONTAINER)),
    ("containers", List(&CONTAINER)),
    ("ephemeralContainers", Any),
    ("restartPolicy", Any),
    ("terminationGracePeriodSeconds", Any),
    ("activeDeadlineSeconds", Any),
    ("dnsPolicy", Any),
    ("nodeSelector", Any),
    ("serviceAccountName", Any),
    ("serviceAccount", Any),
    ("automountServiceAccountToken", Any),
    ("nodeName", Any),
    ("hostNetwork", Any),
    ("hostPID", Any),
    ("hostIPC", Any),
    ("shareProcessNamespace", Any),
    ("securityContext", Any),
    ("imagePullSecrets", Any),
    ("hostname", Any),
    ("hostnameOverride", Any),
    ("subdomain", Any),
    ("affinity", AFFINITY),
    ("schedulerName", Any),
    (
        "tolerations",
        List(&Obj(&[
            ("key", Any),
            ("operator", Any),
            ("value", Any),
            ("effect", Any),
            ("tolerationSeconds", Any),
        ])),
    ),
    ("hostAliases", Any),
    ("priorityClassName", Any),
    ("priority", Any),
    ("dnsConfig", Any),
    ("readinessGates", Any),
    ("runtimeClassName", Any),
    ("enableServiceLinks", Any),
    ("preemptionPolicy", Any),
    ("overhead", Any),
    (
        "topologySpreadConstraints",
        List(&Obj(&[
            ("maxSkew", Any),
            ("topologyKey", Any),
            ("whenUnsatisfiable", Any),
            ("labelSelector", LABEL_SELECTOR),
            ("minDomains", Any),
            ("nodeAffinityPolicy", Any),
            ("nodeTaintsPolicy", Any),
            ("matchLabelKeys", Any),
        ])),
    ),
    ("setHostnameAsFQDN", Any),
    ("os", Any),
    ("hostUsers", Any),
    ("schedulingGates", Any),
    ("resourceClaims", Any),
    ("resources", RESOURCES),
    ("workloadRef", Any),
]);

const TEMPLATE: Ty = Obj(&[("metadata", META), ("spec", POD_SPEC)]);

const POD: Ty =
    Obj(&[("apiVersion", Any), ("kind", Any), ("metadata", META), ("spec", POD_SPEC), ("status", Any)]);

const NODE: Ty = Obj(&[
    ("apiVersion", Any),
    ("kind", Any),
    ("metadata", META),
    (
        "spec",
        Obj(&[
            ("podCIDR", Any),
            ("podCIDRs", Any),
            ("providerID", Any),
            ("unschedulable", Any),
            ("taints", List(&Obj(&[("key", Any), ("value", Any), ("effect", Any), ("timeAdded", Any)]))),
            ("configSource", Any),
            ("externalID", Any),
        ]),
    ),
    (
        "status",
        Obj(&[
            ("capacity", Any),
            ("allocatable", Any),
            ("phase", Any),
            ("conditions", Any),
            ("addresses", Any),
            ("daemonEndpoints", Any),
            ("nodeInfo", Any),
            ("images", Any),
            ("volumesInUse", Any),
            ("volumesAttached", Any),
            ("config", Any),
            ("runtimeHandlers", Any),
            ("features", Any),
            ("declaredFeatures", Any),
        ]),
    ),
]);

const DEPLOYMENT: Ty = Obj(&[
    ("apiVersion", Any),
    ("kind", Any),
    ("metadata", META),
    (
        "spec",
        Obj(&[
            ("replicas", Any),
            ("selector", LABEL_SELECTOR),
            ("template", TEMPLATE),
            ("strategy", Any),
            ("minReadySeconds", Any),
            ("revisionHistoryLimit", Any),
            ("paused", Any),
            ("progressDeadlineSeconds", Any),
        ]),
    ),
    ("status", Any),
]);

const REPLICA_SET: Ty = Obj(&[
    ("apiVersion", Any),
    ("kind", Any),
    ("metadata", META),
    (
        "spec",
        Obj(&[
            ("replicas", Any),
            ("minReadySeconds", Any),
            ("selector", LABEL_SELECTOR),
            ("template", TEMPLATE),
        ]),
    ),
    ("status", Any),
]);

const DAEMON_SET: Ty = Obj(&[
    ("apiVersion", Any),
    ("kind", Any),
    ("metadata", META),
    (
        "spec",
        Obj(&[
            ("selector", LABEL_SELECTOR),
            ("template", TEMPLATE),
            ("updateStrategy", Any),
            ("minReadySeconds", Any),
            ("revisionHistoryLimit", Any),
        ]),
    ),
    ("status", Any),
]);

const JOB: Ty = Obj(&[
    ("apiVersion", Any),
    ("kind", Any),
    ("metadata", META),
    (
        "spec",
        Obj(&[
            ("parallelism", Any),
            ("completions", Any),
            ("activeDeadlineSeconds", Any),
            ("podFailurePolicy", Any),
            ("successPolicy", Any),
            ("backoffLimit", Any),
            ("backoffLimitPerIndex", Any),
            ("maxFailedIndexes", Any),
            ("selector", LABEL_SELECTOR),
            ("manualSelector", Any),
            ("template", TEMPLATE),
            ("ttlSecondsAfterFinished", Any),
            ("completionMode", Any),
            ("suspend", Any),
            ("podReplacementPolicy", Any),
            ("managedBy", Any),
        ]),
    ),
    ("status", Any),
]);

/// The first unknown field of an object of `kind` (`Pod`, `Node`, `Deployment`, `ReplicaSet`,
/// `DaemonSet`, `Job`; other kinds are not checked): its path and the line of its key.
pub fn first_unknown_field(kind: &str, value: &Tree) -> Option<(String, usize)> {
    walk(schema(kind)?, value, "")
}

/// The message `kubectl --validate=strict` prints (the API server's strict decoding error).
pub fn unknown_field_message(kind: &str, api_version: &str, field: &str) -> String {
    format!(
        "{kind} in version {api_version:?} cannot be handled as a {kind}: strict decoding error: unknown field {field:?}"
    )
}

/// Checks every object of a manifest file (`docs`, its documents read untyped with their
/// lines, `List`s included) for unknown fields.
///
/// # Errors
/// [`InputError::Field`] at the line of the unknown key, with the field path and
/// [`unknown_field_message`].
pub fn check_documents(docs: &[Tree], path: &Path) -> Result<(), InputError> {
    docs.iter().try_for_each(|doc| check_value(doc, path))
}

fn check_value(v: &Tree, path: &Path) -> Result<(), InputError> {
    let kind = v.get("kind").and_then(Tree::as_str).unwrap_or("");
    if kind == "List" || (kind.ends_with("List") && v.get("items").is_some()) {
        for item in v.get("items").and_then(Tree::as_seq).into_iter().flatten() {
            check_value(item, path)?;
        }
        return Ok(());
    }
    let Some((field, line)) = first_unknown_field(kind, v) else { return Ok(()) };
    let api_version = v.get("apiVersion").and_then(Tree::as_str).unwrap_or("");
    let message = unknown_field_message(kind, api_version, &field);
    Err(InputError::Field { path: path.to_path_buf(), line, field, message })
}

/// A parsed document as [`has_unknown_field`] walks it: mappings and sequences.
pub trait UntypedNode {
    /// A mapping's (key, value) entries; `None` for anything else.
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Self)>>;
    /// A sequence's items; `None` for anything else.
    fn items(&self) -> Option<impl Iterator<Item = &Self>>;
}

/// Whether an object of `kind` holds a field [`first_unknown_field`] would report (without
/// building any path).
pub fn has_unknown_field<T: UntypedNode>(kind: &str, value: &T) -> bool {
    fn any<T: UntypedNode>(ty: Ty, value: &T) -> bool {
        match ty {
            Obj(fields) => value.entries().is_some_and(|mut e| {
                e.any(|(k, v)| match fields.iter().find(|(name, _)| *name == k) {
                    None => true,
                    Some((_, t)) => any(*t, v),
                })
            }),
            List(item) => value.items().is_some_and(|mut i| i.any(|v| any(*item, v))),
            Any => false,
        }
    }
    match schema(kind) {
        Some(ty) => any(ty, value),
        None => false,
    }
}

fn schema(kind: &str) -> Option<Ty> {
    Some(match kind {
        "Pod" => POD,
        "Node" => NODE,
        "Deployment" => DEPLOYMENT,
        "ReplicaSet" => REPLICA_SET,
        "DaemonSet" => DAEMON_SET,
        "Job" => JOB,
        _ => return None,
    })
}

fn walk(ty: Ty, value: &Tree, path: &str) -> Option<(String, usize)> {
    match (ty, &value.node) {
        (Obj(fields), Node::Map(entries)) => {
            for (k, v) in entries {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match fields.iter().find(|(name, _)| name == k) {
                    None => return Some((child, v.line as usize)),
                    Some((_, t)) => {
                        if let Some(found) = walk(*t, v, &child) {
                            return Some(found);
                        }
                    }
                }
            }
            None
        }
        (List(item), Node::Seq(items)) => {
            items.iter().enumerate().find_map(|(i, v)| walk(*item, v, &format!("{path}[{i}]")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::spans::documents;

    fn first(yaml: &str) -> Option<(String, usize)> {
        let doc = &documents(yaml).unwrap()[0];
        first_unknown_field(doc.get("kind").and_then(Tree::as_str).unwrap_or(""), doc)
    }

    #[test]
    fn misspelt_fields_are_found_with_their_path_and_line() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {x: y}}\nspec:\n  containers:\n  - name: c\n    resources:\n      requets:\n        cpu: 1\n";
        assert_eq!(first(pod), Some(("spec.containers[0].resources.requets".into(), 8)));
        let pod = "kind: Pod\nspec: {nodeSelecter: {a: b}, containers: []}\n";
        assert_eq!(first(pod), Some(("spec.nodeSelecter".into(), 2)));
        let ok = "kind: Pod\nmetadata: {annotations: {any: thing}}\nspec:\n  nodeSelector: {a: b}\n  volumes: [{name: v, emptyDir: {}}]\nstatus: {phase: Running}\n";
        assert_eq!(first(ok), None);
        let dep = "kind: Deployment\nspec:\n  template:\n    spec:\n      affinity:\n        podAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - topologyKey: z\n            labelSelecter: {}\n";
        assert_eq!(
            first(dep),
            Some((
                "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelecter"
                    .into(),
                9
            ))
        );
        assert_eq!(first("kind: ConfigMap\nbogus: 1\n"), None);
        assert_eq!(
            unknown_field_message("Pod", "v1", "spec.nodeSelecter"),
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.nodeSelecter\""
        );
    }
}
