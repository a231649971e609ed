//! Profiles: a `KubeSchedulerConfiguration` defaulted, merged with the default plugins and
//! validated as kube-scheduler does (`apis/config/v1/default_plugins.go` `mergePlugins`,
//! `framework/runtime/framework.go` `expandMultiPointPlugins` and `getScoreWeights`,
//! `profile/profile.go`), then instantiated from the [`Registry`] the caller passes
//! (`profile.NewMap(..., registry)`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Plugin;
use super::registry::{DEFAULT_MULTI_POINT, Registry};
use crate::api::scheduler_config::{
    KubeSchedulerConfiguration, KubeSchedulerProfile, PluginEntry, PluginSet, Plugins,
};
use crate::names::DEFAULT_SCHEDULER_NAME;

/// A configuration error: the field path inside the KubeSchedulerConfiguration and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Field path, e.g. `profiles[0].plugins.score.enabled[1].name`.
    pub field: String,
    /// What is wrong, in upstream's words where upstream has them.
    pub message: String,
}

/// A Score plugin with its weight.
#[derive(Clone)]
pub struct WeightedPlugin {
    /// The plugin.
    pub plugin: Arc<dyn Plugin>,
    /// Its weight (≥ 1).
    pub weight: i64,
}

/// One validated, instantiated profile: the plugins of each extension point in run order.
#[derive(Clone)]
pub struct Profile {
    /// `schedulerName`.
    pub scheduler_name: String,
    /// Effective percentage of nodes to score: the profile's, else the global one, else `None`
    /// (adaptive).
    pub percentage_of_nodes_to_score: Option<i32>,
    /// PreEnqueue plugins.
    pub pre_enqueue: Vec<Arc<dyn Plugin>>,
    /// QueueSort plugins (exactly one).
    pub queue_sort: Vec<Arc<dyn Plugin>>,
    /// PreFilter plugins.
    pub pre_filter: Vec<Arc<dyn Plugin>>,
    /// Filter plugins.
    pub filter: Vec<Arc<dyn Plugin>>,
    /// PostFilter plugins.
    pub post_filter: Vec<Arc<dyn Plugin>>,
    /// PreScore plugins.
    pub pre_score: Vec<Arc<dyn Plugin>>,
    /// Score plugins with weights.
    pub score: Vec<WeightedPlugin>,
    /// Bind plugins.
    pub bind: Vec<Arc<dyn Plugin>>,
    /// Plugins the configuration disabled by name (at multiPoint or any point; not `'*'`):
    /// [`SchedulerConfig::add_filter`] leaves them out.
    pub disabled: std::collections::BTreeSet<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |v: &[Arc<dyn Plugin>]| v.iter().map(|p| p.name()).collect::<Vec<_>>();
        f.debug_struct("Profile")
            .field("scheduler_name", &self.scheduler_name)
            .field("filter", &names(&self.filter))
            .field("score", &self.score.iter().map(|w| (w.plugin.name(), w.weight)).collect::<Vec<_>>())
            .finish()
    }
}

/// The whole scheduler configuration, resolved.
#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    /// Profiles in file order.
    pub profiles: Vec<Profile>,
    /// Initial backoff of an unschedulable pod, seconds (default 1).
    pub pod_initial_backoff_seconds: i64,
    /// Maximum backoff, seconds (default 10).
    pub pod_max_backoff_seconds: i64,
}

impl SchedulerConfig {
    /// The default configuration: one `default-scheduler` profile with upstream's default plugins,
    /// instantiated from `registry` (which must hold them, as the in-tree registry does).
    pub fn default_config(registry: &Registry) -> Self {
        build(&KubeSchedulerConfiguration::default(), registry).expect("the default configuration is valid")
    }

