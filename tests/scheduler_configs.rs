//! The seven real KubeSchedulerConfiguration files in `workloads/scheduler-configs/examples/`
//! (see its SOURCE.md): the in-tree ones parse into the profiles upstream would build; the ones
//! naming out-of-tree plugins (or a removed API version) fail with a clear error naming the file,
//! the line, the field and the plugin.

use std::path::Path;

use capsim::error::InputError;
use capsim::scenario::load_scheduler_config;
use capsim::scheduler::framework::profile::SchedulerConfig;

fn load(name: &str) -> Result<SchedulerConfig, InputError> {
    load_scheduler_config(&Path::new("workloads/scheduler-configs/examples").join(name))
}

fn score_plugins(cfg: &SchedulerConfig, profile: &str) -> Vec<(String, i64)> {
    cfg.profile(profile).unwrap().score.iter().map(|w| (w.plugin.name().to_string(), w.weight)).collect()
}

fn expect_error(name: &str, needles: &[&str]) {
    let e = load(name).err().unwrap_or_else(|| panic!("{name} should be rejected"));
    let text = e.to_string();
    for n in needles {
        assert!(text.contains(n), "{name}: error should mention {n:?}: {text}");
    }
}

#[test]
fn most_allocated_example_keeps_default_plugins_and_weights() {
    let cfg = load("k8s-docs-mostallocated.yaml").unwrap();
    assert_eq!(cfg.profiles.len(), 1);
    assert_eq!(
        score_plugins(&cfg, "default-scheduler"),
        [
            ("TaintToleration", 3),
            ("NodeAffinity", 2),
            ("NodeResourcesFit", 1),
            ("VolumeBinding", 1),
            ("PodTopologySpread", 2),
            ("InterPodAffinity", 2),
            ("DynamicResources", 2),
            ("NodeResourcesBalancedAllocation", 1),
            ("ImageLocality", 1),
        ]
        .map(|(n, w)| (n.to_string(), w))
    );
}

#[test]
fn multiple_profiles_example_has_a_profile_without_scoring() {
    let cfg = load("k8s-docs-multiple-profiles.yaml").unwrap();
    let names: Vec<&str> = cfg.profiles.iter().map(|p| p.scheduler_name.as_str()).collect();
    assert_eq!(names, ["default-scheduler", "no-scoring-scheduler"]);
    let none = cfg.profile("no-scoring-scheduler").unwrap();
    assert!(none.score.is_empty() && none.pre_score.is_empty());
    assert!(!none.filter.is_empty(), "filters stay enabled");
}

#[test]
fn requested_to_capacity_ratio_example_parses() {
    let cfg = load("k8s-docs-requestedtocapacityratio.yaml").unwrap();
    assert_eq!(cfg.profiles.len(), 1);
}

#[test]
fn out_of_tree_plugins_are_reported_as_not_built_in() {
    expect_error(
        "scheduler-plugins-coscheduling.yaml",
        &[
            "scheduler-plugins-coscheduling.yaml:12",
            "profiles[0].plugins.multiPoint.enabled[0].name",
            "\"Coscheduling\" is not built in",
        ],
    );
    expect_error(
        "scheduler-plugins-capacityscheduling.yaml",
        &["scheduler-plugins-capacityscheduling.yaml:12", "\"CapacityScheduling\" is not built in"],
    );
    expect_error(
        "scheduler-plugins-noderesources.yaml",
        &["profiles[0].plugins.score.enabled[0].name", "\"NodeResourcesAllocatable\" is not built in"],
    );
}

#[test]
fn the_fgd_simulator_config_uses_a_removed_api_version() {
    expect_error(
        "fgd-simulator-test-scheduler-config.yaml",
        &["fgd-simulator-test-scheduler-config.yaml:1", "apiVersion", "kubescheduler.config.k8s.io/v1beta1"],
    );
}
