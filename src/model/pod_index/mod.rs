//! Incremental counts of bound pods per topology domain, for the inter-pod constraints
//! (PodTopologySpread, InterPodAffinity).
//!
//! Upstream kube-scheduler recomputes these counts from every pod of its snapshot in each cycle
//! (`calPreFilterState`, `getExistingAntiAffinityCounts`, `processExistingPod`, ...). capsim keeps
//! them here instead, updated as pods bind, leave and start terminating, so a cycle reads them in
//! O(domains). The numbers are exactly those a full recount gives ([`PodIndex::verify`] checks it);
//! only the time it takes differs.
//!
//! Three parts, all owned by [`super::Cluster`] and changed only through its methods:
//!
//! - **Topologies**: per topology key (a node label key), every node's domain id (the interned
//!   label value, [`NO_DOMAIN`] when the node lacks the key or was removed) and the live nodes of
//!   each domain. Created on first use, kept current as nodes join, leave or change labels.
//! - **Pod queries** ([`PodQuery`]: namespaces + label selectors, with or without terminating
//!   pods): per node, the bound pods that match; per topology key asked for, the same summed per
//!   domain. Created on first use (one pass over the bound pods), then updated incrementally;
//!   the least recently used are dropped beyond [`MAX_QUERIES`] (they are rebuilt exactly if
//!   asked again).
//! - **Affinity term groups** ([`TermGroup`]): the (anti-)affinity terms of bound pods, grouped by
//!   identical term (kind, weight, owner namespace, term), each with the number of its instances
//!   per domain of its topology key. Kept for every bound pod, so "which existing pods' terms
//!   select the incoming pod" is one check per distinct term, not per pod.
//!
//! Must not touch: scheduling policy (the plugins decide what to ask and how to read it). No
//! iteration over a hash map: every map here is a `BTreeMap`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cluster::NodeInfo;
use super::labels::{LabelSelector, Labels};
use super::node::NodeId;
use super::pod::{Pod, PodAffinityTerm};
use super::pod_table::PodTable;
use crate::names::LABEL_NAMESPACE_NAME;

mod verify;

/// Domain id of a node that lacks the topology key (or was removed).
pub const NO_DOMAIN: u32 = u32::MAX;

/// Most pod queries kept at once; beyond it the least recently used one is dropped (and rebuilt
/// from the bound pods if asked again). Each costs 4 bytes per node plus 8 per domain of each
/// topology key it was asked for.
pub const MAX_QUERIES: usize = 256;

/// The namespaces a pod query searches (upstream: a spread constraint's pod namespace, or an
/// affinity term's namespaces as `getNamespacesFromPodAffinityTerm` and `AffinityTerm.Matches`
/// read them).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamespaceScope {
    /// Exactly this namespace.
    One(String),
    /// The listed namespaces, plus those whose labels the selector matches (`Some(empty)`: every
    /// namespace; `None`: none besides the list).
    Listed {
        /// `namespaces`.
        names: Vec<String>,
        /// `namespaceSelector`.
        selector: Option<LabelSelector>,
    },
}

impl NamespaceScope {
    /// The scope of `term` declared by a pod of namespace `owner_ns`: the owner's namespace when
    /// the term sets neither `namespaces` nor `namespaceSelector`, else those.
    pub fn of_term(term: &PodAffinityTerm, owner_ns: &str) -> Self {
        if term.namespaces.is_empty() && term.namespace_selector.is_none() {
            NamespaceScope::One(owner_ns.to_string())
        } else {
            NamespaceScope::Listed {
                names: term.namespaces.clone(),
                selector: term.namespace_selector.clone(),
            }
        }
    }

