//! `capsim plan`: the cheapest mix of node types (counts × price per hour) on which a scenario's
//! workload meets every SLO (pending-time percentiles, pods never scheduled, OOM kills,
//! throttling, evictions) on all seeds, or on a chosen share of them.
//!
//! The search assumes that adding nodes never breaks an SLO (feasibility is monotone in every
//! count). It first bounds each type alone by bisection (the fewest nodes of that type alone
//! that meet the SLOs), then walks the staircase of minimal mixes: for each count of the other
//! types (cheapest first, pruned once their cost alone reaches the best found), the fewest
//! nodes of the last type by bisection, whose upper end only falls as the other counts grow.
//! Every mix evaluated is kept for the frontier. [`Planner::exhaustive`] tries every mix within
//! the bounds, for tests.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::Deserialize;

use crate::error::{InputError, SimError};
use crate::model::Node;
use crate::report::Summary;
use crate::scenario::LoadedScenario;
use crate::scenario::timeline::Pool;
use crate::sim::engine::run;

/// One node type a plan may buy.
#[derive(Clone, Debug)]
pub struct NodeType {
    /// Type name; its nodes are `<name>-<n>`, labelled `capsim.dev/pool: <name>`.
    pub name: String,
    /// Price per node-hour (any currency; reports say `/h`).
    pub price_per_hour: f64,
    /// The most nodes of this type the search considers.
    pub max: usize,
    /// The node (allocatable, labels, taints).
    pub template: Node,
}

mod schema {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct File {
        pub api_version: String,
        pub kind: String,
        pub node_types: Vec<Type>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Type {
        pub name: String,
        pub price_per_hour: f64,
        #[serde(default = "default_max")]
        pub max: usize,
        pub allocatable: BTreeMap<String, serde_json::Value>,
        #[serde(default)]
        pub labels: BTreeMap<String, String>,
        #[serde(default)]
        pub taints: Vec<serde_json::Value>,
    }

    fn default_max() -> usize {
        100
    }
}

/// Reads a node-types file (`kind: NodeTypes`, see `docs/plan.md`).
///
/// # Errors
/// [`InputError`] naming the file, line and field: a malformed file, a duplicate or invalid
/// name, a negative or non-finite price, `max` 0 or above 10,000, or an allocatable quantity or
/// taint that does not parse.
pub fn load_node_types(path: &Path) -> Result<Vec<NodeType>, InputError> {
    let text = crate::api::input::read_text(path)?;
    crate::scenario::expect_kind(path, &text, "NodeTypes", "capsim.dev/v1alpha1")?;
    let f: schema::File = crate::api::yaml::from_str_typed(&text, path)?;
    let err = |field: String, message: String| InputError::Field {
        path: path.to_path_buf(),
        line: crate::api::spans::field_line(&text, 0, &field),
        field,
        message,
    };
    if f.api_version != crate::api::scenario::API_VERSION {
        return Err(err(
            "apiVersion".into(),
            format!("{:?}: expected {}", f.api_version, crate::api::scenario::API_VERSION),
        ));
    }
    if f.kind != "NodeTypes" {
        return Err(err("kind".into(), format!("{:?}: expected NodeTypes", f.kind)));
    }
    if f.node_types.is_empty() {
        return Err(err("nodeTypes".into(), "expected at least one node type".into()));
    }
    let mut out: Vec<NodeType> = Vec::new();
    for (i, t) in f.node_types.into_iter().enumerate() {
        let at = |leaf: &str| format!("nodeTypes[{i}].{leaf}");
        let valid = !t.name.is_empty()
            && t.name.len() <= 40
            && t.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid {
            return Err(err(at("name"), format!("{:?}: expected a DNS-style name (a-z, 0-9, -, .)", t.name)));
        }
        if out.iter().any(|o| o.name == t.name) {
            return Err(err(at("name"), format!("two node types are named {:?}", t.name)));
        }
        if !t.price_per_hour.is_finite() || t.price_per_hour < 0.0 {
            return Err(err(at("pricePerHour"), format!("{}: expected a price ≥ 0", t.price_per_hour)));
        }
        if t.max == 0 || t.max > 10_000 {
            return Err(err(at("max"), format!("{}: expected 1 to 10000 nodes", t.max)));
        }
        let node = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": t.name, "labels": t.labels},
            "spec": {"taints": t.taints},
            "status": {"allocatable": t.allocatable, "capacity": t.allocatable},
        });
        let objects = crate::api::yaml::objects_from_str(&node.to_string(), path).and_then(|objs| match objs
            .first()
            .map(|o| &o.value)
        {
            Some(crate::api::objects::KubeObject::Node(n)) => crate::api::convert::node_to_model(n, path, 0),
            _ => unreachable!("a Node object was built"),
        });
        let template = objects.map_err(|e| {
            let (field, message) = match e {
                InputError::Field { field, message, .. } => (field, message),
                InputError::Syntax { message, .. } => (String::new(), message),
                InputError::Io { .. } => (String::new(), e.to_string()),
            };
            let leaf = field.rsplit('.').next().unwrap_or("").to_string();
            let key = if field.contains("taints") { "taints" } else { "allocatable" };
            err(
                at(&format!("{key}{}", if leaf.is_empty() { String::new() } else { format!(".{leaf}") })),
                message,
            )
        })?;
        out.push(NodeType { name: t.name, price_per_hour: t.price_per_hour, max: t.max, template });
    }
    Ok(out)
}

