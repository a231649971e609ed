//! The runtime section of a scenario (`spec.runtime`): the kubelet's eviction settings and the
//! usage rules (per matched pod: cpu and memory usage distributions, diurnal cycle, bursts).

use std::path::Path;

use super::fields::{field_err, parse_duration};
use crate::api::scenario as schema;
use crate::error::InputError;
use crate::kubelet::usage::{Base, Bursts, Dist, Diurnal, ResourceUsage, UsageMatch, UsageRule, WorkBursts};

/// The runtime section into settings.
pub(super) fn load_runtime(
    rt: &schema::RuntimeSpec,
    path: &Path,
    text: &str,
) -> Result<crate::kubelet::RuntimeSettings, InputError> {
    let mut s = crate::kubelet::RuntimeSettings::default();
    let dur = |d: &str, field: &str| parse_duration(d, path, text, field);
    if let Some(d) = &rt.change_interval {
        s.change_interval_ms = dur(d, "spec.runtime.changeInterval")?.0;
        if s.change_interval_ms <= 0 {
            return Err(field_err(
                path,
                text,
                "spec.runtime.changeInterval",
                "must be greater than 0".into(),
            ));
        }
    }
    let k = &rt.kubelet;
    if let Some(e) = &k.eviction_hard {
        s.eviction_threshold = crate::kubelet::memory::parse_memory_threshold(e, None)
            .map_err(|m| field_err(path, text, "spec.runtime.kubelet.evictionHard", m))?;
    }
    if let Some(d) = &k.eviction_pressure_transition_period {
        s.pressure_transition_ms = dur(d, "spec.runtime.kubelet.evictionPressureTransitionPeriod")?.0;
    }
    if let Some(d) = &k.eviction_monitoring_interval {
        s.eviction_interval_ms = dur(d, "spec.runtime.kubelet.evictionMonitoringInterval")?.0;
        if s.eviction_interval_ms < 100 {
            let m = format!("{d:?}: must be at least 100ms");
            let fld = "spec.runtime.kubelet.evictionMonitoringInterval";
            return Err(field_err(path, text, fld, m));
        }
    }
    if let Some(n) = k.max_kubelet_rejections {
        s.max_kubelet_rejections = n;
    }
    for (i, r) in rt.usage.iter().enumerate() {
        s.rules.push(usage_rule(r, i, path, text)?);
    }
    Ok(s)
}

/// Usage rule `i`.
fn usage_rule(r: &schema::UsageRuleSpec, i: usize, path: &Path, text: &str) -> Result<UsageRule, InputError> {
    let dur = |d: &str, field: &str| parse_duration(d, path, text, field);
    let f = |name: &str| format!("spec.runtime.usage[{i}].{name}");
    let qos = r.matches.as_ref().and_then(|m| m.qos_class.clone());
    if let Some(q) = &qos
        && !matches!(q.as_str(), "Guaranteed" | "Burstable" | "BestEffort")
    {
        return Err(field_err(
            path,
            text,
            &f("match.qosClass"),
            format!("{q:?}: expected Guaranteed, Burstable or BestEffort"),
        ));
    }
    let default = UsageRule::default_for(crate::model::pod::QosClass::Burstable);
    let resource =
        |spec: &Option<schema::ResourceUsageSpec>, name: &str, cpu: bool, fallback: ResourceUsage| {
            resource_usage(spec.as_ref(), &f(name), cpu, fallback, path, text)
        };
    let diurnal = match &r.diurnal {
        None => None,
        Some(d) => {
            if !(0.0..=1.0).contains(&d.amplitude) {
                let m = format!("{}: must be between 0 and 1", d.amplitude);
                return Err(field_err(path, text, &f("diurnal.amplitude"), m));
            }
            Some(Diurnal { amplitude: d.amplitude, peak_ms: dur(&d.peak_at, &f("diurnal.peakAt"))?.0 })
        }
    };
    if let Some(b) = &r.bursts {
        if !(0.0..=1.0).contains(&b.probability) {
            let m = format!("{}: must be between 0 and 1", b.probability);
            return Err(field_err(path, text, &f("bursts.probability"), m));
        }
        if !(b.factor.is_finite() && (0.0..=1000.0).contains(&b.factor)) {
            let m = format!("{}: must be a number between 0 and 1000", b.factor);
            return Err(field_err(path, text, &f("bursts.factor"), m));
        }
    }
    let work_bursts = match &r.work_bursts {
        None => None,
        Some(w) => Some(work_bursts(w, &f("workBursts"), path, text)?),
    };
    Ok(UsageRule {
        matches: UsageMatch {
            namespace: r.matches.as_ref().and_then(|m| m.namespace.clone()),
            labels: r.matches.as_ref().map(|m| m.labels.clone()).unwrap_or_default(),
            qos_class: qos,
        },
        cpu: resource(&r.cpu, "cpu", true, default.cpu.clone())?,
        memory: resource(&r.memory, "memory", false, default.memory.clone())?,
        diurnal,
        bursts: r.bursts.as_ref().map(|b| Bursts { probability: b.probability, factor: b.factor }),
        work_bursts,
        cpu_given: r.cpu.is_some(),
        memory_given: r.memory.is_some(),
    })
}

