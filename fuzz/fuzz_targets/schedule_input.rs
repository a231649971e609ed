//! A `capsim schedule` file (`experiment::schedule::load`): a KubeSchedulerConfiguration,
//! Nodes and Pods; when it loads with at most 50 nodes and 50 pods, every pod is scheduled
//! (`schedule_all`, with preemption).
#![no_main]

use capsim::experiment::schedule::{load, schedule_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = capsim_fuzz::write_input("schedule.yaml", data);
    let Ok(input) = load(&path) else { return };
    if input.cluster.num_nodes() > 50 || input.pods.len() > 50 {
        return;
    }
    let _ = schedule_all(input, true);
});