    /// Whether namespace `ns` is in the scope; `namespaces` holds the declared namespaces' labels
    /// (an undeclared namespace has only its name label).
    pub fn contains(&self, ns: &str, namespaces: &BTreeMap<String, Labels>) -> bool {
        match self {
            NamespaceScope::One(n) => n == ns,
            NamespaceScope::Listed { names, selector } => {
                names.iter().any(|n| n == ns)
                    || selector.as_ref().is_some_and(|s| {
                        s.is_empty()
                            || match namespaces.get(ns) {
                                Some(labels) => s.matches(labels),
                                None => s.matches(&Labels::from([(
                                    LABEL_NAMESPACE_NAME.to_string(),
                                    ns.to_string(),
                                )])),
                            }
                    })
            }
        }
    }

    /// Whether the answer depends on namespace labels (a non-empty namespace selector).
    fn reads_namespace_labels(&self) -> bool {
        matches!(self, NamespaceScope::Listed { selector: Some(s), .. } if !s.is_empty())
    }
}

/// Which bound pods to count: those matching every (namespace scope, label selector) pair, and,
/// unless `count_terminating`, not terminating.
///
/// PodTopologySpread counts with one pair (the incoming pod's namespace and the constraint's
/// selector) without terminating pods (upstream `countPodsMatchSelector`); InterPodAffinity with
/// one pair per term (all of the incoming pod's required affinity terms together, as
/// `podMatchesAllAffinityTerms`), terminating pods included.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodQuery {
    /// The pairs a pod must all match.
    pub terms: Vec<(NamespaceScope, LabelSelector)>,
    /// Whether terminating pods count.
    pub count_terminating: bool,
}

impl PodQuery {
    /// Pods of namespace `ns` that `selector` matches, not terminating (a spread constraint).
    pub fn spread(ns: &str, selector: &LabelSelector) -> Self {
        PodQuery {
            terms: vec![(NamespaceScope::One(ns.to_string()), selector.clone())],
            count_terminating: false,
        }
    }

    /// Pods every one of `terms` (declared by a pod of namespace `owner_ns`) selects, terminating
    /// pods included; `None` when a term has no label selector (it selects no pod) or `terms` is
    /// empty.
    pub fn affinity(terms: &[&PodAffinityTerm], owner_ns: &str) -> Option<Self> {
        if terms.is_empty() {
            return None;
        }
        let pairs = terms
            .iter()
            .map(|t| Some((NamespaceScope::of_term(t, owner_ns), t.selector.clone()?)))
            .collect::<Option<Vec<_>>>()?;
        Some(PodQuery { terms: pairs, count_terminating: true })
    }

    /// Whether `pod`'s namespace and labels match every pair (terminating aside).
    pub fn selects(&self, pod: &Pod, namespaces: &BTreeMap<String, Labels>) -> bool {
        self.terms
            .iter()
            .all(|(scope, sel)| scope.contains(&pod.namespace, namespaces) && sel.matches(&pod.labels))
    }

    /// Whether `pod` counts.
    pub fn matches(&self, pod: &Pod, namespaces: &BTreeMap<String, Labels>) -> bool {
        (self.count_terminating || !pod.terminating) && self.selects(pod, namespaces)
    }

    /// The namespace every matching pod is in, when the first pair names exactly one.
    fn namespace(&self) -> Option<&str> {
        match self.terms.first() {
            Some((NamespaceScope::One(ns), _)) => Some(ns),
            _ => None,
        }
    }

    fn reads_namespace_labels(&self) -> bool {
        self.terms.iter().any(|(scope, _)| scope.reads_namespace_labels())
    }
}

/// The domains of one topology key, as a cycle reads them (shared, copy-on-write: holding one
/// costs nothing until the cluster changes).
#[derive(Clone, Debug)]
pub struct TopologyView {
    /// By [`NodeId`]: the node's domain id, [`NO_DOMAIN`] when it lacks the key or was removed.
    pub node_domain: Arc<Vec<u32>>,
    /// By domain id: live nodes in the domain (0 for a value no live node carries now).
    pub nodes_in_domain: Arc<Vec<u32>>,
    /// Domains with at least one live node.
    pub num_domains: usize,
    /// Live nodes that carry the key.
    pub nodes_with_key: usize,
    /// The domain id of the empty value `""`: its id when some node ever carried it, else
    /// `nodes_in_domain.len()` (an id no node has).
    pub empty_value_domain: u32,
}

