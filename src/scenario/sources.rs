//! The workload of a scenario: the cluster's system-layer manifests (`spec.cluster.manifests`)
//! and the pod sources of `spec.workload` (alibaba-openb pod traces, pod generators, manifests
//! of Pods and their controllers).

use std::path::{Path, PathBuf};

use super::fields::{field_err, parse_duration};
use super::manifests;
use super::nodes::check_format;
use super::timeline::Dynamics;
use crate::api::scenario::{self as schema, WorkloadSource};
use crate::error::InputError;
use crate::model::pdb::PodDisruptionBudget;
use crate::time::SimTime;
use crate::workload::alibaba_openb::{self, Arrival};
use crate::workload::generator::PodGenerator;

/// The pods of the system-layer manifests and of every workload source, sorted by creation time
/// (stable: sources in scenario order), with the manifests' PodDisruptionBudgets. Generators go
/// to `dy.generators`, the manifests' controllers and policies to `dy`, the files read to
/// `inputs`.
pub(super) fn load_workload(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    base: &Path,
    dy: &mut Dynamics,
    inputs: &mut Vec<PathBuf>,
) -> Result<(Vec<Arrival>, Vec<PodDisruptionBudget>), InputError> {
    let mut arrivals: Vec<Arrival> = Vec::new();
    let mut pdbs: Vec<PodDisruptionBudget> = Vec::new();
    // The system layer.
    for m in &sc.spec.cluster.manifests {
        let p = base.join(m);
        let mut got = manifests::Collected::default();
        manifests::load(&p, SimTime::ZERO, dy, &mut got)?;
        arrivals.extend(got.arrivals);
        pdbs.extend(got.pdbs);
        inputs.extend(got.files);
    }
    for (i, src) in sc.spec.workload.iter().enumerate() {
        match src {
            WorkloadSource::Trace(t) => {
                let (list, p) = trace_pods(t, i, path, text, base)?;
                arrivals.extend(list);
                inputs.push(p);
            }
            WorkloadSource::Generator(g) => {
                let generator = load_generator(g, i, path, text)?;
                if dy.generators.iter().any(|o| {
                    o.name == generator.name && o.shapes[0].1.namespace == generator.shapes[0].1.namespace
                }) {
                    return Err(field_err(
                        path,
                        text,
                        &format!("spec.workload[{i}].generator.name"),
                        format!(
                            "two generators are named {:?} in one namespace: their pods' names would clash",
                            g.name
                        ),
                    ));
                }
                dy.generators.push(generator);
            }
            WorkloadSource::Manifest(m) => {
                let p = base.join(&m.path);
                let at = match &m.at {
                    Some(s) => parse_duration(s, path, text, &format!("spec.workload[{i}].manifest.at"))?,
                    None => SimTime::ZERO,
                };
                let mut got = manifests::Collected::default();
                manifests::load(&p, at, dy, &mut got)?;
                arrivals.extend(got.arrivals);
                pdbs.extend(got.pdbs);
                inputs.extend(got.files);
            }
        }
    }
    // Stable: sources in scenario order, then creation time.
    arrivals.sort_by_key(|a| a.created);
    manifests::merge_dumped_replicasets(dy);
    manifests::adopt_owned_pods(&mut arrivals, dy);
    check_generator_names(sc, path, text, dy, &arrivals)?;
    Ok((arrivals, pdbs))
}

/// The pods of the pod trace of source `i`, with their scheduler names and limits, and the
/// trace's path.
fn trace_pods(
    t: &schema::TraceRef,
    i: usize,
    path: &Path,
    text: &str,
    base: &Path,
) -> Result<(Vec<Arrival>, PathBuf), InputError> {
    check_format(path, text, &t.format, &format!("spec.workload[{i}].trace.format"))?;
    let p = base.join(&t.path);
    let mut list = alibaba_openb::read_pods(&p)?;
    if !t.scheduler_names.is_empty() {
        // Round-robin in file order (arrivals are sorted by time; `line` keeps file order).
        let mut by_line: Vec<usize> = (0..list.arrivals.len()).collect();
        by_line.sort_by_key(|i| list.arrivals[*i].line);
        for (k, i) in by_line.into_iter().enumerate() {
            list.arrivals[i].pod.scheduler_name = t.scheduler_names[k % t.scheduler_names.len()].clone();
        }
    }
    if let Some(l) = &t.limits {
        for (ratio, name) in [(l.cpu, "cpu"), (l.memory, "memory")] {
            if !(ratio.is_finite() && ratio >= 1.0) {
                return Err(field_err(
                    path,
                    text,
                    &format!("spec.workload[{i}].trace.limits.{name}"),
                    format!("{ratio}: a limit-to-request ratio must be a number ≥ 1"),
                ));
            }
        }
        for a in &mut list.arrivals {
            for c in &mut a.pod.containers {
                c.limits.milli_cpu = (c.requests.milli_cpu as f64 * l.cpu).ceil() as i64;
                c.limits.memory = (c.requests.memory as f64 * l.memory).ceil() as i64;
            }
        }
    }
    Ok((list.arrivals, p))
}

