//! kube-scheduler semantics: the framework (extension points, profiles, the cycle runner) and
//! the in-tree plugins.

pub mod framework;
pub mod plugins;