impl TopologyView {
    /// The domain of node `id`, `None` when it lacks the key.
    #[inline]
    pub fn domain(&self, id: NodeId) -> Option<u32> {
        self.node_domain.get(id as usize).copied().filter(|d| *d != NO_DOMAIN)
    }

    /// Number of domain ids (live or not); every domain id is below it.
    pub fn domain_ids(&self) -> usize {
        self.nodes_in_domain.len()
    }
}

/// Matching pods of a [`PodQuery`] per domain of one topology key.
#[derive(Clone, Debug)]
pub struct DomainCounts {
    /// The key's domains.
    pub topology: TopologyView,
    /// By domain id: matching bound pods on the domain's nodes (may be shorter than
    /// [`TopologyView::domain_ids`]: missing entries are 0).
    pub counts: Arc<Vec<i64>>,
    /// Σ `counts`: matching pods on nodes that carry the key.
    pub total: i64,
}

impl DomainCounts {
    /// The count of domain `d`.
    #[inline]
    pub fn get(&self, d: u32) -> i64 {
        self.counts.get(d as usize).copied().unwrap_or(0)
    }
}

/// Which list of a pod's affinity a [`TermGroup`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TermKind {
    /// `podAffinity.requiredDuringScheduling…`.
    RequiredAffinity,
    /// `podAntiAffinity.requiredDuringScheduling…`.
    RequiredAntiAffinity,
    /// `podAffinity.preferredDuringScheduling…`.
    PreferredAffinity,
    /// `podAntiAffinity.preferredDuringScheduling…`.
    PreferredAntiAffinity,
}

/// Identical (anti-)affinity terms of bound pods: how many instances sit in each domain of the
/// term's topology key. A pod's term list counts only when every term of that list parses
/// ([`PodAffinityTerm::parse_error`]), as upstream drops a whole list that does not.
#[derive(Clone, Debug)]
pub struct TermGroup {
    /// The list the terms come from.
    pub kind: TermKind,
    /// The weight of a preferred term (0 for required ones).
    pub weight: i32,
    /// The declaring pods' namespace when the term sets neither `namespaces` nor
    /// `namespaceSelector` (it then searches that namespace), else empty.
    pub owner_namespace: String,
    /// The term.
    pub term: PodAffinityTerm,
    /// By domain id of `term.topology_key`: instances on the domain's nodes (may be shorter than
    /// the key's domain ids: missing entries are 0).
    pub counts: Arc<Vec<i64>>,
    /// Σ `counts`: instances on nodes that carry the key.
    pub total: i64,
    /// Instances on any node (with the key or not).
    instances: i64,
    /// The topology of `term.topology_key`.
    topo: usize,
}

type GroupKey = (TermKind, i32, String, PodAffinityTerm);

#[derive(Clone, Debug)]
struct Topology {
    key: String,
    node_domain: Arc<Vec<u32>>,
    values: Vec<String>,
    value_ids: BTreeMap<String, u32>,
    nodes_in_domain: Arc<Vec<u32>>,
    live_domains: usize,
    nodes_with_key: usize,
}

impl Topology {
    fn new(key: &str, nodes: &[Arc<NodeInfo>]) -> Self {
        let mut t = Topology {
            key: key.to_string(),
            node_domain: Arc::new(Vec::with_capacity(nodes.len())),
            values: Vec::new(),
            value_ids: BTreeMap::new(),
            nodes_in_domain: Arc::new(Vec::new()),
            live_domains: 0,
            nodes_with_key: 0,
        };
        for info in nodes {
            let d = if info.removed { NO_DOMAIN } else { t.intern(info.node.labels.get(key)) };
            Arc::make_mut(&mut t.node_domain).push(d);
            t.enter(d, 1);
        }
        t
    }