    /// Adds Filter plugin `name` (from `registry`, default args) to every profile that lacks it
    /// at Filter and whose configuration did not disable it by name, right after the Filter
    /// plugin `after` (last when the profile has none). capsim uses it to add its own
    /// GPU-sharing filter when a workload asks for GPU sharing; upstream's profiles never change.
    ///
    /// # Errors
    /// `name` is not in `registry`, its factory fails, or it is not a Filter plugin.
    pub fn add_filter(&mut self, name: &str, after: &str, registry: &Registry) -> Result<(), String> {
        let factory = registry.factory(name).ok_or_else(|| registry.not_built_in(name))?;
        let plugin = factory(&serde_json::Value::Null)?;
        if plugin.as_filter().is_none() {
            return Err(format!("plugin {name:?} is not a Filter plugin"));
        }
        for p in &mut self.profiles {
            if p.disabled.contains(name) || p.filter.iter().any(|f| f.name() == name) {
                continue;
            }
            let at = p.filter.iter().position(|f| f.name() == after).map_or(p.filter.len(), |i| i + 1);
            p.filter.insert(at, Arc::clone(&plugin));
        }
        Ok(())
    }

    /// The profile for `scheduler_name`, if any.
    pub fn profile(&self, scheduler_name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.scheduler_name == scheduler_name)
    }
}

/// Extension points in upstream's `getExtensionPoints` order, with accessors into [`Plugins`].
const POINTS: &[&str] =
    &["preEnqueue", "queueSort", "preFilter", "filter", "postFilter", "preScore", "score", "bind"];

fn point_set<'a>(p: &'a Plugins, point: &str) -> &'a PluginSet {
    match point {
        "preEnqueue" => &p.pre_enqueue,
        "queueSort" => &p.queue_sort,
        "preFilter" => &p.pre_filter,
        "filter" => &p.filter,
        "postFilter" => &p.post_filter,
        "preScore" => &p.pre_score,
        "score" => &p.score,
        "bind" => &p.bind,
        _ => unreachable!("unknown extension point {point}"),
    }
}

fn implements(p: &dyn Plugin, point: &str) -> bool {
    match point {
        "preEnqueue" => p.as_pre_enqueue().is_some(),
        "queueSort" => p.as_queue_sort().is_some(),
        "preFilter" => p.as_pre_filter().is_some(),
        "filter" => p.as_filter().is_some(),
        "postFilter" => p.as_post_filter().is_some(),
        "preScore" => p.as_pre_score().is_some(),
        "score" => p.as_score().is_some(),
        "bind" => p.as_bind().is_some(),
        _ => false,
    }
}

/// Upstream type names of the extension points, for error messages.
fn point_type(point: &str) -> &'static str {
    match point {
        "preEnqueue" => "PreEnqueuePlugin",
        "queueSort" => "QueueSortPlugin",
        "preFilter" => "PreFilterPlugin",
        "filter" => "FilterPlugin",
        "postFilter" => "PostFilterPlugin",
        "preScore" => "PreScorePlugin",
        "score" => "ScorePlugin",
        _ => "BindPlugin",
    }
}

/// A plugin's `args` without the `apiVersion` / `kind` that v1 configs may carry inside them
/// (e.g. `kind: NodeResourcesFitArgs`): upstream decodes args as typed objects, so these keys are
/// type metadata, not fields the plugin reads.
fn without_type_meta(args: &serde_json::Value) -> serde_json::Value {
    match args {
        serde_json::Value::Object(m) if m.contains_key("apiVersion") || m.contains_key("kind") => {
            let mut m = m.clone();
            m.remove("apiVersion");
            m.remove("kind");
            serde_json::Value::Object(m)
        }
        other => other.clone(),
    }
}

