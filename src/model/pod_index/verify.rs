//! The pod index's self-check: every count it holds against a recount from the bound pods (tests
//! call it after each change; a difference is a bug in the index's upkeep).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{NO_DOMAIN, PodIndex, Topology};
use crate::model::cluster::NodeInfo;
use crate::model::labels::Labels;
use crate::model::node::NodeId;
use crate::model::pod::Pod;
use crate::model::pod_table::PodTable;

impl PodIndex {
    /// Compares every count held with a recount from `nodes` and `pods`: `Err` names the first
    /// difference. For tests: the index must always equal a full recount.
    ///
    /// # Errors
    /// A topology, query or group whose numbers differ from the recount.
    pub fn verify(
        &self,
        nodes: &[Arc<NodeInfo>],
        pods: &PodTable<Pod>,
        namespaces: &BTreeMap<String, Labels>,
    ) -> Result<(), String> {
        let mut fresh = PodIndex::default();
        for t in &self.topologies {
            let f = Topology::new(&t.key, nodes);
            for (id, info) in nodes.iter().enumerate() {
                let (a, b) = (t.domain(id as NodeId), f.domain(id as NodeId));
                let value = |x: &Topology, d: u32| (d != NO_DOMAIN).then(|| x.values[d as usize].clone());
                if value(t, a) != value(&f, b) {
                    return Err(format!("topology {}: node {} domain {a} vs {b}", t.key, info.node.name));
                }
            }
            let live = |x: &Topology| {
                x.values
                    .iter()
                    .enumerate()
                    .filter(|(d, _)| x.nodes_in_domain[*d] > 0)
                    .map(|(d, v)| (v.clone(), x.nodes_in_domain[d]))
                    .collect::<BTreeMap<_, _>>()
            };
            if live(t) != live(&f) || t.live_domains != f.live_domains || t.nodes_with_key != f.nodes_with_key
            {
                return Err(format!("topology {}: live domains differ", t.key));
            }
        }
        let values = |t: &Topology, counts: &[i64]| {
            counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c != 0)
                .map(|(d, c)| (t.values[d].clone(), *c))
                .collect::<BTreeMap<String, i64>>()
        };
        for e in self.entries.iter().flatten() {
            for (t, counts, total) in &e.by_key {
                let key = self.topologies[*t].key.clone();
                let f = fresh.counts(&e.query, &key, nodes, pods, namespaces);
                let ft = &fresh.topologies[fresh.topology_ids[&key]];
                if values(&self.topologies[*t], counts) != values(ft, &f.counts) || *total != f.total {
                    return Err(format!("query {:?} on {key}: counts differ", e.query));
                }
            }
            let f = fresh.per_node(&e.query, nodes, pods, namespaces);
            let trimmed =
                |v: &[u32]| v.iter().copied().enumerate().filter(|(_, c)| *c != 0).collect::<Vec<_>>();
            if trimmed(&e.per_node) != trimmed(&f) {
                return Err(format!("query {:?}: per-node counts differ", e.query));
            }
        }
        for (id, info) in nodes.iter().enumerate() {
            if info.removed {
                continue;
            }
            for p in &info.pods {
                fresh.pod_moved(&pods[*p], id as NodeId, 1, nodes, namespaces);
            }
        }
        if self.groups.len() != fresh.groups.len() {
            return Err(format!("{} term groups, a recount has {}", self.groups.len(), fresh.groups.len()));
        }
        for (key, g) in &self.groups {
            let Some(f) = fresh.groups.get(key) else {
                return Err(format!("term group {key:?} is not in a recount"));
            };
            let (gt, ft) = (&self.topologies[g.topo], &fresh.topologies[f.topo]);
            if values(gt, &g.counts) != values(ft, &f.counts)
                || g.total != f.total
                || g.instances != f.instances
            {
                return Err(format!("term group {key:?}: counts differ"));
            }
        }
        Ok(())
    }
}