/// A comparison of an SLO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `==`
    Eq,
    /// `>=`
    Ge,
    /// `>`
    Gt,
}

/// A service-level objective on a run's summary, e.g. `p99_pending<=60s`.
#[derive(Clone, Debug)]
pub struct Slo {
    /// The text as given.
    pub text: String,
    /// The metric (a name of [`SLO_METRICS`]).
    pub metric: &'static str,
    /// The comparison.
    pub op: Op,
    /// The limit, in the metric's unit (seconds for pending times).
    pub limit: f64,
}

/// A summary's value of a metric.
pub type SummaryValue = fn(&Summary) -> f64;

/// SLO metrics: (name, also-accepted summary field, unit, value). `never_scheduled` is the
/// summary's `pods_never_scheduled` (never bound by the end of the run); `never_ran` adds the
/// pods deleted (by their trace or owner) after a failed scheduling attempt: every pod that
/// never ran although the scheduler tried.
pub const SLO_METRICS: &[(&str, &str, &str, SummaryValue)] = &[
    ("p50_pending", "pending_p50_s", "s", |s| s.pending_p50_s),
    ("p90_pending", "pending_p90_s", "s", |s| s.pending_p90_s),
    ("p99_pending", "pending_p99_s", "s", |s| s.pending_p99_s),
    ("max_pending", "pending_max_s", "s", |s| s.pending_max_s),
    ("never_scheduled", "pods_never_scheduled", "", |s| s.pods_never_scheduled as f64),
    ("never_ran", "never_ran", "", |s| (s.pods_never_scheduled + s.pods_deleted_unschedulable) as f64),
    ("evictions", "pods_evicted", "", |s| s.pods_evicted as f64),
    ("preemptions", "preemptions", "", |s| s.preemptions as f64),
    ("oom_kills", "oom_kills", "", |s| s.oom_kills as f64),
    ("restarts", "restarts", "", |s| s.restarts as f64),
    ("pressure_evictions", "pressure_evictions", "", |s| s.pressure_evictions as f64),
    ("throttled_fraction_p99", "throttled_fraction_p99", "", |s| s.throttled_fraction_p99),
    ("throttled_cpu_s", "throttled_cpu_s", "", |s| s.throttled_cpu_s),
];

