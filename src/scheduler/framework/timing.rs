//! Optional per-plugin timing of scheduling cycles (what scheduler_perf reports as per-plugin
//! latency): off by default, when the runner pays one flag read per cycle; `capsim bench` turns
//! it on for a separate pass. Per thread, so parallel runs never mix their figures.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static TIMES: RefCell<BTreeMap<(&'static str, &'static str), Duration>> = const { RefCell::new(BTreeMap::new()) };
}

/// Starts (or stops) recording on this thread, clearing what was recorded.
pub fn enable(on: bool) {
    ON.with(|c| c.set(on));
    TIMES.with(|t| t.borrow_mut().clear());
}

/// Whether recording is on for this thread.
pub fn enabled() -> bool {
    ON.with(Cell::get)
}

/// Adds `d` to (extension point, plugin).
pub fn add(point: &'static str, plugin: &'static str, d: Duration) {
    TIMES.with(|t| *t.borrow_mut().entry((point, plugin)).or_default() += d);
}

/// What was recorded: (extension point, plugin) → total time, in name order.
pub fn take() -> BTreeMap<(&'static str, &'static str), Duration> {
    TIMES.with(|t| std::mem::take(&mut *t.borrow_mut()))
}