    /// The domain id of `value` (interned on first sight), [`NO_DOMAIN`] for `None`.
    fn intern(&mut self, value: Option<&String>) -> u32 {
        let Some(v) = value else { return NO_DOMAIN };
        if let Some(d) = self.value_ids.get(v) {
            return *d;
        }
        let d = self.values.len() as u32;
        self.values.push(v.clone());
        self.value_ids.insert(v.clone(), d);
        Arc::make_mut(&mut self.nodes_in_domain).push(0);
        d
    }

    /// A node enters (`delta` 1) or leaves (−1) domain `d`.
    fn enter(&mut self, d: u32, delta: i32) {
        if d == NO_DOMAIN {
            return;
        }
        let n = &mut Arc::make_mut(&mut self.nodes_in_domain)[d as usize];
        if delta > 0 {
            *n += 1;
            self.nodes_with_key += 1;
            if *n == 1 {
                self.live_domains += 1;
            }
        } else {
            *n -= 1;
            self.nodes_with_key -= 1;
            if *n == 0 {
                self.live_domains -= 1;
            }
        }
    }

    fn domain(&self, id: NodeId) -> u32 {
        self.node_domain.get(id as usize).copied().unwrap_or(NO_DOMAIN)
    }

    fn view(&self) -> TopologyView {
        TopologyView {
            node_domain: Arc::clone(&self.node_domain),
            nodes_in_domain: Arc::clone(&self.nodes_in_domain),
            num_domains: self.live_domains,
            nodes_with_key: self.nodes_with_key,
            empty_value_domain: self.value_ids.get("").copied().unwrap_or(self.values.len() as u32),
        }
    }
}

#[derive(Clone, Debug)]
struct QueryEntry {
    query: PodQuery,
    /// By node id: matching bound pods.
    per_node: Arc<Vec<u32>>,
    /// (topology, counts by domain, Σ counts) for each key asked for.
    by_key: Vec<(usize, Arc<Vec<i64>>, i64)>,
    last_used: u64,
}

/// Adds `delta` at domain `d` of `counts` (growing it), returning whether `d` is a domain.
fn add_at(counts: &mut Arc<Vec<i64>>, d: u32, delta: i64) -> bool {
    if d == NO_DOMAIN {
        return false;
    }
    let c = Arc::make_mut(counts);
    if c.len() <= d as usize {
        c.resize(d as usize + 1, 0);
    }
    c[d as usize] += delta;
    true
}

/// The three parts described in the module docs. Held by [`super::Cluster`], which calls the
/// update methods from its own binding and node methods.
#[derive(Clone, Debug, Default)]
pub struct PodIndex {
    topologies: Vec<Topology>,
    topology_ids: BTreeMap<String, usize>,
    entries: Vec<Option<QueryEntry>>,
    query_slots: BTreeMap<PodQuery, usize>,
    /// Queries whose pods all sit in one namespace, by that namespace.
    by_namespace: BTreeMap<String, Vec<usize>>,
    /// The other queries.
    global: Vec<usize>,
    groups: BTreeMap<GroupKey, TermGroup>,
    clock: u64,
}

/// The term lists of `pod` that count: each (kind, weight, term) of a list whose every term
/// parses.
fn pod_terms(pod: &Pod) -> Vec<(TermKind, i32, &PodAffinityTerm)> {
    let mut out = Vec::new();
    for (a, required, preferred) in [
        (&pod.pod_affinity, TermKind::RequiredAffinity, TermKind::PreferredAffinity),
        (&pod.pod_anti_affinity, TermKind::RequiredAntiAffinity, TermKind::PreferredAntiAffinity),
    ] {
        let Some(a) = a else { continue };
        if a.required.iter().all(|t| t.parse_error().is_none()) {
            out.extend(a.required.iter().map(|t| (required, 0, t)));
        }
        if a.preferred.iter().all(|w| w.term.parse_error().is_none()) {
            out.extend(a.preferred.iter().map(|w| (preferred, w.weight, &w.term)));
        }
    }
    out
}

