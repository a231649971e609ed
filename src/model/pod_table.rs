//! [`PodTable`]: per-pod state of the pods alive now, looked up by [`PodId`] in O(1).
//!
//! Pod ids are handed out in creation order and never reused, so every order that follows ids
//! (the node's pod lists, the victims' tie-breaks, `pods.csv`) is creation order. What a pod
//! holds, though, lives in a row that is freed when the pod is and taken by a later pod, and the
//! id → row index is paged, a page dropped once its ids are all handed out and freed: memory
//! follows the live population (issue 16: a week of 10,000,000 pods at a constant live
//! population keeps a nearly flat peak RSS).

use super::PodId;

/// Marks an id without a row: never inserted, or freed.
const NO_ROW: u32 = u32::MAX;

/// Ids per page of the id → row index. A page whose ids have all been handed out and freed is
/// dropped, so even the index follows the pods alive (a long-lived pod keeps one page, 16 KiB).
const PAGE: usize = 4096;

/// Rows of type `T` for the live pods, by [`PodId`].
#[derive(Clone, Debug)]
pub struct PodTable<T> {
    /// Row of each id, by page of [`PAGE`] ids ([`NO_ROW`] when it has none); `None` for a page
    /// without live ids.
    pages: Vec<Option<Box<[u32]>>>,
    /// Ids with a row, per page.
    page_live: Vec<u32>,
    /// One past the highest id seen.
    next: PodId,
    /// The rows; a freed row is `None` until a later pod takes it.
    rows: Vec<Option<T>>,
    /// Freed rows, taken last-freed first.
    free: Vec<u32>,
    /// Rows in use.
    live: usize,
}

impl<T> Default for PodTable<T> {
    fn default() -> Self {
        PodTable {
            pages: Vec::new(),
            page_live: Vec::new(),
            next: 0,
            rows: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T> PodTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id [`PodTable::push`] hands out: one past the highest id seen.
    pub fn next_id(&self) -> PodId {
        self.next
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
        self.next = self.next.max(next);
    }

    /// Adds `value` under the next id and returns that id.
    pub fn push(&mut self, value: T) -> PodId {
        let id = self.next_id();
        self.insert(id, value);
        id
    }

    fn row_of(&self, id: PodId) -> Option<u32> {
        let page = self.pages.get(id as usize / PAGE)?.as_ref()?;
        Some(page[id as usize % PAGE]).filter(|r| *r != NO_ROW)
    }

    /// Adds `value` under `id`, which must not have a row (ids skipped on the way stay without
    /// one: a scheduler's cache skips the pods that came and went before it caught up).
    ///
    /// # Panics
    /// `id` already has a row (a bug in the caller).
    pub fn insert(&mut self, id: PodId, value: T) {
        assert!(self.row_of(id).is_none(), "pod {id} added twice");
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
        let p = id as usize / PAGE;
        if self.pages.len() <= p {
            self.pages.resize_with(p + 1, || None);
            self.page_live.resize(p + 1, 0);
        }
        self.pages[p].get_or_insert_with(|| vec![NO_ROW; PAGE].into_boxed_slice())[id as usize % PAGE] = row;
        self.page_live[p] += 1;
        self.next = self.next.max(id + 1);
        self.live += 1;
    }

    /// The row of `id`, if it is alive.
    pub fn get(&self, id: PodId) -> Option<&T> {
        self.rows[self.row_of(id)? as usize].as_ref()
    }

    /// The row of `id` to change, if it is alive.
    pub fn get_mut(&mut self, id: PodId) -> Option<&mut T> {
        let r = self.row_of(id)?;
        self.rows[r as usize].as_mut()
    }

    /// Frees the row of `id` and returns it (`None` when it has none).
    pub fn remove(&mut self, id: PodId) -> Option<T> {
        let r = self.row_of(id)?;
        let p = id as usize / PAGE;
        self.page_live[p] -= 1;
        // A page whose ids were all handed out and freed goes; the page still handing out ids stays.
        if self.page_live[p] == 0 && (p + 1) * PAGE <= self.next as usize {
            self.pages[p] = None;
        } else if let Some(page) = self.pages[p].as_mut() {
            page[id as usize % PAGE] = NO_ROW;
        }
        self.free.push(r);
        self.live -= 1;
        self.rows[r as usize].take()
    }

    /// The live rows in id (creation) order. Walks the index's pages: for the end of a run and
    /// for rare whole-cluster questions, not per scheduling cycle.
    pub fn iter(&self) -> impl Iterator<Item = (PodId, &T)> {
        self.pages.iter().enumerate().filter_map(|(p, page)| Some((p, page.as_ref()?))).flat_map(
            move |(p, page)| {
                page.iter().enumerate().filter(|(_, r)| **r != NO_ROW).filter_map(move |(i, r)| {
                    Some(((p * PAGE + i) as PodId, self.rows[*r as usize].as_ref()?))
                })
            },
        )
    }

    /// Pages of the id index held now (for tests of the memory bound).
    pub fn pages_held(&self) -> usize {
        self.pages.iter().filter(|p| p.is_some()).count()
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
        assert_eq!(t.pages_held(), 1);
        assert_eq!(t.len(), 3);
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![(0, &"a"), (2, &"c"), (3, &"d")]);
        t[3] = "e";
        assert_eq!(t[3], "e");
        t.insert(7, "g");
        assert_eq!((t.next_id(), t.get(5), t.len()), (8, None, 4));
    }

    /// The id index drops a page once all its ids were handed out and freed: 10 pages of ids
    /// came and went, one pod of the first page lives on, the page handing out ids stays.
    #[test]
    fn the_index_keeps_only_pages_with_live_ids() {
        let mut t = PodTable::new();
        for i in 0..(10 * PAGE as u32 + 5) {
            t.push(i);
        }
        for i in 1..(10 * PAGE as u32 + 5) {
            t.remove(i);
        }
        assert_eq!((t.pages_held(), t.len(), t.get(0)), (2, 1, Some(&0)));
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![(0, &0)]);
        let id = t.push(99);
        assert_eq!((id, t.get(id), t.pages_held()), (10 * PAGE as u32 + 5, Some(&99), 2));
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