/// `mergePluginSet`: defaults minus disabled (all with `*`), a custom entry of the same name
/// replacing its default in place, the other custom entries appended in order.
fn merge_plugin_set(defaults: &[PluginEntry], custom: &PluginSet) -> PluginSet {
    let disabled_all = custom.disabled.iter().any(|d| d.name == "*");
    let mut replaced = vec![false; custom.enabled.len()];
    let mut enabled = Vec::new();
    if !disabled_all {
        for d in defaults {
            if custom.disabled.iter().any(|x| x.name == d.name) {
                continue;
            }
            match custom.enabled.iter().position(|c| c.name == d.name) {
                Some(i) => {
                    replaced[i] = true;
                    enabled.push(custom.enabled[i].clone());
                }
                None => enabled.push(d.clone()),
            }
        }
    }
    for (i, c) in custom.enabled.iter().enumerate() {
        if !replaced[i] {
            enabled.push(c.clone());
        }
    }
    PluginSet { enabled, disabled: custom.disabled.clone() }
}

/// Builds, defaults, merges and validates every profile of `cfg`, instantiating plugins from
/// `registry` (upstream `profile.NewMap(ctx, cfg.Profiles, registry, ...)`).
///
/// # Errors
/// An unknown plugin, a plugin enabled at a point it does not implement or twice, bad plugin
/// args, duplicate or empty profile names, profiles with different QueueSort plugins, a bad
/// percentage, or no QueueSort/Bind plugin.
pub fn build(cfg: &KubeSchedulerConfiguration, registry: &Registry) -> Result<SchedulerConfig, ConfigError> {
    let (initial, max) = validate_top_level(cfg)?;
    let default_profiles = [Default::default()];
    let raw_profiles = if cfg.profiles.is_empty() { &default_profiles[..] } else { &cfg.profiles[..] };
    let mut profiles: Vec<Profile> = Vec::new();
    let mut queue_sort_of_first: Option<(String, serde_json::Value)> = None;
    for (pi, raw) in raw_profiles.iter().enumerate() {
        let name = profile_name(raw, pi, raw_profiles.len(), &profiles)?;
        let (profile, queue_sort) = build_profile(cfg, raw, pi, name, registry)?;
        check_shared_queue_sort(&mut queue_sort_of_first, queue_sort, pi)?;
        profiles.push(profile);
    }
    Ok(SchedulerConfig { profiles, pod_initial_backoff_seconds: initial, pod_max_backoff_seconds: max })
}

/// A [`ConfigError`] at `field`.
fn config_error(field: String, message: String) -> ConfigError {
    ConfigError { field, message }
}

/// The path of field `f` of profile `pi`.
fn profile_field(pi: usize, f: &str) -> String {
    format!("profiles[{pi}].{f}")
}

/// Checks the configuration's own fields (apiVersion, percentageOfNodesToScore, the backoffs)
/// and returns the pod backoffs, initial and max, in seconds (defaulted to 1 and 10).
fn validate_top_level(cfg: &KubeSchedulerConfiguration) -> Result<(i64, i64), ConfigError> {
    let err = config_error;
    if !cfg.api_version.is_empty() && cfg.api_version != crate::api::scheduler_config::API_VERSION {
        return Err(err(
            "apiVersion".into(),
            format!(
                "unsupported apiVersion {:?}: expected {}",
                cfg.api_version,
                crate::api::scheduler_config::API_VERSION
            ),
        ));
    }
    if let Some(p) = cfg.percentage_of_nodes_to_score
        && !(0..=100).contains(&p)
    {
        return Err(err("percentageOfNodesToScore".into(), format!("{p}: not in valid range [0-100]")));
    }
    let initial = cfg.pod_initial_backoff_seconds.unwrap_or(1);
    let max = cfg.pod_max_backoff_seconds.unwrap_or(10);
    if initial <= 0 {
        return Err(err("podInitialBackoffSeconds".into(), format!("{initial}: must be greater than 0")));
    }
    if max < initial {
        return Err(err(
            "podMaxBackoffSeconds".into(),
            format!("{max}: must be greater than or equal to PodInitialBackoffSeconds"),
        ));
    }
    Ok((initial, max))
}