fn group_key(kind: TermKind, weight: i32, term: &PodAffinityTerm, owner_ns: &str) -> GroupKey {
    let owner = match NamespaceScope::of_term(term, owner_ns) {
        NamespaceScope::One(ns) => ns,
        NamespaceScope::Listed { .. } => String::new(),
    };
    (kind, weight, owner, term.clone())
}

impl PodIndex {
    fn topology_id(&mut self, key: &str, nodes: &[Arc<NodeInfo>]) -> usize {
        if let Some(t) = self.topology_ids.get(key) {
            return *t;
        }
        let t = self.topologies.len();
        self.topologies.push(Topology::new(key, nodes));
        self.topology_ids.insert(key.to_string(), t);
        t
    }

    /// The domains of topology `key` (created on first use).
    pub fn topology(&mut self, key: &str, nodes: &[Arc<NodeInfo>]) -> TopologyView {
        let t = self.topology_id(key, nodes);
        self.topologies[t].view()
    }

    /// The entry of `query`, built from the bound pods on first use.
    fn entry(
        &mut self,
        query: &PodQuery,
        nodes: &[Arc<NodeInfo>],
        pods: &PodTable<Pod>,
        namespaces: &BTreeMap<String, Labels>,
    ) -> usize {
        self.clock += 1;
        if let Some(slot) = self.query_slots.get(query) {
            let e = self.entries[*slot].as_mut().expect("a slot in the map holds an entry");
            e.last_used = self.clock;
            return *slot;
        }
        if self.query_slots.len() >= MAX_QUERIES {
            self.evict_least_recently_used();
        }
        let mut per_node = vec![0u32; nodes.len()];
        for (id, info) in nodes.iter().enumerate() {
            if info.removed {
                continue;
            }
            per_node[id] = info.pods.iter().filter(|p| query.matches(&pods[**p], namespaces)).count() as u32;
        }
        let entry = QueryEntry {
            query: query.clone(),
            per_node: Arc::new(per_node),
            by_key: Vec::new(),
            last_used: self.clock,
        };
        let slot = match self.entries.iter().position(Option::is_none) {
            Some(s) => {
                self.entries[s] = Some(entry);
                s
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        };
        self.query_slots.insert(query.clone(), slot);
        match query.namespace() {
            Some(ns) => self.by_namespace.entry(ns.to_string()).or_default().push(slot),
            None => self.global.push(slot),
        }
        slot
    }

    fn evict_least_recently_used(&mut self) {
        let oldest = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(s, e)| e.as_ref().map(|e| (e.last_used, s)))
            .min()
            .map(|(_, s)| s);
        if let Some(s) = oldest {
            self.drop_entry(s);
        }
    }

    fn drop_entry(&mut self, slot: usize) {
        let Some(e) = self.entries[slot].take() else { return };
        self.query_slots.remove(&e.query);
        match e.query.namespace() {
            Some(ns) => {
                if let Some(v) = self.by_namespace.get_mut(ns) {
                    v.retain(|s| *s != slot);
                    if v.is_empty() {
                        self.by_namespace.remove(ns);
                    }
                }
            }
            None => self.global.retain(|s| *s != slot),
        }
    }

    /// Bound pods matching `query`, per node id (built on first use).
    pub fn per_node(
        &mut self,
        query: &PodQuery,
        nodes: &[Arc<NodeInfo>],
        pods: &PodTable<Pod>,
        namespaces: &BTreeMap<String, Labels>,
    ) -> Arc<Vec<u32>> {
        let slot = self.entry(query, nodes, pods, namespaces);
        Arc::clone(&self.entries[slot].as_ref().expect("entry").per_node)
    }

