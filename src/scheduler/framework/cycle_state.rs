//! Per-cycle data shared between a plugin's extension points (upstream `framework.CycleState`).

use std::any::Any;

/// Data for one scheduling cycle. PreFilter/PreScore write a value under the plugin's key;
/// Filter/Score read it back. Also records which plugins were skipped at PreFilter and PreScore.
#[derive(Default)]
pub struct CycleState {
    entries: Vec<(&'static str, Box<dyn Any + Send + Sync>)>,
    /// Plugins whose PreFilter returned Skip: their Filter does not run for this pod.
    pub skip_filter: Vec<&'static str>,
    /// Plugins whose PreScore returned Skip: their Score does not run for this pod.
    pub skip_score: Vec<&'static str>,
    /// A random draw for plugins that ask for one ([`super::ScorePlugin::wants_random`]), from
    /// the run's tie-break stream; `None` otherwise.
    pub random: Option<u64>,
}

impl CycleState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value` under `key`, replacing an earlier value.
    pub fn write<T: Any + Send + Sync>(&mut self, key: &'static str, value: T) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = Box::new(value),
            None => self.entries.push((key, Box::new(value))),
        }
    }

    /// The value stored under `key`, if it has type `T`. Filter and Score read once per node,
    /// so keys (plugin constants, usually the very same `&'static str`) compare by address
    /// first, then by content.
    #[inline]
    pub fn read<T: Any>(&self, key: &'static str) -> Option<&T> {
        let same = |k: &&'static str| std::ptr::eq(k.as_ptr(), key.as_ptr()) && k.len() == key.len();
        self.entries
            .iter()
            .find(|(k, _)| same(k))
            .or_else(|| self.entries.iter().find(|(k, _)| *k == key))
            .and_then(|(_, v)| v.downcast_ref())
    }

    /// The value stored under `key`, mutably, if it has type `T` (PreFilter extensions update
    /// their state in preemption's dry run).
    pub fn read_mut<T: Any>(&mut self, key: &'static str) -> Option<&mut T> {
        self.entries.iter_mut().find(|(k, _)| *k == key).and_then(|(_, v)| v.downcast_mut())
    }

    /// Clears everything, keeping the allocations for the next cycle.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.skip_filter.clear();
        self.skip_score.clear();
        self.random = None;
    }
}
