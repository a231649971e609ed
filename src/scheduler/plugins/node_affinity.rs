//! NodeAffinity: `spec.nodeSelector` and required node affinity as a Filter (with a PreFilter that
//! narrows DaemonSet-style `matchFields metadata.name` pods to their nodes), preferred node
//! affinity as a Score, and the profile's `addedAffinity`. Required terms that upstream cannot
//! parse (bad key, bad label value, ...) match no node; a preferred term that does not parse makes
//! PreScore fail; a bad `addedAffinity` is a configuration error.
//! Mirrors `pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go` (v1.35).

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::model::{
    Cluster, NodeAffinity as PodNodeAffinity, NodeId, NodeInfo, NodeSelector, NodeSelectorOperator, Pod,
    PreferredSchedulingTerm,
};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, MAX_NODE_SCORE, Plugin, PreFilterOutcome, PreFilterPlugin, PreScorePlugin,
    ScorePlugin, Status,
};
use crate::scheduler::plugins::taint_toleration::default_normalize_score;

/// Upstream name.
pub const NAME: &str = "NodeAffinity";
/// Reason when the pod's own selector/affinity does not match.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// Reason when the profile's `addedAffinity` does not match.
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
/// PreFilter reason when every term names nodes and the names conflict.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// `NodeAffinityArgs`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    added_affinity: Option<serde_json::Value>,
}

/// The NodeAffinity plugin with its `addedAffinity` from the profile's args.
#[derive(Debug, Default)]
pub struct NodeAffinity {
    added: Option<PodNodeAffinity>,
}

impl NodeAffinity {
    /// Builds the plugin from its `NodeAffinityArgs` (`Value::Null` for defaults).
    ///
    /// # Errors
    /// Args that are not a `NodeAffinityArgs` object.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        if args.is_null() {
            return Ok(Self::default());
        }
        let a: Args =
            serde_json::from_value(args.clone()).map_err(|e| format!("invalid NodeAffinityArgs: {e}"))?;
        let added = match a.added_affinity {
            None => None,
            Some(v) => Some(added_affinity_from_value(&v)?),
        };
        Ok(Self { added })
    }

    /// Builds the plugin with an explicit `addedAffinity`.
    pub fn with_added_affinity(added: Option<PodNodeAffinity>) -> Self {
        Self { added }
    }
}

/// Decodes `addedAffinity` (a v1 NodeAffinity object) through the same conversion pod node
/// affinity takes.
fn added_affinity_from_value(v: &serde_json::Value) -> Result<PodNodeAffinity, String> {
    let na: crate::api::objects::NodeAffinity =
        serde_json::from_value(v.clone()).map_err(|e| format!("addedAffinity: {e}"))?;
    let added = crate::api::convert::node_affinity_to_model(
        &na,
        std::path::Path::new("<pluginConfig>"),
        0,
        "addedAffinity",
    )
    .map_err(|e| e.to_string())?;
    // Upstream parses the added selector and preferred terms eagerly: a bad term is a config error.
    let required = added.required.iter().flat_map(|s| s.terms.iter());
    let preferred = added.preferred.iter().filter(|t| t.weight != 0).map(|t| &t.preference);
    if let Some(e) = required.chain(preferred).find_map(|t| t.parse_error()) {
        return Err(format!("addedAffinity: {e}"));
    }
    Ok(added)
}

/// The parse errors of the pod's preferred terms, worded as upstream's
/// `NewPreferredSchedulingTerms` returns them (`errors.Flatten(NewAggregate(errs))`): terms with
/// weight 0 or nothing in them are skipped; each error is a `field.Error` under the term's index
/// (`[0].preference.matchExpressions[0].values[0]: Invalid value: "abc": for 'Gt', 'Lt'
/// operators, the value must be an integer`); repeated messages appear once and several are
/// bracketed, as Go's aggregate prints them. `None` when every term parses.
fn preferred_parse_error(pod: &Pod) -> Option<String> {
    let terms = pod.node_affinity.as_ref().map_or(&[][..], |a| &a.preferred[..]);
    let mut errs = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let p = &t.preference;
        if t.weight == 0 || (p.match_expressions.is_empty() && p.match_fields.is_empty()) {
            continue;
        }
        if p.parse_error().is_some() {
            errs.extend(term_field_errors(p, &format!("[{i}].preference")));
        }
    }
    let mut seen = BTreeSet::new();
    let unique: Vec<String> = errs.into_iter().filter(|e| seen.insert(e.clone())).collect();
    match unique.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(format!("[{}]", many.join(", "))),
    }
}

