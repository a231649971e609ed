//! The node lifecycle controller (mirrors kube-controller-manager's
//! `pkg/controller/nodelifecycle`): a node that stops heartbeating for the grace period gets
//! Ready=Unknown and the `node.kubernetes.io/unreachable` taints — NoSchedule at once, NoExecute
//! through a per-zone rate limiter whose rate depends on how disrupted the zone is.
//! [`NodeLifecycle`] holds each node's [`Health`] and each zone's state.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::Settings;
use crate::model::NodeId;
use crate::time::SimTime;

/// Health of a zone (upstream `ZoneState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    /// Fewer than 3 not-ready nodes, or below the unhealthy threshold.
    Normal,
    /// More than 2 not-ready nodes and at least `unhealthyZoneThreshold` of the zone.
    PartialDisruption,
    /// Every node of the zone is not ready.
    FullDisruption,
}

/// Upstream `ComputeZoneState` for a zone with `ready` and `not_ready` nodes.
pub fn zone_state(ready: usize, not_ready: usize, threshold: f64) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        ZoneState::FullDisruption
    } else if not_ready > 2 && (not_ready as f32) / ((not_ready + ready) as f32) >= threshold as f32 {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// Health of a node as the controller tracks it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Health {
    /// The kubelet heartbeats (false from a failure until recovery).
    pub heartbeat: bool,
    /// Ready is Unknown (grace period over) and the unreachable taints are on.
    pub unreachable: bool,
    /// Bumped on every failure and recovery, to drop stale timers.
    pub epoch: u32,
    /// Index into the recorder's failures of the current failure.
    pub failure: Option<usize>,
}

/// One zone: its nodes, those not ready, and the NoExecute tainting queue.
#[derive(Clone, Debug, Default)]
struct Zone {
    nodes: BTreeSet<NodeId>,
    not_ready: BTreeSet<NodeId>,
    queue: VecDeque<NodeId>,
    /// Earliest time the rate limiter lets the next taint through.
    next_token: SimTime,
    tick_pending: bool,
}

/// The controller's state: zones keyed as upstream's `GetZoneKey` (region and zone labels).
#[derive(Clone, Debug, Default)]
pub struct NodeLifecycle {
    settings: Settings,
    zones: BTreeMap<String, Zone>,
    zone_of: BTreeMap<NodeId, String>,
    /// Per node id: its health.
    health: Vec<Health>,
    /// Zone names by number, in the order their first node joined.
    zone_names: Vec<String>,
}

impl NodeLifecycle {
    /// A controller with `settings`.
    pub fn new(settings: Settings) -> Self {
        NodeLifecycle { settings, ..Default::default() }
    }

    /// Node `node` joined `zone`, heartbeating.
    pub fn node_joined(&mut self, node: NodeId, zone: String) {
        if self.health.len() <= node as usize {
            self.health.resize(node as usize + 1, Health::default());
        }
        self.health[node as usize] = Health { heartbeat: true, ..Default::default() };
        if !self.zone_names.contains(&zone) {
            self.zone_names.push(zone.clone());
        }
        self.add_node(node, zone);
    }

    /// The health of node `node` (which has joined).
    pub fn health(&self, node: NodeId) -> Health {
        self.health[node as usize]
    }

