//! Work above a single run: `schedule` (pod-by-pod decisions of one YAML file).

pub mod schedule;