/// Parses an SLO: `METRIC OP VALUE` with OP one of `<=`, `<`, `==`, `>=`, `>`; pending times
/// take a duration (`60s`, `5m`, `1h`) or plain seconds.
///
/// # Errors
/// A message naming the SLO and what was expected.
pub fn parse_slo(text: &str) -> Result<Slo, String> {
    let t = text.trim();
    let ops = [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("<", Op::Lt), (">", Op::Gt)];
    let Some((pos, len, op)) = ops.iter().find_map(|(s, op)| t.find(s).map(|p| (p, s.len(), *op))) else {
        return Err(format!(
            "--slo {text:?}: expected METRIC<=VALUE (or <, ==, >=, >), e.g. p99_pending<=60s"
        ));
    };
    let (name, value) = (t[..pos].trim(), t[pos + len..].trim());
    if matches!(op, Op::Ge | Op::Gt) {
        return Err(format!(
            "--slo {text:?}: plan looks for the fewest nodes, so an SLO must be an upper bound (<=, < or ==); more nodes never help a lower bound"
        ));
    }
    let Some(m) = SLO_METRICS.iter().find(|m| m.0 == name || m.1 == name) else {
        let names: Vec<&str> = SLO_METRICS.iter().map(|m| m.0).collect();
        return Err(format!("--slo {text:?}: unknown metric {name:?}; expected one of {}", names.join(", ")));
    };
    let limit = if m.2 == "s" && value.ends_with(|c: char| c.is_ascii_alphabetic()) {
        humantime::parse_duration(value)
            .map(|d| d.as_secs_f64())
            .map_err(|e| format!("--slo {text:?}: {value:?} is not a duration like 60s or 5m: {e}"))?
    } else {
        value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("--slo {text:?}: {value:?} is not a number"))?
    };
    Ok(Slo { text: t.to_string(), metric: m.0, op, limit })
}

impl Slo {
    /// The metric's value in a run. Pending times count the pods that never ran as waiting until
    /// the run's end (or their deletion): with them, the value is at least the longest such wait,
    /// so a cluster too small to schedule anything never meets a pending SLO.
    pub fn value(&self, s: &Summary) -> f64 {
        let m = SLO_METRICS.iter().find(|m| m.0 == self.metric).expect("parsed SLOs name known metrics");
        let v = (m.3)(s);
        let never_ran = s.pods_never_scheduled + s.pods_deleted_unschedulable;
        if m.2 == "s" && never_ran > 0 { v.max(s.unscheduled_wait_max_s) } else { v }
    }

    /// The slack of `v` against the limit, relative to the limit (to 1 when the limit is 0):
    /// positive when met with room, 0 on the limit, negative when missed (`==` is 0 when met).
    pub fn margin(&self, v: f64) -> f64 {
        let scale = self.limit.abs().max(1.0);
        match self.op {
            Op::Le | Op::Lt => (self.limit - v) / scale,
            Op::Ge | Op::Gt => (v - self.limit) / scale,
            Op::Eq => 0.0 - (v - self.limit).abs() / scale,
        }
    }

    /// Whether `v` meets the SLO.
    pub fn met(&self, v: f64) -> bool {
        match self.op {
            Op::Le => v <= self.limit,
            Op::Lt => v < self.limit,
            Op::Eq => v == self.limit,
            Op::Ge => v >= self.limit,
            Op::Gt => v > self.limit,
        }
    }
}

/// A mix evaluated on every seed.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Nodes per type, in the node-types file's order.
    pub counts: Vec<usize>,
    /// Σ count × price per hour.
    pub cost_per_hour: f64,
    /// Seeds on which every SLO held.
    pub seeds_met: usize,
    /// Whether the mix meets the SLOs on enough seeds.
    pub meets: bool,
    /// The smallest margin of any SLO on any seed (see [`Slo::margin`]); an `==` SLO counts
    /// only when missed (its margin is 0 when met), 0 when no SLO has room to measure.
    pub margin: f64,
    /// Per SLO, the worst value over the seeds (by its margin).
    pub worst: Vec<f64>,
}

/// The search state: the scenario, the types, the SLOs and every mix evaluated so far.
pub struct Planner<'a> {
    base: &'a LoadedScenario,
    types: &'a [NodeType],
    slos: &'a [Slo],
    seeds: Vec<u64>,
    need: usize,
    /// Called as each run ends (progress).
    pub tick: &'a (dyn Fn() + Sync),
    /// Mixes the search evaluated (before any exhaustive pass).
    pub searched: usize,
    /// Mixes evaluated, by counts.
    pub evaluated: BTreeMap<Vec<usize>, Evaluation>,
}

