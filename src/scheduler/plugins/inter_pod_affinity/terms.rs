//! Pod affinity terms as the plugin reads them: which pods a term selects (namespaces, namespace
//! selector, label selector), whether a term parses, and the per-topology-domain tallies that
//! PreFilter and PreScore build.
//!
//! Mirrors `fwk.AffinityTerm` / `newAffinityTerm` / `AffinityTerm.Matches` and
//! `getNamespacesFromPodAffinityTerm` in `pkg/scheduler/framework/types.go`, and
//! `metav1.LabelSelectorAsSelector` + `labels.NewRequirement` for parse errors (v1.35).

use std::collections::BTreeMap;

use crate::model::labels::{is_qualified_name, is_valid_label_value};
use crate::model::{Cluster, LabelSelector, LabelSelectorOperator, Labels, Pod, PodAffinityTerm};

/// Whether `term`, declared by a pod in namespace `owner_ns`, selects `target`, whose namespace
/// labels come from `ns_labels` when the term has a namespace selector (upstream
/// `AffinityTerm.Matches`).
///
/// The namespaces searched are the term's `namespaces`, plus every namespace whose labels the
/// `namespaceSelector` matches (an empty selector matches all, a missing one none); when both are
/// unset, only the owner's namespace (`getNamespacesFromPodAffinityTerm`). Then the label selector
/// must match the target's labels (a missing selector matches nothing, an empty one everything).
pub(crate) fn term_matches(
    term: &PodAffinityTerm,
    owner_ns: &str,
    target: &Pod,
    ns_labels: &mut NamespaceLabels<'_>,
) -> bool {
    let ns_ok = if term.namespaces.is_empty() && term.namespace_selector.is_none() {
        target.namespace == owner_ns
    } else {
        term.namespaces.contains(&target.namespace)
            || term
                .namespace_selector
                .as_ref()
                .is_some_and(|s| s.is_empty() || s.matches(ns_labels.get(&target.namespace)))
    };
    ns_ok && term.selector.as_ref().is_some_and(|s| s.matches(&target.labels))
}

/// Namespace labels looked up once per namespace and cycle (the Namespace lister of upstream).
pub(crate) struct NamespaceLabels<'c> {
    cluster: &'c Cluster,
    cache: BTreeMap<String, Labels>,
}

impl<'c> NamespaceLabels<'c> {
    /// An empty cache over `cluster`'s namespaces.
    pub(crate) fn new(cluster: &'c Cluster) -> Self {
        Self { cluster, cache: BTreeMap::new() }
    }

    /// The labels of namespace `ns`.
    pub(crate) fn get(&mut self, ns: &str) -> &Labels {
        if !self.cache.contains_key(ns) {
            self.cache.insert(ns.to_string(), self.cluster.namespace_labels(ns));
        }
        &self.cache[ns]
    }
}

/// Why `labels.NewRequirement` would reject a requirement, if it would.
fn requirement_error(key: &str, op: LabelSelectorOperator, values: &[String]) -> Option<String> {
    if !is_qualified_name(key) {
        return Some(format!("key: Invalid value: {key:?}: not a qualified name"));
    }
    use LabelSelectorOperator::*;
    match op {
        In | NotIn if values.is_empty() => {
            return Some(
                "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty".into(),
            );
        }
        Exists | DoesNotExist if !values.is_empty() => {
            return Some(format!(
                "values: Invalid value: {values:?}: values set must be empty for exists and does not exist"
            ));
        }
        _ => {}
    }
    values
        .iter()
        .enumerate()
        .find(|(_, v)| !is_valid_label_value(v))
        .map(|(i, v)| format!("values[{i}][{key}]: Invalid value: {v:?}: not a valid label value"))
}

/// Why `metav1.LabelSelectorAsSelector` would reject `sel`, if it would (`None` selectors parse).
fn selector_error(sel: Option<&LabelSelector>) -> Option<String> {
    let sel = sel?;
    for (k, v) in &sel.match_labels {
        if let Some(e) = requirement_error(k, LabelSelectorOperator::In, std::slice::from_ref(v)) {
            return Some(e);
        }
    }
    sel.match_expressions.iter().find_map(|r| requirement_error(&r.key, r.operator, &r.values))
}

/// Why upstream's `newAffinityTerm` would fail on `term` (label selector first, then namespace
/// selector), if it would.
pub(crate) fn term_error(term: &PodAffinityTerm) -> Option<String> {
    selector_error(term.selector.as_ref()).or_else(|| selector_error(term.namespace_selector.as_ref()))
}

/// Calls `on_match` for every item of an existing pod's term list whose term `matches`, unless
/// the list does not parse: upstream (`GetAffinityTerms`) drops a whole list when one of its
/// terms fails, so such a list contributes nothing. The parse check runs only once something
/// matched, so lists that select nothing cost no validation.
pub(crate) fn for_each_match<T>(
    list: &[T],
    term: impl Fn(&T) -> &PodAffinityTerm,
    mut matches: impl FnMut(&PodAffinityTerm) -> bool,
    mut on_match: impl FnMut(&T),
) {
    let mut parses: Option<bool> = None;
    for item in list {
        if !matches(term(item)) {
            continue;
        }
        if !*parses.get_or_insert_with(|| list.iter().all(|i| term_error(term(i)).is_none())) {
            return;
        }
        on_match(item);
    }
}

