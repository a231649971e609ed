//! Work above a single run: `schedule` (pod-by-pod decisions of one YAML file) and `explain`
//! (one pod's cycle at a point of a run).

pub mod bench;
pub mod compare;
pub mod compare_report;
pub mod explain;
pub mod fgd;
pub mod plan;
pub mod schedule;