    /// Bound pods matching `query` per domain of topology `key` (built on first use).
    pub fn counts(
        &mut self,
        query: &PodQuery,
        key: &str,
        nodes: &[Arc<NodeInfo>],
        pods: &PodTable<Pod>,
        namespaces: &BTreeMap<String, Labels>,
    ) -> DomainCounts {
        let t = self.topology_id(key, nodes);
        let slot = self.entry(query, nodes, pods, namespaces);
        let topo = &self.topologies[t];
        let e = self.entries[slot].as_mut().expect("entry");
        let k = match e.by_key.iter().position(|(x, _, _)| *x == t) {
            Some(k) => k,
            None => {
                let mut counts = vec![0i64; topo.values.len()];
                let mut total = 0;
                for (id, n) in e.per_node.iter().enumerate() {
                    let d = topo.domain(id as NodeId);
                    if d != NO_DOMAIN && *n > 0 {
                        counts[d as usize] += i64::from(*n);
                        total += i64::from(*n);
                    }
                }
                e.by_key.push((t, Arc::new(counts), total));
                e.by_key.len() - 1
            }
        };
        let (_, counts, total) = &e.by_key[k];
        DomainCounts { topology: topo.view(), counts: Arc::clone(counts), total: *total }
    }

    /// Calls `f` on every term group of `kind`, in a fixed order (kind, weight, owner namespace,
    /// term).
    pub fn for_each_group(&self, kind: TermKind, mut f: impl FnMut(&TermGroup)) {
        for g in self.groups.values().filter(|g| g.kind == kind) {
            f(g);
        }
    }

    /// The domains of the topology of group `g` (every group's topology exists).
    pub fn group_topology(&self, g: &TermGroup) -> TopologyView {
        self.topologies[g.topo].view()
    }

    /// Pod `pod` was bound to (`delta` 1) or unbound from (−1) node `node`: every query and group
    /// it matches follows.
    pub fn pod_moved(
        &mut self,
        pod: &Pod,
        node: NodeId,
        delta: i64,
        nodes: &[Arc<NodeInfo>],
        namespaces: &BTreeMap<String, Labels>,
    ) {
        self.queries_moved(pod, node, delta, namespaces, |_| true);
        for (kind, weight, term) in pod_terms(pod) {
            let key = group_key(kind, weight, term, &pod.namespace);
            if !self.groups.contains_key(&key) {
                if delta < 0 {
                    continue;
                }
                let topo = self.topology_id(&term.topology_key, nodes);
                let owner_namespace = key.2.clone();
                let g = TermGroup {
                    kind,
                    weight,
                    owner_namespace,
                    term: term.clone(),
                    counts: Arc::new(Vec::new()),
                    total: 0,
                    instances: 0,
                    topo,
                };
                self.groups.insert(key.clone(), g);
            }
            let g = self.groups.get_mut(&key).expect("inserted above");
            let d = self.topologies[g.topo].domain(node);
            if add_at(&mut g.counts, d, delta) {
                g.total += delta;
            }
            g.instances += delta;
            if g.instances == 0 {
                self.groups.remove(&key);
            }
        }
    }

    /// Bound pod `pod` on `node` started terminating: queries that leave terminating pods out
    /// stop counting it. `pod` is read as it was before (its labels; terminating aside).
    pub fn pod_terminating(&mut self, pod: &Pod, node: NodeId, namespaces: &BTreeMap<String, Labels>) {
        self.queries_moved(pod, node, -1, namespaces, |q| !q.count_terminating);
    }

    fn queries_moved(
        &mut self,
        pod: &Pod,
        node: NodeId,
        delta: i64,
        namespaces: &BTreeMap<String, Labels>,
        which: impl Fn(&PodQuery) -> bool,
    ) {
        let bucket = self.by_namespace.get(&pod.namespace).map_or(&[][..], |v| &v[..]);
        for &slot in bucket.iter().chain(&self.global) {
            let e = self.entries[slot].as_mut().expect("listed slots hold entries");
            if !which(&e.query) || !e.query.selects(pod, namespaces) {
                continue;
            }
            // A terminating pod is already out of the queries that leave such pods out.
            if pod.terminating && !e.query.count_terminating {
                continue;
            }
            let per_node = Arc::make_mut(&mut e.per_node);
            if per_node.len() <= node as usize {
                per_node.resize(node as usize + 1, 0);
            }
            let n = &mut per_node[node as usize];
            *n = (i64::from(*n) + delta) as u32;
            for (t, counts, total) in &mut e.by_key {
                if add_at(counts, self.topologies[*t].domain(node), delta) {
                    *total += delta;
                }
            }
        }
    }