/// Upstream's field errors for one node selector term under `path`, in its order: per match
/// expression, `labels.NewRequirement`'s key error, operator/value-count errors, the non-integer
/// `Gt`/`Lt` values, then the values that are not valid label values (`values[i][key]`); then the
/// match fields.
fn term_field_errors(t: &crate::model::NodeSelectorTerm, path: &str) -> Vec<String> {
    use crate::api::names::{label_value, qualified_name};
    use NodeSelectorOperator as Op;
    let mut out = Vec::new();
    for (j, r) in t.match_expressions.iter().enumerate() {
        let p = format!("{path}.matchExpressions[{j}]");
        let key_errs = qualified_name(&r.key);
        if !key_errs.is_empty() {
            out.push(format!("{p}.key: Invalid value: {:?}: {}", r.key, key_errs.join("; ")));
        }
        let values = format!("{p}.values");
        let list = || {
            format!(
                "[]string{{{}}}",
                r.values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
            )
        };
        match r.operator {
            Op::In | Op::NotIn if r.values.is_empty() => out.push(format!(
                "{values}: Invalid value: {}: for 'in', 'notin' operators, values set can't be empty",
                list()
            )),
            Op::Exists | Op::DoesNotExist if !r.values.is_empty() => out.push(format!(
                "{values}: Invalid value: {}: values set must be empty for exists and does not exist",
                list()
            )),
            Op::Gt | Op::Lt => {
                if r.values.len() != 1 {
                    out.push(format!(
                        "{values}: Invalid value: {}: for 'Gt', 'Lt' operators, exactly one value is required",
                        list()
                    ));
                }
                for (k, v) in r.values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        out.push(format!(
                            "{values}[{k}]: Invalid value: {v:?}: for 'Gt', 'Lt' operators, the value must be an integer"
                        ));
                    }
                }
            }
            _ => {}
        }
        for (k, v) in r.values.iter().enumerate() {
            let errs = label_value(v);
            if !errs.is_empty() {
                out.push(format!("{values}[{k}][{}]: Invalid value: {v:?}: {}", r.key, errs.join("; ")));
            }
        }
    }
    if out.is_empty()
        && let Some(e) = t.parse_error()
    {
        // Match fields (which the API server already validates for pods).
        out.push(format!("{path}.matchFields: {e}"));
    }
    out
}

/// Whether a node matches the pod's `nodeSelector` and required node affinity (upstream
/// `GetRequiredNodeAffinity(pod).Match`).
pub fn required_matches(pod: &Pod, node: &NodeInfo) -> bool {
    let labels = &node.node.labels;
    if !pod.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    match pod.node_affinity.as_ref().and_then(|a| a.required.as_ref()) {
        None => true,
        Some(sel) => sel.matches(&node.node.name, labels),
    }
}

fn required_of(pod: &Pod) -> Option<&NodeSelector> {
    pod.node_affinity.as_ref().and_then(|a| a.required.as_ref())
}

fn preferred_score(terms: &[PreferredSchedulingTerm], node: &NodeInfo) -> i64 {
    terms
        .iter()
        .filter(|t| t.weight != 0 && t.preference.matches(&node.node.name, &node.node.labels))
        .map(|t| t.weight as i64)
        .sum()
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

/// PreFilter state: which of the pod's required terms are usable
/// ([`crate::model::labels::NodeSelectorTerm::is_usable`]), validated once per cycle instead of
/// at every node.
struct UsableTerms(smallvec::SmallVec<[bool; 4]>);

impl PreFilterPlugin for NodeAffinity {
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, _: &Cluster) -> PreFilterOutcome {
        let required = required_of(pod);
        if let Some(r) = required {
            state.write(NAME, UsableTerms(r.terms.iter().map(|t| t.is_usable()).collect()));
        }
        let added_required = self.added.as_ref().and_then(|a| a.required.as_ref());
        if required.is_none() && added_required.is_none() && pod.node_selector.is_empty() {
            return (None, Status::skip());
        }
        let Some(required) = required else { return (None, Status::success()) };
        if required.terms.is_empty() {
            return (None, Status::success());
        }
        let mut union: BTreeSet<String> = BTreeSet::new();
        for term in &required.terms {
            let mut names: Option<BTreeSet<String>> = None;
            for r in &term.match_fields {
                if r.key == "metadata.name" && r.operator == NodeSelectorOperator::In {
                    let s: BTreeSet<String> = r.values.iter().cloned().collect();
                    names = Some(match names {
                        None => s,
                        Some(prev) => prev.intersection(&s).cloned().collect(),
                    });
                }
            }
            match names {
                None => return (None, Status::success()),
                Some(n) => union.extend(n),
            }
        }
        if union.is_empty() {
            return (None, Status::unresolvable(ERR_REASON_CONFLICT));
        }
        (Some(union), Status::success())
    }
}

impl FilterPlugin for NodeAffinity {
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        if let Some(added) = self.added.as_ref().and_then(|a| a.required.as_ref())
            && !added.matches(&node.node.name, &node.node.labels)
        {
            return Status::unresolvable(ERR_REASON_ENFORCED);
        }
        let matches = match (state.read::<UsableTerms>(NAME), required_of(pod)) {
            (Some(usable), Some(required)) => {
                let labels = &node.node.labels;
                pod.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v))
                    && required
                        .terms
                        .iter()
                        .zip(&usable.0)
                        .any(|(t, ok)| *ok && t.matches_parsed(&node.node.name, labels))
            }
            _ => required_matches(pod, node),
        };
        if matches { Status::success() } else { Status::unresolvable(ERR_REASON_POD) }
    }
}

impl PreScorePlugin for NodeAffinity {
    /// Error when a preferred term of the pod does not parse (as upstream's
    /// `NewPreferredSchedulingTerms`); Skip when the pod has no preferred terms and the profile
    /// sets no `addedAffinity` at all (upstream keeps scoring whenever `addedAffinity` is
    /// configured, even without preferred terms).
    fn pre_score(&self, _: &mut CycleState, pod: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        if let Some(e) = preferred_parse_error(pod) {
            return Status::error(e);
        }
        let pod_preferred = pod.node_affinity.as_ref().is_some_and(|a| !a.preferred.is_empty());
        if !pod_preferred && self.added.is_none() { Status::skip() } else { Status::success() }
    }
}

impl ScorePlugin for NodeAffinity {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        let mut count = 0;
        if let Some(added) = &self.added {
            count += preferred_score(&added.preferred, node);
        }
        if let Some(a) = &pod.node_affinity {
            count += preferred_score(&a.preferred, node);
        }
        Ok(count)
    }

    fn has_normalize(&self) -> bool {
        true
    }

    fn normalize_score(&self, _: &CycleState, _: &Pod, scores: &mut [i64]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
        Status::success()
    }
}
