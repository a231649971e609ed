//! [`PodTable`]: per-pod state of the pods alive now, looked up by [`PodId`] in O(1).
//!
//! Pod ids are handed out in creation order and never reused, so every order that follows ids
//! (the node's pod lists, the victims' tie-breaks, `pods.csv`) is creation order. What a pod
//! holds, though, lives in a row that is freed when the pod is and taken by a later pod: memory
//! follows the live population, plus 4 bytes per id ever handed out (issue 16: a week of
//! 10,000,000 pods at a constant live population keeps a nearly flat peak RSS).

use super::PodId;

/// Marks an id without a row: never inserted, or freed.
const NO_ROW: u32 = u32::MAX;

/// Rows of type `T` for the live pods, by [`PodId`].
#[derive(Clone, Debug)]
pub struct PodTable<T> {
    /// Row of each id handed out so far ([`NO_ROW`] when it has none).
    slot: Vec<u32>,
    /// The rows; a freed row is `None` until a later pod takes it.
    rows: Vec<Option<T>>,
    /// Freed rows, taken last-freed first.
    free: Vec<u32>,
    /// Rows in use.
    live: usize,
}

impl<T> Default for PodTable<T> {
    fn default() -> Self {
        PodTable { slot: Vec::new(), rows: Vec::new(), free: Vec::new(), live: 0 }
    }
}

impl<T> PodTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id [`PodTable::push`] hands out: one past the highest id seen.
    pub fn next_id(&self) -> PodId {
        self.slot.len() as PodId
    }

    /// Rows in use (pods alive).
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no pod is alive.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Hands out no id below `next` from now on (ids skipped stay without a row).
    pub fn skip_to(&mut self, next: PodId) {
        if next as usize > self.slot.len() {
            self.slot.resize(next as usize, NO_ROW);
        }
    }

    /// Adds `value` under the next id and returns that id.
    pub fn push(&mut self, value: T) -> PodId {
        let id = self.next_id();
        self.insert(id, value);
        id
    }

    /// Adds `value` under `id`, which must not have a row (ids skipped on the way stay without
    /// one: a scheduler's cache skips the pods that came and went before it caught up).
    ///
    /// # Panics
    /// `id` already has a row (a bug in the caller).
    pub fn insert(&mut self, id: PodId, value: T) {
        let i = id as usize;
        if i >= self.slot.len() {
            self.slot.resize(i + 1, NO_ROW);
        }
        assert_eq!(self.slot[i], NO_ROW, "pod {id} added twice");
        let row = match self.free.pop() {
            Some(r) => {
                self.rows[r as usize] = Some(value);
                r
            }
            None => {
                self.rows.push(Some(value));
                (self.rows.len() - 1) as u32
            }
        };
        self.slot[i] = row;
        self.live += 1;
    }

    /// The row of `id`, if it is alive.
    pub fn get(&self, id: PodId) -> Option<&T> {
        match self.slot.get(id as usize) {
            Some(&r) if r != NO_ROW => self.rows[r as usize].as_ref(),
            _ => None,
        }
    }

    /// The row of `id` to change, if it is alive.
    pub fn get_mut(&mut self, id: PodId) -> Option<&mut T> {
        match self.slot.get(id as usize) {
            Some(&r) if r != NO_ROW => self.rows[r as usize].as_mut(),
            _ => None,
        }
    }

    /// Frees the row of `id` and returns it (`None` when it has none).
    pub fn remove(&mut self, id: PodId) -> Option<T> {
        let r = *self.slot.get(id as usize)?;
        if r == NO_ROW {
            return None;
        }
        self.slot[id as usize] = NO_ROW;
        self.free.push(r);
        self.live -= 1;
        self.rows[r as usize].take()
    }

    /// The live rows in id (creation) order. Walks every id handed out: for the end of a run
    /// and for rare whole-cluster questions, not per scheduling cycle.
    pub fn iter(&self) -> impl Iterator<Item = (PodId, &T)> {
        self.slot
            .iter()
            .enumerate()
            .filter(|(_, r)| **r != NO_ROW)
            .filter_map(|(id, r)| Some((id as PodId, self.rows[*r as usize].as_ref()?)))
    }
}

impl<T> std::ops::Index<PodId> for PodTable<T> {
    type Output = T;

    /// # Panics
    /// `id` is not alive: a pod read after it was freed (a bug in the caller).
    fn index(&self, id: PodId) -> &T {
        self.get(id).unwrap_or_else(|| panic!("pod {id} read after it was freed (or never added)"))
    }
}

impl<T> std::ops::IndexMut<PodId> for PodTable<T> {
    fn index_mut(&mut self, id: PodId) -> &mut T {
        self.get_mut(id).unwrap_or_else(|| panic!("pod {id} changed after it was freed (or never added)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_rows_are_reused_while_ids_keep_creation_order() {
        let mut t = PodTable::new();
        assert_eq!((t.push("a"), t.push("b"), t.push("c")), (0, 1, 2));
        assert_eq!(t.remove(1), Some("b"));
        assert_eq!(t.remove(1), None);
        assert_eq!(t.get(1), None);
        assert_eq!(t.push("d"), 3);
        // "d" took b's freed row: three rows for four ids.
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.len(), 3);
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![(0, &"a"), (2, &"c"), (3, &"d")]);
        t[3] = "e";
        assert_eq!(t[3], "e");
        t.insert(7, "g");
        assert_eq!((t.next_id(), t.get(5), t.len()), (8, None, 4));
    }

    #[test]
    #[should_panic(expected = "pod 0 read after it was freed")]
    fn reading_a_freed_pod_is_a_bug() {
        let mut t = PodTable::new();
        t.push(1u8);
        t.remove(0);
        let _ = t[0];
    }
}