/// The first parse error among the pod's affinity terms, named as upstream's `PodInfo.Update`
/// names the list, if any.
pub(crate) fn pod_parse_error(pod: &Pod) -> Option<String> {
    let lists = [
        ("requiredAffinityTerms", pod.pod_affinity.as_ref(), false),
        ("requiredAntiAffinityTerms", pod.pod_anti_affinity.as_ref(), false),
        ("preferredAffinityTerms", pod.pod_affinity.as_ref(), true),
        ("preferredAntiAffinityTerms", pod.pod_anti_affinity.as_ref(), true),
    ];
    let mut errs = Vec::new();
    for (name, a, preferred) in lists {
        let Some(a) = a else { continue };
        let e = if preferred {
            a.preferred.iter().find_map(|w| term_error(&w.term))
        } else {
            a.required.iter().find_map(term_error)
        };
        if let Some(e) = e {
            errs.push(format!("{name}: {e}"));
        }
    }
    match errs.len() {
        0 => None,
        1 => errs.pop(),
        _ => Some(format!("[{}]", errs.join(", "))),
    }
}

/// Counts (or weights) per topology domain: topology key → key value → sum (upstream
/// `topologyToMatchedTermCount` and `scoreMap`). Keys are few, so they sit in a short list; the
/// values of one key in an ordered map. Lookups borrow, so Filter and Score do not allocate.
#[derive(Clone, Debug, Default)]
pub(crate) struct TopologyTally {
    keys: Vec<(String, BTreeMap<String, i64>)>,
}

impl TopologyTally {
    /// Adds `delta` to the domain (`key`, `node_labels[key]`) when the node carries `key`.
    /// Returns whether the node carried it (i.e. whether upstream would have touched its map).
    pub(crate) fn add(&mut self, node_labels: &Labels, key: &str, delta: i64) -> bool {
        let Some(value) = node_labels.get(key) else { return false };
        let values = match self.keys.iter().position(|(k, _)| k == key) {
            Some(i) => &mut self.keys[i].1,
            None => {
                self.keys.push((key.to_string(), BTreeMap::new()));
                &mut self.keys.last_mut().expect("just pushed").1
            }
        };
        match values.get_mut(value.as_str()) {
            Some(v) => *v += delta,
            None => {
                values.insert(value.clone(), delta);
            }
        }
        true
    }

    /// The sum for domain (`key`, `value`); 0 when none.
    pub(crate) fn get(&self, key: &str, value: &str) -> i64 {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, values)| values.get(value))
            .copied()
            .unwrap_or(0)
    }

    /// The sum for the domain of `key` that a node with `node_labels` lies in; 0 when the node
    /// lacks the key.
    pub(crate) fn get_for_node(&self, node_labels: &Labels, key: &str) -> i64 {
        node_labels.get(key).map_or(0, |v| self.get(key, v))
    }

    /// True when no domain was ever touched.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every topology key with its per-value sums.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &BTreeMap<String, i64>)> {
        self.keys.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LabelSelectorRequirement, Resources, simple_pod};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn term(ns: &[&str], ns_sel: Option<LabelSelector>) -> PodAffinityTerm {
        PodAffinityTerm {
            selector: Some(LabelSelector {
                match_labels: labels(&[("app", "db")]),
                match_expressions: vec![],
            }),
            namespaces: ns.iter().map(|s| s.to_string()).collect(),
            namespace_selector: ns_sel,
            topology_key: "zone".into(),
        }
    }

    #[test]
    fn namespaces_default_to_the_owner_and_selectors_widen_them() {
        let mut cluster = Cluster::new();
        cluster.add_namespace("team-a", labels(&[("team", "a")]));
        let mut lookup = NamespaceLabels::new(&cluster);
        let mut pod = simple_pod("p", Resources::default());
        pod.labels = labels(&[("app", "db")]);
        pod.namespace = "team-a".into();
        assert!(term_matches(&term(&[], None), "team-a", &pod, &mut lookup));
        assert!(!term_matches(&term(&[], None), "default", &pod, &mut lookup));
        assert!(term_matches(&term(&["team-a"], None), "default", &pod, &mut lookup));
        let sel =
            |k: &str, v: &str| LabelSelector { match_labels: labels(&[(k, v)]), match_expressions: vec![] };
        assert!(term_matches(&term(&[], Some(sel("team", "a"))), "default", &pod, &mut lookup));
        assert!(!term_matches(&term(&[], Some(sel("team", "b"))), "default", &pod, &mut lookup));
        assert!(term_matches(&term(&[], Some(LabelSelector::default())), "default", &pod, &mut lookup));
        let mut missing = term(&[], None);
        missing.selector = None;
        assert!(!term_matches(&missing, "team-a", &pod, &mut lookup));
    }

    #[test]
    fn unparsable_selectors_are_reported() {
        let mut t = term(&[], None);
        assert!(term_error(&t).is_none());
        t.selector.as_mut().unwrap().match_expressions.push(LabelSelectorRequirement {
            key: "foo".into(),
            operator: LabelSelectorOperator::In,
            values: vec!["{{.bar}}".into()],
        });
        assert!(term_error(&t).is_some());
        let mut t = term(&[], None);
        t.selector.as_mut().unwrap().match_expressions.push(LabelSelectorRequirement {
            key: "foo".into(),
            operator: LabelSelectorOperator::NotIn,
            values: vec![],
        });
        assert!(term_error(&t).is_some());
    }

    #[test]
    fn tally_touches_only_nodes_with_the_key() {
        let mut t = TopologyTally::default();
        assert!(!t.add(&labels(&[("host", "a")]), "zone", 1));
        assert!(t.is_empty());
        assert!(t.add(&labels(&[("zone", "z1")]), "zone", 2));
        assert!(t.add(&labels(&[("zone", "z1")]), "zone", -2));
        assert!(!t.is_empty());
        assert_eq!(t.get("zone", "z1"), 0);
        assert_eq!(t.get_for_node(&labels(&[("zone", "z2")]), "zone"), 0);
    }
}