    /// The nodes whose Ready is Unknown (deleted ones included).
    pub fn unreachable_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.health.iter().enumerate().filter(|(_, h)| h.unreachable).map(|(i, _)| i as NodeId)
    }

    /// Node `node` stopped heartbeating; `failure` is its failure record. Returns the failure's
    /// epoch (timers of older epochs are stale).
    pub fn heartbeat_lost(&mut self, node: NodeId, failure: usize) -> u32 {
        let h = &mut self.health[node as usize];
        h.heartbeat = false;
        h.epoch += 1;
        h.failure = Some(failure);
        h.epoch
    }

    /// Node `node`'s grace period ran out: Ready is Unknown.
    pub fn set_unreachable(&mut self, node: NodeId) {
        self.health[node as usize].unreachable = true;
    }

    /// Node `node` heartbeats again: Ready, out of the tainting queue. Returns the failure
    /// record it recovers from and whether it was unreachable.
    pub fn heartbeat_back(&mut self, node: NodeId) -> (Option<usize>, bool) {
        let h = &mut self.health[node as usize];
        h.heartbeat = true;
        h.epoch += 1;
        let failure = h.failure.take();
        let was_unreachable = std::mem::take(&mut h.unreachable);
        self.mark_ready(node);
        (failure, was_unreachable)
    }

    /// The number of zone `zone` (for the engine's zone tick events).
    pub fn zone_number(&self, zone: &str) -> u32 {
        self.zone_names.iter().position(|x| x == zone).expect("known zone") as u32
    }

    /// The name of zone number `z`.
    pub fn zone_name(&self, z: usize) -> &str {
        &self.zone_names[z]
    }

    /// A node joined `zone`.
    pub fn add_node(&mut self, node: NodeId, zone: String) {
        self.zones.entry(zone.clone()).or_default().nodes.insert(node);
        self.zone_of.insert(node, zone);
    }

    /// A node left the cluster.
    pub fn remove_node(&mut self, node: NodeId) {
        if let Some(zone) = self.zone_of.remove(&node) {
            let z = self.zones.get_mut(&zone).expect("zone of a known node");
            z.nodes.remove(&node);
            z.not_ready.remove(&node);
            z.queue.retain(|n| *n != node);
        }
    }

    /// The zone of `node`, if it is in the cluster.
    pub fn zone_of(&self, node: NodeId) -> Option<&str> {
        self.zone_of.get(&node).map(String::as_str)
    }

    /// The state of `zone`.
    pub fn state(&self, zone: &str) -> ZoneState {
        let z = &self.zones[zone];
        zone_state(
            z.nodes.len() - z.not_ready.len(),
            z.not_ready.len(),
            self.settings.unhealthy_zone_threshold,
        )
    }

    /// NoExecute taints per second in `zone` now (upstream `setLimiterInZone` and the
    /// all-zones-down guard): the primary rate when Normal or fully disrupted, the secondary rate
    /// (0 in small zones) when partially disrupted, and 0 everywhere when every zone is fully
    /// disrupted.
    pub fn rate(&self, zone: &str) -> f64 {
        let all_down = self.zones.values().filter(|z| !z.nodes.is_empty()).all(|z| {
            zone_state(
                z.nodes.len() - z.not_ready.len(),
                z.not_ready.len(),
                self.settings.unhealthy_zone_threshold,
            ) == ZoneState::FullDisruption
        });
        if all_down {
            return 0.0;
        }
        match self.state(zone) {
            ZoneState::Normal | ZoneState::FullDisruption => self.settings.node_eviction_rate,
            ZoneState::PartialDisruption => {
                if self.zones[zone].nodes.len() > self.settings.large_cluster_size_threshold {
                    self.settings.secondary_node_eviction_rate
                } else {
                    0.0
                }
            }
        }
    }

    /// The grace period ran out for `node` (Ready becomes Unknown): it is queued for its
    /// NoExecute taint. Returns the zone whose queue needs a tick at the returned time, if one
    /// is not already pending.
    pub fn mark_not_ready(&mut self, node: NodeId, now: SimTime) -> Option<(String, SimTime)> {
        let zone = self.zone_of.get(&node)?.clone();
        let z = self.zones.get_mut(&zone).expect("zone");
        z.not_ready.insert(node);
        if !z.queue.contains(&node) {
            z.queue.push_back(node);
        }
        self.next_tick(&zone, now)
    }

    /// `node` heartbeats again: Ready, and out of the tainting queue.
    pub fn mark_ready(&mut self, node: NodeId) {
        if let Some(zone) = self.zone_of.get(&node) {
            let z = self.zones.get_mut(zone).expect("zone");
            z.not_ready.remove(&node);
            z.queue.retain(|n| *n != node);
        }
    }

    /// When the zone's next tick should run, if it has queued nodes, no tick pending, and a
    /// positive rate. Marks the tick pending.
    fn next_tick(&mut self, zone: &str, now: SimTime) -> Option<(String, SimTime)> {
        let rate = self.rate(zone);
        let z = self.zones.get_mut(zone).expect("zone");
        if z.tick_pending || z.queue.is_empty() || rate <= 0.0 {
            return None;
        }
        z.tick_pending = true;
        Some((zone.to_string(), z.next_token.max(now)))
    }

    /// The zone's rate limiter lets one node through at `now`: returns the node to taint
    /// NoExecute (if any still waits) and the next tick to schedule.
    pub fn tick(&mut self, zone: &str, now: SimTime) -> (Option<NodeId>, Option<(String, SimTime)>) {
        let rate = self.rate(zone);
        let Some(z) = self.zones.get_mut(zone) else { return (None, None) };
        z.tick_pending = false;
        if rate <= 0.0 || now < z.next_token {
            let next = self.next_tick(zone, now);
            return (None, next);
        }
        let node = z.queue.pop_front();
        if node.is_some() {
            z.next_token = now.plus_millis((1000.0 / rate).round() as i64);
        }
        let next = self.next_tick(zone, now);
        (node, next)
    }

    /// Zones whose queue waits for a tick (after a zone's state changed its rate), with when.
    pub fn wake_zones(&mut self, now: SimTime) -> Vec<(String, SimTime)> {
        let names: Vec<String> = self.zones.keys().cloned().collect();
        names.iter().filter_map(|z| self.next_tick(z, now)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_states_follow_upstream_thresholds() {
        assert_eq!(zone_state(10, 0, 0.55), ZoneState::Normal);
        assert_eq!(zone_state(0, 3, 0.55), ZoneState::FullDisruption);
        assert_eq!(zone_state(1, 2, 0.55), ZoneState::Normal, "needs more than 2 not ready");
        assert_eq!(zone_state(4, 5, 0.55), ZoneState::PartialDisruption);
        assert_eq!(zone_state(5, 5, 0.55), ZoneState::Normal, "50 % < 55 %");
    }

    #[test]
    fn one_node_per_ten_seconds_in_a_healthy_zone() {
        let mut c = NodeLifecycle::new(Settings::default());
        for n in 0..100 {
            c.add_node(n, String::new());
        }
        assert_eq!(c.mark_not_ready(0, SimTime(50_000)), Some((String::new(), SimTime(50_000))));
        assert_eq!(c.mark_not_ready(1, SimTime(50_000)), None, "a tick is pending");
        let (n, next) = c.tick("", SimTime(50_000));
        assert_eq!((n, next), (Some(0), Some((String::new(), SimTime(60_000)))));
        let (n, next) = c.tick("", SimTime(60_000));
        assert_eq!((n, next), (Some(1), None));
    }

    #[test]
    fn a_partially_disrupted_small_zone_stops_tainting() {
        let mut c = NodeLifecycle::new(Settings::default());
        for n in 0..10 {
            c.add_node(n, "z".into());
        }
        for n in 0..6 {
            c.mark_not_ready(n, SimTime::ZERO);
        }
        assert_eq!(c.state("z"), ZoneState::PartialDisruption);
        assert_eq!(c.rate("z"), 0.0, "a zone of 10 nodes is not large");
        let mut big = NodeLifecycle::new(Settings::default());
        for n in 0..100 {
            big.add_node(n, "z".into());
        }
        for n in 0..60 {
            big.mark_not_ready(n, SimTime::ZERO);
        }
        assert_eq!(big.rate("z"), 0.01);
    }

    #[test]
    fn every_zone_fully_down_stops_tainting() {
        let mut c = NodeLifecycle::new(Settings::default());
        c.add_node(0, "a".into());
        c.add_node(1, "b".into());
        c.mark_not_ready(0, SimTime::ZERO);
        assert_eq!(c.rate("a"), 0.1, "zone a is fully down but b is healthy");
        c.mark_not_ready(1, SimTime::ZERO);
        assert_eq!(c.rate("a"), 0.0);
    }
}