/// Profile `pi`'s scheduler name (v1 defaulting names the profile only when it is the only one
/// of `count`), checked non-empty and unique among the profiles built so far; and its
/// percentageOfNodesToScore checked.
fn profile_name(
    raw: &KubeSchedulerProfile,
    pi: usize,
    count: usize,
    built: &[Profile],
) -> Result<String, ConfigError> {
    let err = config_error;
    let at = |f: &str| profile_field(pi, f);
    let name = match &raw.scheduler_name {
        Some(n) => n.clone(),
        None if count == 1 => DEFAULT_SCHEDULER_NAME.to_string(),
        None => String::new(),
    };
    if name.is_empty() {
        return Err(err(at("schedulerName"), "Required value".into()));
    }
    if built.iter().any(|p| p.scheduler_name == name) {
        return Err(err(at("schedulerName"), format!("Duplicate value: {name:?}")));
    }
    if let Some(p) = raw.percentage_of_nodes_to_score
        && !(0..=100).contains(&p)
    {
        return Err(err(at("percentageOfNodesToScore"), format!("{p}: not in valid range [0-100]")));
    }
    Ok(name)
}

/// Builds profile `pi` named `name`: merges its plugins with the defaults, instantiates them
/// with their args, resolves each extension point's list and the score weights, and checks it
/// has one QueueSort and a Bind plugin. Returns the profile and its QueueSort plugin's name and
/// args (raw, as written), which every profile must share.
fn build_profile(
    cfg: &KubeSchedulerConfiguration,
    raw: &KubeSchedulerProfile,
    pi: usize,
    name: String,
    registry: &Registry,
) -> Result<(Profile, (String, serde_json::Value)), ConfigError> {
    let err = config_error;
    let at = |f: &str| profile_field(pi, f);
    let custom = raw.plugins.clone().unwrap_or_default();
    let defaults: Vec<PluginEntry> = DEFAULT_MULTI_POINT
        .iter()
        .map(|(n, w)| PluginEntry { name: n.to_string(), weight: (*w > 0).then_some(*w) })
        .collect();
    let multi = merge_plugin_set(&defaults, &custom.multi_point);
    let args = plugin_args(raw, pi)?;
    let instances = instantiate(raw, &custom, &multi, &args, pi, registry)?;
    let lists = point_lists(&custom, &multi, &instances, pi)?;
    let weights = score_weights(&custom, &multi, pi)?;
    let get = |point: &str| -> Vec<Arc<dyn Plugin>> {
        lists[point].iter().map(|n| Arc::clone(&instances[n])).collect()
    };
    let profile = Profile {
        scheduler_name: name.clone(),
        percentage_of_nodes_to_score: raw.percentage_of_nodes_to_score.or(cfg.percentage_of_nodes_to_score),
        pre_enqueue: get("preEnqueue"),
        queue_sort: get("queueSort"),
        pre_filter: get("preFilter"),
        filter: get("filter"),
        post_filter: get("postFilter"),
        pre_score: get("preScore"),
        score: lists["score"]
            .iter()
            .map(|n| WeightedPlugin {
                plugin: Arc::clone(&instances[n]),
                weight: weights.get(n).copied().unwrap_or(1),
            })
            .collect(),
        bind: get("bind"),
        disabled: std::iter::once(&custom.multi_point)
            .chain(POINTS.iter().map(|pt| point_set(&custom, pt)))
            .flat_map(|set| set.disabled.iter().map(|e| e.name.clone()))
            .filter(|n| n != "*")
            .collect(),
    };
    if profile.queue_sort.len() != 1 {
        return Err(err(
            at("plugins.queueSort"),
            format!("exactly one QueueSort plugin must be enabled, found {}", profile.queue_sort.len()),
        ));
    }
    if profile.bind.is_empty() {
        return Err(err(at("plugins.bind"), "at least one Bind plugin must be enabled".into()));
    }
    let qs_name = profile.queue_sort[0].name().to_string();
    let qs_args = args.get(qs_name.as_str()).map(|v| (*v).clone()).unwrap_or(serde_json::Value::Null);
    Ok((profile, (qs_name, qs_args)))
}

