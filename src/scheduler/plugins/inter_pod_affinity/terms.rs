//! Pod affinity terms as the plugin reads them: which pods a term selects (namespaces, namespace
//! selector, label selector), whether a term parses, and the per-topology-domain tallies that
//! PreFilter and PreScore build from the cluster's pod index.
//!
//! Mirrors `fwk.AffinityTerm` / `newAffinityTerm` / `AffinityTerm.Matches` and
//! `getNamespacesFromPodAffinityTerm` in `pkg/scheduler/framework/types.go`, and
//! `metav1.LabelSelectorAsSelector` + `labels.NewRequirement` for parse errors (v1.35).

use std::collections::BTreeMap;

use std::sync::Arc;

use crate::model::{Cluster, Labels, NodeId, Pod, PodAffinityTerm, TopologyView};

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

/// Why upstream's `newAffinityTerm` would fail on `term` (label selector first, then namespace
/// selector), if it would.
pub(crate) fn term_error(term: &PodAffinityTerm) -> Option<String> {
    term.parse_error()
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

/// Counts (or weights) per topology domain: per topology key, a sum by domain id (upstream
/// `topologyToMatchedTermCount` and `scoreMap`). Each key's sums start as shared counts of the
/// pod index (scaled by a factor, copied only when a second source adds to the same key or a
/// single domain changes), so building a tally costs O(keys), and a lookup is the node's domain
/// id then one array read.
#[derive(Clone, Debug, Default)]
pub(crate) struct DomainTally {
    keys: Vec<KeyTally>,
}

#[derive(Clone, Debug)]
struct KeyTally {
    key: String,
    topo: TopologyView,
    /// By domain id, to be multiplied by `factor` (missing entries are 0).
    counts: Arc<Vec<i64>>,
    factor: i64,
    /// Σ `counts` · `factor`.
    total: i64,
}

impl KeyTally {
    fn view(&self) -> TallyView<'_> {
        TallyView { domains: &self.topo.node_domain, counts: &self.counts, factor: self.factor }
    }

    /// Makes `counts` this tally's own, with factor 1.
    fn materialize(&mut self) -> &mut Vec<i64> {
        if self.factor != 1 {
            let f = self.factor;
            self.counts = Arc::new(self.counts.iter().map(|c| c * f).collect());
            self.factor = 1;
        }
        Arc::make_mut(&mut self.counts)
    }

    #[inline]
    fn at(&self, id: NodeId) -> Option<i64> {
        let d = self.topo.domain(id)?;
        Some(self.counts.get(d as usize).copied().unwrap_or(0) * self.factor)
    }
}

/// One key's sums as a Filter chunk reads them (see [`DomainTally::view`]): by node id the
/// node's domain, by domain id the count, and the factor the counts are multiplied by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TallyView<'a> {
    domains: &'a [u32],
    counts: &'a [i64],
    factor: i64,
}

impl TallyView<'_> {
    /// The sum at node `id`'s domain, `None` when the node lacks the key (`KeyTally::at`).
    #[inline]
    pub(crate) fn at(&self, id: NodeId) -> Option<i64> {
        let d = self.domains.get(id as usize).copied().filter(|d| *d != crate::model::NO_DOMAIN)?;
        Some(self.counts.get(d as usize).copied().unwrap_or(0) * self.factor)
    }
}