impl<'a> Planner<'a> {
    /// A planner over `seeds`; a mix meets the SLOs when they hold on at least
    /// `ceil(share × seeds)` seeds (share 1: all of them).
    pub fn new(
        base: &'a LoadedScenario,
        types: &'a [NodeType],
        slos: &'a [Slo],
        seeds: Vec<u64>,
        share: f64,
    ) -> Self {
        let need = ((share * seeds.len() as f64).ceil() as usize).clamp(1, seeds.len().max(1));
        Planner { base, types, slos, seeds, need, tick: &|| {}, searched: 0, evaluated: BTreeMap::new() }
    }

    /// The scenario with the mix's nodes in place of its own.
    pub fn scenario(&self, counts: &[usize]) -> LoadedScenario {
        let mut sc = self.base.clone();
        sc.record_events = false;
        sc.nodes.clear();
        for (t, n) in self.types.iter().zip(counts) {
            let pool = Pool { name: t.name.clone(), template: t.template.clone(), initial: *n };
            sc.nodes.extend((0..*n).map(|k| pool.node(k)));
            sc.dynamics.pools.retain(|p| p.name != t.name);
            sc.dynamics.pools.push(pool);
        }
        sc
    }

    /// Evaluates a mix on every seed (in parallel; cached).
    ///
    /// # Errors
    /// An internal error of a run.
    pub fn evaluate(&mut self, counts: &[usize]) -> Result<Evaluation, SimError> {
        if let Some(e) = self.evaluated.get(counts) {
            return Ok(e.clone());
        }
        let sc = self.scenario(counts);
        let tick = self.tick;
        let summaries: Vec<Summary> = self
            .seeds
            .par_iter()
            .map(|s| {
                let r =
                    run(&sc, *s).and_then(|r| Ok(crate::report::summarize(&r, &crate::report::tally(&r)?).0));
                tick();
                r
            })
            .collect::<Result<_, _>>()?;
        let mut worst = vec![f64::NAN; self.slos.len()];
        let mut margin = f64::INFINITY;
        let mut seeds_met = 0;
        for s in &summaries {
            let mut all = true;
            for (k, slo) in self.slos.iter().enumerate() {
                let v = slo.value(s);
                let m = slo.margin(v);
                if worst[k].is_nan() || m < slo.margin(worst[k]) {
                    worst[k] = v;
                }
                if slo.op != Op::Eq || m < 0.0 {
                    margin = margin.min(m);
                }
                all &= slo.met(v);
            }
            seeds_met += usize::from(all);
        }
        if margin == f64::INFINITY {
            margin = 0.0;
        }
        let e = Evaluation {
            counts: counts.to_vec(),
            cost_per_hour: self.cost(counts),
            seeds_met,
            meets: seeds_met >= self.need,
            margin: crate::metrics::round6(margin),
            worst: worst.iter().map(|v| crate::metrics::round6(*v)).collect(),
        };
        self.evaluated.insert(counts.to_vec(), e.clone());
        Ok(e)
    }

    /// Σ count × price.
    pub fn cost(&self, counts: &[usize]) -> f64 {
        let c: f64 = self.types.iter().zip(counts).map(|(t, n)| t.price_per_hour * *n as f64).sum();
        crate::metrics::round6(c)
    }