/// A rule's `workBursts` (field path `fld`).
fn work_bursts(
    w: &schema::WorkBurstsSpec,
    fld: &str,
    path: &Path,
    text: &str,
) -> Result<WorkBursts, InputError> {
    let every_ms = parse_duration(&w.every, path, text, &format!("{fld}.every"))?.0;
    if every_ms <= 0 {
        let m = format!("{:?}: must be greater than 0", w.every);
        return Err(field_err(path, text, &format!("{fld}.every"), m));
    }
    let cpu_time_ms = parse_duration(&w.cpu_time, path, text, &format!("{fld}.cpuTime"))?.0;
    if cpu_time_ms <= 0 {
        let m = format!("{:?}: must be greater than 0", w.cpu_time);
        return Err(field_err(path, text, &format!("{fld}.cpuTime"), m));
    }
    let threads = w.threads.unwrap_or(1);
    if !(1..=1024).contains(&threads) {
        let m = format!("{threads}: must be between 1 and 1024");
        return Err(field_err(path, text, &format!("{fld}.threads"), m));
    }
    let probability = w.probability.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&probability) {
        let m = format!("{probability}: must be between 0 and 1");
        return Err(field_err(path, text, &format!("{fld}.probability"), m));
    }
    Ok(WorkBursts { every_ms, cpu_time_ms: cpu_time_ms as f64, threads, probability })
}

/// The cpu or memory usage of a rule (field path `fld`); `fallback` when not given.
fn resource_usage(
    spec: Option<&schema::ResourceUsageSpec>,
    fld: &str,
    cpu: bool,
    fallback: ResourceUsage,
    path: &Path,
    text: &str,
) -> Result<ResourceUsage, InputError> {
    let Some(u) = spec else { return Ok(fallback) };
    let base = match u.of.as_deref() {
        None | Some("request") => Base::Request,
        Some("limit") => Base::Limit,
        Some(o) => {
            return Err(field_err(
                path,
                text,
                &format!("{fld}.of"),
                format!("{o:?}: expected request or limit"),
            ));
        }
    };
    let mut dists = Vec::new();
    if let Some(v) = u.constant {
        dists.push(Dist::Constant(v));
    }
    if let Some(m) = &u.uniform {
        if m.min > m.max {
            return Err(field_err(
                path,
                text,
                &format!("{fld}.uniform"),
                format!("min {} is above max {}", m.min, m.max),
            ));
        }
        dists.push(Dist::Uniform(m.min, m.max));
    }
    if let Some(m) = &u.normal {
        dists.push(Dist::Normal(m.mean, m.sd));
    }
    if let Some(m) = &u.lognormal {
        dists.push(Dist::LogNormal(m.median, m.sigma));
    }
    if let Some(v) = &u.empirical {
        if v.is_empty() {
            return Err(field_err(
                path,
                text,
                &format!("{fld}.empirical"),
                "needs at least one value".into(),
            ));
        }
        dists.push(Dist::Empirical(v.clone()));
    }
    if dists.is_empty() {
        let m = "give a distribution (constant, uniform, normal, lognormal or empirical)".to_string();
        return Err(field_err(path, text, fld, m));
    }
    if dists.len() > 1 {
        return Err(field_err(
            path,
            text,
            fld,
            "give one distribution (constant, uniform, normal, lognormal or empirical)".into(),
        ));
    }
    let bad = |d: &Dist| match d {
        Dist::Constant(v) => !v.is_finite() || *v < 0.0 || *v > 1e6,
        Dist::Uniform(a, b) => !a.is_finite() || !b.is_finite() || *a < 0.0,
        Dist::Normal(m, sd) => !m.is_finite() || !sd.is_finite() || *sd < 0.0,
        Dist::LogNormal(m, s) => !m.is_finite() || !s.is_finite() || *m < 0.0 || *s < 0.0,
        Dist::Empirical(v) => v.iter().any(|x| !x.is_finite() || *x < 0.0),
    };
    if let Some(d) = dists.first().filter(|d| bad(d)) {
        return Err(field_err(path, text, fld, format!("{d:?}: ratios must be finite and ≥ 0")));
    }
    let growth = match &u.growth_per_hour {
        None => 0.0,
        Some(q) => {
            let v = crate::api::quantity::Quantity::parse(q)
                .map_err(|e| field_err(path, text, &format!("{fld}.growthPerHour"), format!("{q:?}: {e}")))?;
            let g = if cpu { v.milli_value() as f64 } else { v.value() as f64 };
            if g < 0.0 {
                let m = format!("{q:?}: must not be negative");
                return Err(field_err(path, text, &format!("{fld}.growthPerHour"), m));
            }
            g
        }
    };
    Ok(ResourceUsage { base, dist: dists.pop().unwrap_or(fallback.dist), growth_per_hour: growth })
}
