//! Which nodes an action applies to: by name, labels and pool, optionally a random share of the
//! matches (timeline events, static pods, failure processes). The random draw uses the generator
//! the caller passes in.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Cluster, Node, NodeId};
use crate::names::LABEL_POOL;

/// Which nodes an action applies to (see `docs/scenario.md`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeSelection {
    /// Node names (empty: any).
    pub names: Vec<String>,
    /// Labels the nodes must carry.
    pub labels: BTreeMap<String, String>,
    /// Pool (label `capsim.dev/pool`).
    pub pool: Option<String>,
    /// Pick this many of the matches at random.
    pub count: Option<usize>,
    /// Pick this fraction of the matches at random.
    pub fraction: Option<f64>,
}

impl NodeSelection {
    /// Whether `node` passes the name, label and pool filters.
    pub fn matches(&self, node: &Node) -> bool {
        (self.names.is_empty() || self.names.contains(&node.name))
            && self.labels.iter().all(|(k, v)| node.labels.get(k) == Some(v))
            && self.pool.as_ref().is_none_or(|p| node.labels.get(LABEL_POOL) == Some(p))
    }

    /// The live nodes selected now, in id order: every match, or `count` / `fraction` of them
    /// drawn from `rng` (a fraction rounds to the nearest count, at least 1 when positive).
    pub fn resolve(&self, cluster: &Cluster, rng: &mut ChaCha8Rng) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = cluster
            .nodes()
            .iter()
            .enumerate()
            .filter(|(_, info)| !info.removed && self.matches(&info.node))
            .map(|(i, _)| i as NodeId)
            .collect();
        let want = match (self.count, self.fraction) {
            (Some(c), _) => Some(c),
            (None, Some(f)) => {
                Some(if f > 0.0 { ((ids.len() as f64 * f).round() as usize).max(1) } else { 0 })
            }
            (None, None) => None,
        };
        if let Some(k) = want
            && k < ids.len()
        {
            let (picked, _) = ids.partial_shuffle(rng, k);
            let mut picked = picked.to_vec();
            picked.sort_unstable();
            ids = picked;
        }
        ids
    }
}