/// Profile `pi`'s pluginConfig args per plugin name; duplicates are an error as upstream
/// validation says.
fn plugin_args(
    raw: &KubeSchedulerProfile,
    pi: usize,
) -> Result<BTreeMap<&str, &serde_json::Value>, ConfigError> {
    let mut args: BTreeMap<&str, &serde_json::Value> = BTreeMap::new();
    for (ci, pc) in raw.plugin_config.iter().enumerate() {
        if args.insert(pc.name.as_str(), &pc.args).is_some() {
            return Err(config_error(
                profile_field(pi, &format!("pluginConfig[{ci}]")),
                format!("Duplicate value: {:?}", pc.name),
            ));
        }
    }
    Ok(args)
}

/// Instantiates every plugin named anywhere in profile `pi` (the merged multiPoint list, then
/// each point's enabled list), once, with its args; checks that plugins named at Reserve,
/// Permit, PreBind and PostBind and in pluginConfig exist.
fn instantiate(
    raw: &KubeSchedulerProfile,
    custom: &Plugins,
    multi: &PluginSet,
    args: &BTreeMap<&str, &serde_json::Value>,
    pi: usize,
    registry: &Registry,
) -> Result<BTreeMap<String, Arc<dyn Plugin>>, ConfigError> {
    let err = config_error;
    let at = |f: &str| profile_field(pi, f);
    let mut instances: BTreeMap<String, Arc<dyn Plugin>> = BTreeMap::new();
    let mut named: Vec<(String, String)> = multi
        .enabled
        .iter()
        .enumerate()
        .map(|(i, e)| {
            // Name the user's own entry when the plugin came from their multiPoint list.
            let own = custom.multi_point.enabled.iter().position(|c| c.name == e.name);
            let field = match own {
                Some(j) => format!("plugins.multiPoint.enabled[{j}].name"),
                None => format!("plugins.multiPoint (default plugin #{i})"),
            };
            (e.name.clone(), at(&field))
        })
        .collect();
    for point in POINTS {
        for (i, e) in point_set(custom, point).enabled.iter().enumerate() {
            named.push((e.name.clone(), at(&format!("plugins.{point}.enabled[{i}].name"))));
        }
    }
    // Reserve, Permit, PreBind and PostBind run no in-tree logic capsim models, but a plugin
    // named there must still exist.
    for (point, set) in [
        ("reserve", &custom.reserve),
        ("permit", &custom.permit),
        ("preBind", &custom.pre_bind),
        ("postBind", &custom.post_bind),
    ] {
        for (i, e) in set.enabled.iter().enumerate() {
            if !registry.contains(&e.name) {
                return Err(err(
                    at(&format!("plugins.{point}.enabled[{i}].name")),
                    registry.not_built_in(&e.name),
                ));
            }
        }
    }
    for (pname, field) in named.iter() {
        let pname: &String = pname;
        if instances.contains_key(pname) {
            continue;
        }
        let Some(make) = registry.factory(pname) else {
            return Err(err(field.clone(), registry.not_built_in(pname)));
        };
        let a = args.get(pname.as_str()).map(|v| without_type_meta(v)).unwrap_or(serde_json::Value::Null);
        let plugin = make(&a).map_err(|m| {
            let ci = raw.plugin_config.iter().position(|c| c.name == *pname).unwrap_or(0);
            err(at(&format!("pluginConfig[{ci}].args")), format!("plugin {pname}: {m}"))
        })?;
        instances.insert(pname.clone(), plugin);
    }
    for (ci, pc) in raw.plugin_config.iter().enumerate() {
        if !registry.contains(&pc.name) {
            return Err(err(at(&format!("pluginConfig[{ci}].name")), registry.not_built_in(&pc.name)));
        }
    }
    Ok(instances)
}