    /// Node `id` joined with `labels` (it has no pods yet).
    pub fn node_added(&mut self, id: NodeId, labels: &Labels) {
        for t in &mut self.topologies {
            let d = t.intern(labels.get(&t.key));
            let nd = Arc::make_mut(&mut t.node_domain);
            if nd.len() <= id as usize {
                nd.resize(id as usize + 1, NO_DOMAIN);
            }
            nd[id as usize] = d;
            t.enter(d, 1);
        }
        for e in self.entries.iter_mut().flatten() {
            let per_node = Arc::make_mut(&mut e.per_node);
            if per_node.len() <= id as usize {
                per_node.resize(id as usize + 1, 0);
            }
        }
    }

    /// Node `id` left the cluster (its pods were unbound first).
    pub fn node_removed(&mut self, id: NodeId) {
        for t in &mut self.topologies {
            let d = t.domain(id);
            if let Some(slot) = Arc::make_mut(&mut t.node_domain).get_mut(id as usize) {
                *slot = NO_DOMAIN;
            }
            t.enter(d, -1);
        }
    }

    /// Whether node `id`'s domain of some topology differs from what `labels` say.
    pub fn node_domains_differ(&self, id: NodeId, labels: &Labels) -> bool {
        self.topologies.iter().any(|t| {
            let now = t.domain(id);
            match labels.get(&t.key) {
                None => now != NO_DOMAIN,
                Some(v) => now == NO_DOMAIN || t.values[now as usize] != *v,
            }
        })
    }

    /// Node `id` (live) now carries `labels`: its domains follow. The caller has taken its pods
    /// out with [`PodIndex::pod_moved`] first and puts them back after.
    pub fn node_relabelled(&mut self, id: NodeId, labels: &Labels) {
        for t in &mut self.topologies {
            let old = t.domain(id);
            t.enter(old, -1);
            let d = t.intern(labels.get(&t.key));
            Arc::make_mut(&mut t.node_domain)[id as usize] = d;
            t.enter(d, 1);
        }
    }

    /// Namespace labels changed: queries that read them are dropped (and rebuilt when asked).
    pub fn namespaces_changed(&mut self) {
        let stale: Vec<usize> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(s, e)| e.as_ref().filter(|e| e.query.reads_namespace_labels()).map(|_| s))
            .collect();
        for s in stale {
            self.drop_entry(s);
        }
    }

    /// Number of pod queries held now.
    pub fn num_queries(&self) -> usize {
        self.query_slots.len()
    }

    /// Number of term groups held now.
    pub fn num_groups(&self) -> usize {
        self.groups.len()
    }
}

/// The [`PodIndex`] of a cluster behind a lock: plugins read the cluster through `&Cluster` and
/// the index creates topologies and queries on first use. The lock is never contended (one
/// scheduling cycle reads a cluster at a time); cloning clones the index (its vectors are shared
/// until either copy changes).
#[derive(Debug, Default)]
pub(super) struct IndexCell(std::sync::Mutex<PodIndex>);

impl IndexCell {
    /// The index, locked.
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, PodIndex> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The index, without locking (the caller holds the cluster mutably).
    pub(super) fn get_mut(&mut self) -> &mut PodIndex {
        self.0.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clone for IndexCell {
    fn clone(&self) -> Self {
        IndexCell(std::sync::Mutex::new(self.lock().clone()))
    }
}
