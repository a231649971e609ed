//! `capsim validate`: load a scenario and every file it names, run nothing, and say what the
//! run would start from.

use std::path::Path;

use super::Failure;

pub(super) fn cmd_validate(scenario: &Path) -> Result<(), Failure> {
    let sc = super::load(scenario)?;
    let profiles: Vec<&str> = sc.scheduler.profiles.iter().map(|p| p.scheduler_name.as_str()).collect();
    println!(
        "{}: ok ({} nodes, {} scheduler profile(s): {})",
        scenario.display(),
        sc.nodes.len(),
        profiles.len(),
        profiles.join(", ")
    );
    let dy = &sc.dynamics;
    // Pods come from four places: listed (trace rows, manifests' Pods), controllers' templates,
    // generators and per-node fan-out. Say each, so a Deployment-only scenario does not read
    // as "0 pods".
    let mut sources = vec![format!("{} listed (trace rows and Pod manifests)", sc.arrivals.len())];
    if !dy.replicasets.is_empty() {
        let replicas: i64 = dy.replicasets.iter().map(|r| i64::from(r.replicas.max(0))).sum();
        sources.push(format!(
            "{replicas} replicas of {} Deployment/ReplicaSet(s) at creation",
            dy.replicasets.len()
        ));
    }
    if !dy.jobs.is_empty() {
        let completions: i64 = dy.jobs.iter().map(|j| i64::from(j.completions.max(0))).sum();
        sources.push(format!("{completions} completions of {} Job(s), more if pods fail", dy.jobs.len()));
    }
    let generated: u64 = dy.generators.iter().map(|g| g.count).sum();
    if generated > 0 {
        sources.push(format!("{generated} from {} generator(s)", dy.generators.len()));
    }
    if !dy.daemonsets.is_empty() || !dy.static_pods.is_empty() {
        sources.push(format!(
            "one per matching node for each of {} DaemonSet(s) and {} static pod set(s)",
            dy.daemonsets.len(),
            dy.static_pods.len()
        ));
    }
    println!("pods: {}", sources.join("; "));
    for g in &dy.generators {
        println!(
            "generator {}: {} pods over {} s from {} s, {} shape(s)",
            g.name,
            g.count,
            g.over_ms / 1000,
            g.start.0 / 1000,
            g.shapes.len()
        );
    }
    if dy.limit_ranges.len() + dy.quotas.len() > 0 {
        println!("policies: {} LimitRange(s), {} ResourceQuota(s)", dy.limit_ranges.len(), dy.quotas.len());
    }
    if !dy.timeline.is_empty() || !dy.failures.is_empty() {
        println!(
            "timeline: {} event(s), {} random failure process(es), {} pool(s)",
            dy.timeline.len(),
            dy.failures.len(),
            dy.pools.len()
        );
    }
    if !dy.skipped.is_empty() {
        let kinds: Vec<String> = dy.skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
        println!("skipped (not simulated): {}", kinds.join(", "));
    }
    for n in &sc.notes {
        println!("note: {n}");
    }
    if sc.nodes.is_empty() && dy.pools.is_empty() {
        println!("note: the scenario has no node, so every pod stays pending (`capsim plan` adds the nodes)");
    }
    if let Some(h) = sc.horizon {
        let late = sc.arrivals.iter().filter(|a| a.created > h).count();
        if late > 0 {
            println!(
                "note: {late} of the {} listed pods arrive after spec.duration ({} s) and are never created",
                sc.arrivals.len(),
                h.0 / 1000
            );
        }
        for g in &dy.generators {
            let end = g.start.0.saturating_add(g.over_ms);
            if end > h.0 && g.over_ms > 0 {
                let within = (h.0 - g.start.0).clamp(0, g.over_ms) as f64 / g.over_ms as f64;
                println!(
                    "note: generator {}'s window ends after spec.duration ({} s): about {:.0} of its {} pods arrive within the run",
                    g.name,
                    h.0 / 1000,
                    within * g.count as f64,
                    g.count
                );
            }
        }
    }
    Ok(())
}