/// Each extension point's plugin names in profile `pi`: the point's own enabled list (each
/// plugin implementing the point, once), then the multiPoint expansion unless the point
/// disables `*` (the point's entries that multiPoint also names go first, in the point's order).
fn point_lists(
    custom: &Plugins,
    multi: &PluginSet,
    instances: &BTreeMap<String, Arc<dyn Plugin>>,
    pi: usize,
) -> Result<BTreeMap<&'static str, Vec<String>>, ConfigError> {
    let err = config_error;
    let at = |f: &str| profile_field(pi, f);
    let mut lists: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for point in POINTS {
        let set = point_set(custom, point);
        let mut own: Vec<String> = Vec::new();
        for (i, e) in set.enabled.iter().enumerate() {
            let p = &instances[&e.name];
            if !implements(p.as_ref(), point) {
                return Err(err(
                    at(&format!("plugins.{point}.enabled[{i}].name")),
                    format!("plugin {:?} does not extend {} plugin", e.name, point_type(point)),
                ));
            }
            if own.contains(&e.name) {
                return Err(err(
                    at(&format!("plugins.{point}.enabled[{i}].name")),
                    format!("plugin {:?} already registered as {:?}", e.name, point_type(point)),
                ));
            }
            own.push(e.name.clone());
        }
        if set.disabled.iter().any(|d| d.name == "*") {
            lists.insert(point, own);
            continue;
        }
        let mut overrides: Vec<String> = Vec::new();
        let mut from_multi: Vec<String> = Vec::new();
        for e in &multi.enabled {
            let p = &instances[&e.name];
            if !implements(p.as_ref(), point) || set.disabled.iter().any(|d| d.name == e.name) {
                continue;
            }
            if own.contains(&e.name) {
                overrides.push(e.name.clone());
                continue;
            }
            if from_multi.contains(&e.name) {
                return Err(err(
                    at("plugins.multiPoint.enabled"),
                    format!("plugin {:?} already registered as {:?}", e.name, point_type(point)),
                ));
            }
            from_multi.push(e.name.clone());
        }
        let mut ordered: Vec<String> = own.iter().filter(|n| overrides.contains(n)).cloned().collect();
        ordered.extend(from_multi);
        ordered.extend(own.iter().filter(|n| !overrides.contains(n)).cloned());
        lists.insert(point, ordered);
    }
    Ok(lists)
}

/// Score weights in profile `pi`: the score point's own entry wins, then multiPoint; 0 or
/// unset → 1; a negative weight is an error.
fn score_weights(
    custom: &Plugins,
    multi: &PluginSet,
    pi: usize,
) -> Result<BTreeMap<String, i64>, ConfigError> {
    let mut weights: BTreeMap<String, i64> = BTreeMap::new();
    for e in custom.score.enabled.iter().chain(&multi.enabled) {
        weights.entry(e.name.clone()).or_insert_with(|| e.weight.filter(|w| *w != 0).unwrap_or(1) as i64);
    }
    for (name, w) in &weights {
        if *w < 0 {
            return Err(config_error(
                profile_field(pi, "plugins.score"),
                format!("plugin {name:?}: weight {w} must be positive"),
            ));
        }
    }
    Ok(weights)
}

/// Every profile must use the same QueueSort plugin with the same args: records the first
/// profile's (`queue_sort`, name and args) and compares the later ones (profile `pi`) with it.
fn check_shared_queue_sort(
    first: &mut Option<(String, serde_json::Value)>,
    queue_sort: (String, serde_json::Value),
    pi: usize,
) -> Result<(), ConfigError> {
    match first {
        None => *first = Some(queue_sort),
        Some(first) => {
            if *first != queue_sort {
                return Err(config_error(
                    profile_field(pi, "plugins.queueSort"),
                    "QueueSort plugin and its args must be the same for all profiles".into(),
                ));
            }
        }
    }
    Ok(())
}