    /// The fewest `n` in `lo..=hi` for which `mix(n)` meets the SLOs, by bisection (`None` when
    /// even `hi` does not).
    fn least(
        &mut self,
        lo: usize,
        hi: usize,
        mix: impl Fn(usize) -> Vec<usize>,
    ) -> Result<Option<usize>, SimError> {
        if !self.evaluate(&mix(hi))?.meets {
            return Ok(None);
        }
        let (mut lo, mut hi) = (lo, hi);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.evaluate(&mix(mid))?.meets {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(Some(hi))
    }

    /// The cheapest mix meeting the SLOs (ties: fewer nodes, then the counts in order), by
    /// bisection per type and the staircase walk (see the module docs); `None` when no mix
    /// within the types' `max` does.
    ///
    /// # Errors
    /// An internal error of a run.
    pub fn search(&mut self) -> Result<Option<Evaluation>, SimError> {
        let k = self.types.len();
        let mut upper = Vec::with_capacity(k);
        for i in 0..k {
            let unit = |n: usize| {
                let mut c = vec![0; k];
                c[i] = n;
                c
            };
            let alone = self.least(1, self.types[i].max, unit)?;
            upper.push(alone.unwrap_or(self.types[i].max));
        }
        let mut prefix = Vec::with_capacity(k);
        self.staircase(&upper, &mut prefix)?;
        self.searched = self.evaluated.len();
        Ok(self.best())
    }

    /// Walks the counts of type `prefix.len()` upward (all but the last type), bisecting the
    /// last type's count; within the innermost walk the last type's upper end only falls, since
    /// more nodes of the other types never need more of it.
    fn staircase(&mut self, upper: &[usize], prefix: &mut Vec<usize>) -> Result<(), SimError> {
        let k = upper.len();
        let j = prefix.len();
        if k == 1 {
            return Ok(());
        }
        let mut ceiling = upper[k - 1];
        // In the innermost walk, start at the fewest nodes of this type that meet the SLOs
        // with the last type at its bound (none fewer can).
        let start = if j + 2 == k {
            let p = prefix.clone();
            let at = move |n: usize| {
                let mut c = p.clone();
                c.extend([n, ceiling]);
                c
            };
            match self.least(0, upper[j], at)? {
                Some(n) => n,
                None => return Ok(()),
            }
        } else {
            0
        };
        for n in start..=upper[j] {
            prefix.push(n);
            let mut partial = prefix.clone();
            partial.resize(k, 0);
            let over = self.best().is_some_and(|b| b.cost_per_hour < self.cost(&partial));
            if !over {
                if j + 2 == k {
                    let p = prefix.clone();
                    let least = self.least(0, ceiling, move |m| {
                        let mut c = p.clone();
                        c.push(m);
                        c
                    })?;
                    if let Some(m) = least {
                        ceiling = m;
                    }
                } else {
                    self.staircase(upper, prefix)?;
                }
            }
            prefix.pop();
            if over {
                break;
            }
        }
        Ok(())
    }

    /// Every mix with counts in `0..=max` per type (for tests and small spaces).
    ///
    /// # Errors
    /// An internal error of a run.
    pub fn exhaustive(&mut self) -> Result<Option<Evaluation>, SimError> {
        let maxes: Vec<usize> = self.types.iter().map(|t| t.max).collect();
        let mut c = vec![0usize; maxes.len()];
        loop {
            self.evaluate(&c)?;
            let Some(i) = (0..c.len()).find(|i| c[*i] < maxes[*i]) else { break };
            c[i] += 1;
            for x in c.iter_mut().take(i) {
                *x = 0;
            }
        }
        Ok(self.best())
    }

    /// The cheapest evaluated mix that meets the SLOs (ties: fewer nodes, then counts).
    pub fn best(&self) -> Option<Evaluation> {
        self.evaluated
            .values()
            .filter(|e| e.meets)
            .min_by(|a, b| {
                a.cost_per_hour
                    .total_cmp(&b.cost_per_hour)
                    .then(a.counts.iter().sum::<usize>().cmp(&b.counts.iter().sum::<usize>()))
                    .then(a.counts.cmp(&b.counts))
            })
            .cloned()
    }

    /// The frontier: evaluated mixes meeting the SLOs that no other such mix beats on both
    /// cost (lower) and margin (higher), by cost.
    pub fn frontier(&self) -> Vec<Evaluation> {
        let mut ok: Vec<&Evaluation> = self.evaluated.values().filter(|e| e.meets).collect();
        ok.sort_by(|a, b| a.cost_per_hour.total_cmp(&b.cost_per_hour).then(b.margin.total_cmp(&a.margin)));
        let mut out: Vec<Evaluation> = Vec::new();
        for e in ok {
            if out.last().is_none_or(|l| e.margin > l.margin) {
                out.push(e.clone());
            }
        }
        out
    }

    /// The seeds.
    pub fn seeds(&self) -> &[u64] {
        &self.seeds
    }

    /// Seeds that must meet every SLO.
    pub fn need(&self) -> usize {
        self.need
    }
}

/// A mix in words: `3 × small + 1 × large`.
pub fn describe(types: &[NodeType], counts: &[usize]) -> String {
    let parts: Vec<String> =
        types.iter().zip(counts).filter(|(_, n)| **n > 0).map(|(t, n)| format!("{n} × {}", t.name)).collect();
    if parts.is_empty() { "no nodes".into() } else { parts.join(" + ") }
}

/// The kind of a `capsim plan` folder (see [`crate::report::MARKER`]).
pub const PLAN_KIND: &str = "plan";

/// What `capsim plan` writes: `plan.csv` (every mix evaluated), `frontier.csv`,
/// `recommendation.txt`, `charts/frontier.svg`, `report.html`, `scenario.yaml` and
/// `node-types.yaml`, atomically under `out`; returns the recommendation text.
///
/// # Errors
/// [`SimError::Output`] when the folder cannot be written.
pub fn write_plan(
    out: &Path,
    planner: &Planner,
    types: &[NodeType],
    slos: &[Slo],
    node_types_text: &str,
    best: Option<&Evaluation>,
) -> Result<String, SimError> {
    let oe = |p: &Path, e: &dyn std::fmt::Display| SimError::Output {
        path: p.to_path_buf(),
        message: e.to_string(),
    };
    let frontier = planner.frontier();
    let mut header: Vec<String> = types.iter().map(|t| t.name.clone()).collect();
    header.extend(
        ["nodes", "cost_per_hour", "seeds_met", "meets_slos", "margin", "frontier"].map(String::from),
    );
    header.extend(slos.iter().map(|s| format!("worst {}", s.text)));
    let record = |e: &Evaluation| -> Vec<String> {
        let mut v: Vec<String> = e.counts.iter().map(usize::to_string).collect();
        v.push(e.counts.iter().sum::<usize>().to_string());
        v.push(e.cost_per_hour.to_string());
        v.push(e.seeds_met.to_string());
        v.push(e.meets.to_string());
        v.push(e.margin.to_string());
        v.push(frontier.iter().any(|f| f.counts == e.counts).to_string());
        v.extend(e.worst.iter().map(f64::to_string));
        v
    };
    let mut all: Vec<&Evaluation> = planner.evaluated.values().collect();
    all.sort_by(|a, b| a.cost_per_hour.total_cmp(&b.cost_per_hour).then(a.counts.cmp(&b.counts)));
    let seeds = planner.seeds();
    let rec = recommendation(types, slos, best, planner.searched, seeds, planner.need());
    crate::report::write_folder(out, PLAN_KIND, |tmp| {
        for (file, rows) in [("plan.csv", all.clone()), ("frontier.csv", frontier.iter().collect())] {
            let p = tmp.join(file);
            let mut w = csv::Writer::from_path(&p).map_err(|e| oe(&p, &e))?;
            w.write_record(&header).map_err(|e| oe(&p, &e))?;
            for e in rows {
                w.write_record(record(e)).map_err(|e| oe(&p, &e))?;
            }
            w.flush().map_err(|e| oe(&p, &e))?;
        }
        std::fs::write(tmp.join("recommendation.txt"), &rec).map_err(|e| oe(tmp, &e))?;
        std::fs::write(tmp.join("scenario.yaml"), &planner.base.text).map_err(|e| oe(tmp, &e))?;
        std::fs::write(tmp.join("node-types.yaml"), node_types_text).map_err(|e| oe(tmp, &e))?;
        let cdir = tmp.join("charts");
        std::fs::create_dir_all(&cdir).map_err(|e| oe(&cdir, &e))?;
        let svg = frontier_chart(planner, types, best).write(&cdir, "frontier")?;
        let mut page = crate::report::html::Page::new(&format!("capsim plan: {}", planner.base.name));
        page.heading("Recommendation").pre(&rec);
        page.heading("Frontier").chart(
            &svg,
            "charts/frontier.svg: every mix evaluated, cost per hour against its SLO margin; the cheapest mix that meets every SLO is ringed.",
        );
        let h: Vec<&str> = header.iter().map(String::as_str).collect();
        page.table(&h, &frontier.iter().map(record).collect::<Vec<_>>());
        page.heading("Every mix evaluated").table(&h, &all.iter().map(|e| record(e)).collect::<Vec<_>>());
        page.heading("Node types").pre(node_types_text);
        page.heading("Scenario").pre(&planner.base.text);
        std::fs::write(tmp.join("report.html"), page.finish()).map_err(|e| oe(tmp, &e))
    })?;
    Ok(rec)
}

fn recommendation(
    types: &[NodeType],
    slos: &[Slo],
    best: Option<&Evaluation>,
    evaluated: usize,
    seeds: &[u64],
    need: usize,
) -> String {
    let space: f64 = types.iter().map(|t| (t.max + 1) as f64).product();
    let slo_text: Vec<&str> = slos.iter().map(|s| s.text.as_str()).collect();
    let on = if need == seeds.len() {
        format!("on all {} seeds ({})", seeds.len(), crate::report::charts::seed_list(seeds))
    } else {
        format!("on at least {need} of {} seeds ({})", seeds.len(), crate::report::charts::seed_list(seeds))
    };
    let mut s = match best {
        Some(b) => {
            let mut s = format!(
                "Cheapest mix meeting {} {on}: {} = {} nodes at {}/h (margin {}: the smallest slack of any SLO on any seed, as a fraction of its limit).\n",
                slo_text.join(", "),
                describe(types, &b.counts),
                b.counts.iter().sum::<usize>(),
                b.cost_per_hour,
                b.margin
            );
            for (slo, w) in slos.iter().zip(&b.worst) {
                let unit = SLO_METRICS.iter().find(|m| m.0 == slo.metric).map_or("", |m| m.2);
                let unit = if unit == "s" { " s" } else { "" };
                s.push_str(&format!("  {}: {w}{unit} on the worst seed\n", slo.text));
            }
            s
        }
        None => format!(
            "No mix within the node types' max meets {} {on}; raise `max` or relax the SLOs.\n",
            slo_text.join(", ")
        ),
    };
    s.push_str(&format!("The search evaluated {evaluated} of the {space} mixes within the types' max.\n"));
    s
}

fn frontier_chart(
    planner: &Planner,
    types: &[NodeType],
    best: Option<&Evaluation>,
) -> crate::report::plot::Chart {
    use crate::report::plot::{Axis, Points, scatter_chart};
    let mut meets =
        Points { name: "meets every SLO".into(), points: vec![], labels: vec![], highlight: None };
    let mut misses = Points { name: "misses an SLO".into(), points: vec![], labels: vec![], highlight: None };
    let frontier = planner.frontier();
    for e in planner.evaluated.values() {
        let target = if e.meets { &mut meets } else { &mut misses };
        if best.is_some_and(|b| b.counts == e.counts) {
            target.highlight = Some(target.points.len());
        }
        target.points.push((e.cost_per_hour, e.margin.max(-1.0)));
        let on_frontier = e.meets && frontier.iter().any(|f| f.counts == e.counts);
        target.labels.push(if on_frontier { describe(types, &e.counts) } else { String::new() });
    }
    let x = Axis { label: "cost per hour".into(), log: false, min: Some(0.0), max: None };
    let top = planner.evaluated.values().map(|e| e.margin).fold(0.0f64, f64::max).min(10.0);
    let y = Axis {
        label: "SLO margin (relative slack; < 0 misses, clipped at -1)".into(),
        log: false,
        min: Some(-1.2),
        max: Some(top * 1.25 + 0.1),
    };
    scatter_chart("Plan frontier: cost vs SLO margin", &x, &y, &[meets, misses])
}