impl DomainTally {
    /// The sums of the key at `slot` ([`DomainTally::slot`]) as a [`TallyView`].
    pub(crate) fn view(&self, slot: Option<usize>) -> Option<TallyView<'_>> {
        slot.map(|k| self.keys[k].view())
    }

    /// Every key's sums as [`TallyView`]s, in order.
    pub(crate) fn views(&self) -> impl Iterator<Item = TallyView<'_>> {
        self.keys.iter().map(KeyTally::view)
    }

    /// Adds `factor` times `counts` (by domain id of `key`'s topology `topo`, summing to
    /// `total`) to the sums of `key`.
    pub(crate) fn add_counts(
        &mut self,
        key: &str,
        topo: &TopologyView,
        counts: &Arc<Vec<i64>>,
        factor: i64,
        total: i64,
    ) {
        match self.keys.iter_mut().find(|k| k.key == key) {
            None => self.keys.push(KeyTally {
                key: key.to_string(),
                topo: topo.clone(),
                counts: Arc::clone(counts),
                factor,
                total: total * factor,
            }),
            Some(k) => {
                let own = k.materialize();
                if own.len() < counts.len() {
                    own.resize(counts.len(), 0);
                }
                for (o, c) in own.iter_mut().zip(counts.iter()) {
                    *o += c * factor;
                }
                k.total += total * factor;
            }
        }
    }

    /// Adds `delta` to the domain of `key` that node `id` lies in (topology `topo`); nothing when
    /// the node lacks the key.
    pub(crate) fn add_at_node(&mut self, key: &str, topo: &TopologyView, id: NodeId, delta: i64) {
        let Some(d) = topo.domain(id) else { return };
        if !self.keys.iter().any(|k| k.key == key) {
            self.add_counts(key, topo, &Arc::new(Vec::new()), 1, 0);
        }
        let k = self.keys.iter_mut().find(|k| k.key == key).expect("added above");
        let own = k.materialize();
        if own.len() <= d as usize {
            own.resize(d as usize + 1, 0);
        }
        own[d as usize] += delta;
        k.total += delta;
    }

    /// The position of `key`'s sums, if anything was added for it (see [`DomainTally::get_at`]).
    pub(crate) fn slot(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.key == key)
    }

    /// The sum at node `id`'s domain of the key at `slot` ([`DomainTally::slot`]); 0 when the
    /// node lacks the key or nothing was added for it (`None`).
    #[inline]
    pub(crate) fn get_at(&self, slot: Option<usize>, id: NodeId) -> i64 {
        slot.and_then(|k| self.keys[k].at(id)).unwrap_or(0)
    }

    /// True when every sum is 0 (as upstream's maps, which drop entries that reach 0).
    /// Counts only ever add up to non-negative sums here, so this is "no matching pod counted".
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.iter().all(|k| k.total == 0)
    }

    /// Whether some key's sum at node `id`'s domain is positive.
    #[inline]
    pub(crate) fn any_positive_at(&self, id: NodeId) -> bool {
        self.keys.iter().any(|k| k.at(id).is_some_and(|c| c > 0))
    }

    /// Σ over the keys of the sum at node `id`'s domain (keys the node lacks add nothing).
    #[inline]
    pub(crate) fn sum_at(&self, id: NodeId) -> i64 {
        self.keys.iter().filter_map(|k| k.at(id)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        LabelSelector, LabelSelectorOperator, LabelSelectorRequirement, Resources, simple_pod,
    };

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
    fn tally_sums_sources_per_key_and_reads_the_nodes_domain() {
        let mut cluster = Cluster::new();
        for (name, zone) in [("a", Some("z1")), ("b", Some("z2")), ("c", None)] {
            let mut n = crate::model::Node {
                name: name.into(),
                labels: Labels::new(),
                taints: vec![],
                unschedulable: false,
                allocatable: Resources::default(),
                capacity: Resources::default(),
                images: vec![],
            };
            if let Some(z) = zone {
                n.labels.insert("zone".into(), z.into());
            }
            cluster.add_node(n).unwrap();
        }
        let topo = cluster.topology("zone");
        let (z1, z2) = (topo.domain(0).unwrap() as usize, topo.domain(1).unwrap() as usize);
        let mut one = vec![0i64; 2];
        one[z1] = 2;
        let mut t = DomainTally::default();
        assert!(t.is_empty());
        t.add_counts("zone", &topo, &Arc::new(one.clone()), 1, 2);
        assert_eq!(
            (t.get_at(t.slot("zone"), 0), t.get_at(t.slot("zone"), 1), t.get_at(t.slot("zone"), 2)),
            (2, 0, 0)
        );
        let mut two = vec![0i64; 2];
        two[z2] = 1;
        t.add_counts("zone", &topo, &Arc::new(two), -3, 1);
        assert_eq!((t.get_at(t.slot("zone"), 0), t.get_at(t.slot("zone"), 1)), (2, -3));
        assert_eq!(t.sum_at(1), -3);
        assert!(t.any_positive_at(0) && !t.any_positive_at(1) && !t.any_positive_at(2));
        let mut u = DomainTally::default();
        u.add_counts("zone", &topo, &Arc::new(one), 1, 2);
        u.add_at_node("zone", &topo, 0, -2);
        assert!(u.is_empty());
        assert_eq!(u.get_at(u.slot("zone"), 0), 0);
        assert_eq!(u.get_at(u.slot("region"), 0), 0, "a key never added reads 0");
    }
}