/// A generator's pods are `<name>-<n>`: no trace or manifest pod of its namespace may be one.
fn check_generator_names(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    dy: &Dynamics,
    arrivals: &[Arrival],
) -> Result<(), InputError> {
    for (k, g) in dy.generators.iter().enumerate() {
        let ns = &g.shapes[0].1.namespace;
        let clash = arrivals.iter().find(|a| {
            a.pod.namespace == *ns
                && a.pod.name.strip_prefix(&g.name).and_then(|r| r.strip_prefix('-')).is_some_and(|n| {
                    !n.is_empty()
                        && (n == "0" || !n.starts_with('0'))
                        && n.parse::<u64>().is_ok_and(|v| v < g.count)
                })
        });
        if let Some(a) = clash {
            let i = sc
                .spec
                .workload
                .iter()
                .enumerate()
                .filter(|(_, w)| matches!(w, WorkloadSource::Generator(_)))
                .nth(k)
                .map_or(0, |(i, _)| i);
            return Err(field_err(
                path,
                text,
                &format!("spec.workload[{i}].generator.name"),
                format!("generator {:?} would make a second pod {}/{}", g.name, ns, a.pod.name),
            ));
        }
    }

    Ok(())
}

/// Checks a `generator` workload source and builds its [`PodGenerator`](crate::workload::generator::PodGenerator).
fn load_generator(
    g: &schema::GeneratorSpec,
    i: usize,
    path: &Path,
    text: &str,
) -> Result<PodGenerator, InputError> {
    use crate::workload::generator::ArrivalProcess;
    let at = |f: &str| format!("spec.workload[{i}].generator.{f}");
    let bad = |f: &str, msg: String| field_err(path, text, &at(f), msg);
    use super::caps::MAX_GENERATOR_PODS;
    if !(1..=MAX_GENERATOR_PODS).contains(&g.count) {
        return Err(bad("count", format!("{}: expected 1 to {MAX_GENERATOR_PODS} pods (the cap)", g.count)));
    }
    let start = match &g.at {
        Some(s) => parse_duration(s, path, text, &at("at"))?,
        None => SimTime::ZERO,
    };
    let over = parse_duration(&g.over, path, text, &at("over"))?;
    if start.0 + over.0 > SimTime::MAX.0 {
        return Err(bad("over", "the arrival window must end within 100 years".into()));
    }
    if g.name.len() > 200 || !crate::model::labels::is_dns1123_subdomain(&g.name) {
        return Err(bad(
            "name",
            format!(
                "{:?}: expected lowercase letters, digits, '-' and '.' (a DNS subdomain of at most 200 characters)",
                g.name
            ),
        ));
    }
    if let Some(ns) = &g.namespace
        && (ns.len() > 63 || ns.contains('.') || !crate::model::labels::is_dns1123_subdomain(ns))
    {
        return Err(bad(
            "namespace",
            format!("{ns:?}: expected a DNS label (lowercase letters, digits, '-')"),
        ));
    }
    let arrival = match g.arrival.as_deref().unwrap_or("poisson") {
        "poisson" => ArrivalProcess::Poisson,
        "uniform" => ArrivalProcess::Uniform,
        other => return Err(bad("arrival", format!("{other:?}: expected poisson or uniform"))),
    };
    let lifetime = match &g.lifetime {
        Some(l) => Some(crate::time::RunTime::parse(l).map_err(|e| bad("lifetime", e))?),
        None => None,
    };
    use crate::time::RunTime;
    if let Some(RunTime::Fixed(ms) | RunTime::Exponential(ms) | RunTime::Uniform(_, ms)) = lifetime
        && ms > SimTime::MAX.0
    {
        let l = g.lifetime.as_deref().unwrap_or("");
        return Err(bad("lifetime", format!("{l:?}: a lifetime must stay within 100 years")));
    }
    if g.shapes.is_empty() {
        return Err(bad("shapes", "at least one shape ({cpu, memory}) is required".into()));
    }
    let namespace = g.namespace.clone().unwrap_or_else(|| "default".into());
    let mut shapes = Vec::with_capacity(g.shapes.len());
    let mut total = 0.0;
    for (k, s) in g.shapes.iter().enumerate() {
        let f = |name: &str| format!("shapes[{k}].{name}");
        let weight = s.weight.unwrap_or(1.0);
        if !(weight.is_finite() && weight > 0.0) {
            return Err(bad(&f("weight"), format!("{weight}: expected a positive number")));
        }
        let quantity = |v: &str, name: &str| -> Result<crate::api::quantity::Quantity, InputError> {
            crate::api::quantity::Quantity::parse(v).ok().filter(|q| !q.is_negative()).ok_or_else(|| {
                bad(&f(name), format!("{v:?}: expected a non-negative quantity like 500m or 1Gi"))
            })
        };
        let requests = crate::model::Resources {
            milli_cpu: quantity(&s.cpu, "cpu")?.milli_value(),
            memory: quantity(&s.memory, "memory")?.value(),
            ..Default::default()
        };
        let mut pod = PodGenerator::template(&namespace, requests);
        pod.labels = g.labels.clone();
        if let Some(n) = &g.scheduler_name {
            pod.scheduler_name = n.clone();
        }
        if let Some(c) = &s.priority_class_name {
            pod.priority_class_name = c.clone();
        }
        total += weight;
        if !total.is_finite() {
            return Err(bad(&f("weight"), "the weights add up to more than a float holds".into()));
        }
        shapes.push((total, pod));
    }
    Ok(PodGenerator {
        name: g.name.clone(),
        count: g.count,
        start,
        over_ms: over.0,
        arrival,
        lifetime,
        shapes,
    })
}
