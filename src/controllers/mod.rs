//! Controllers: they watch the cluster's changes and react by emitting events, after the delays
//! upstream has. One file each.

pub mod admission;
