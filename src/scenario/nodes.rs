//! The nodes of a scenario (`spec.cluster`): node sources (alibaba-openb node traces, pools of a
//! template, Node manifests), static pods, and random node-failure processes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::events::selection;
use super::fields::{field_err, parse_duration, refine_line};
use super::timeline::{self, Dynamics, FailureProcess};
use crate::api::convert::{node_to_model, pod_to_model, validate_node, validate_pod};
use crate::api::objects::KubeObject;
use crate::api::scenario::{self as schema, NodeSource};
use crate::api::yaml::read_objects;
use crate::controllers::static_pods::StaticPods;
use crate::error::InputError;
use crate::model::Node;
use crate::time::SimTime;
use crate::workload::alibaba_openb;

/// The nodes of `spec.cluster.nodes`, in order (they join at time 0); pools go to `dy.pools`,
/// the files read to `inputs`.
pub(super) fn load_nodes(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    base: &Path,
    dy: &mut Dynamics,
    inputs: &mut Vec<PathBuf>,
) -> Result<Vec<Node>, InputError> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut node_names: BTreeSet<String> = BTreeSet::new();
    for (i, src) in sc.spec.cluster.nodes.iter().enumerate() {
        match src {
            NodeSource::Trace(t) => {
                if !t.scheduler_names.is_empty() {
                    return Err(field_err(
                        path,
                        text,
                        &format!("spec.cluster.nodes[{i}].trace.schedulerNames"),
                        "schedulerNames applies to pod traces only".into(),
                    ));
                }
                check_format(path, text, &t.format, &format!("spec.cluster.nodes[{i}].trace.format"))?;
                let p = base.join(&t.path);
                for node in alibaba_openb::read_nodes(&p)? {
                    if !node_names.insert(node.name.clone()) {
                        return Err(InputError::Field {
                            path: p.clone(),
                            line: 0,
                            field: "sn".into(),
                            message: format!("node {:?} is defined twice in the scenario's nodes", node.name),
                        });
                    }
                    nodes.push(node);
                }
                inputs.push(p);
            }
            NodeSource::Pool(pool) => {
                let p = base.join(&pool.template);
                let template = pool_template(&p)?;
                if dy.pools.iter().any(|x| x.name == pool.name) {
                    return Err(field_err(
                        path,
                        text,
                        &format!("spec.cluster.nodes[{i}].pool.name"),
                        format!("two pools are named {:?}", pool.name),
                    ));
                }
                if pool.count > super::caps::MAX_POOL_NODES {
                    return Err(field_err(
                        path,
                        text,
                        &format!("spec.cluster.nodes[{i}].pool.count"),
                        format!(
                            "{}: at most {} nodes per pool (the cap)",
                            pool.count,
                            super::caps::MAX_POOL_NODES
                        ),
                    ));
                }
                let pool = timeline::Pool { name: pool.name.clone(), template, initial: pool.count };
                for k in 0..pool.initial {
                    let node = pool.node(k);
                    if !node_names.insert(node.name.clone()) {
                        return Err(field_err(
                            path,
                            text,
                            &format!("spec.cluster.nodes[{i}].pool.name"),
                            format!("node {:?} is defined twice in the scenario's nodes", node.name),
                        ));
                    }
                    nodes.push(node);
                }
                dy.pools.push(pool);
                inputs.push(p);
            }
            NodeSource::Manifest(m) => {
                if m.at.is_some() {
                    return Err(field_err(
                        path,
                        text,
                        &format!("spec.cluster.nodes[{i}].manifest.at"),
                        "nodes join at time 0; `at` applies to pod manifests only".into(),
                    ));
                }
                let p = base.join(&m.path);
                for obj in read_objects(&p)? {
                    match &obj.value {
                        KubeObject::Node(n) => {
                            validate_node(n, &p, obj.line).map_err(|e| refine_line(e, &p))?;
                            let node = node_to_model(n, &p, obj.line).map_err(|e| refine_line(e, &p))?;
                            if !node_names.insert(node.name.clone()) {
                                let e = InputError::Field {
                                    path: p.clone(),
                                    line: obj.line,
                                    field: "metadata.name".into(),
                                    message: format!("node {:?} is defined twice", node.name),
                                };
                                return Err(refine_line(e, &p));
                            }
                            nodes.push(node);
                        }
                        other => {
                            return Err(InputError::Field {
                                path: p.clone(),
                                line: obj.line,
                                field: "kind".into(),
                                message: format!("{}: a node manifest holds only Node objects", other.kind()),
                            });
                        }
                    }
                }
                inputs.push(p);
            }
        }
    }
    Ok(nodes)
}

/// The static pods of `spec.cluster.staticPods` into `dy.static_pods`.
pub(super) fn load_static_pods(
    sc: &schema::Scenario,
    base: &Path,
    dy: &mut Dynamics,
    inputs: &mut Vec<PathBuf>,
) -> Result<(), InputError> {
    for (i, sp) in sc.spec.cluster.static_pods.iter().enumerate() {
        let p = base.join(&sp.path);
        let mut pods = Vec::new();
        for obj in read_objects(&p)? {
            match &obj.value {
                KubeObject::Pod(pod) => {
                    validate_pod(pod, &p, obj.line).map_err(|e| refine_line(e, &p))?;
                    let classes = &dy.priority_classes;
                    let m = pod_to_model(pod, &p, obj.line, |n| {
                        classes.resolve(n).or_else(|| crate::api::convert::builtin_priority(n)).or(Some(0))
                    })
                    .map_err(|e| refine_line(e, &p))?;
                    pods.push(m);
                }
                other => {
                    return Err(InputError::Field {
                        path: p.clone(),
                        line: obj.line,
                        field: "kind".into(),
                        message: format!("{}: static pod manifests hold Pods only", other.kind()),
                    });
                }
            }
        }
        let _ = i;
        dy.static_pods.push(StaticPods { pods, nodes: sp.nodes.as_ref().map(selection) });
        inputs.push(p);
    }
    Ok(())
}

/// The random failure processes of `spec.cluster.nodeFailures` into `dy.failures`.
pub(super) fn load_failures(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    horizon: Option<SimTime>,
    dy: &mut Dynamics,
) -> Result<(), InputError> {
    let dur = |s: &str, field: &str| parse_duration(s, path, text, field);
    for (i, f) in sc.spec.cluster.node_failures.iter().enumerate() {
        let mtbf = dur(&f.mtbf, &format!("spec.cluster.nodeFailures[{i}].mtbf"))?;
        let repair = dur(&f.repair, &format!("spec.cluster.nodeFailures[{i}].repair"))?;
        if mtbf.0 <= 0 {
            return Err(field_err(
                path,
                text,
                &format!("spec.cluster.nodeFailures[{i}].mtbf"),
                "must be greater than 0".into(),
            ));
        }
        if horizon.is_none() {
            // Missing, so placed at the failure process that needs it.
            return Err(InputError::Field {
                path: path.to_path_buf(),
                line: crate::api::spans::field_line(text, 0, &format!("spec.cluster.nodeFailures[{i}]")),
                field: "spec.duration".into(),
                message: "a random failure process needs a horizon: set spec.duration".into(),
            });
        }
        dy.failures.push(FailureProcess {
            nodes: f.nodes.as_ref().map(selection),
            mtbf_ms: mtbf.0,
            repair_ms: repair.0,
        });
    }
    Ok(())
}

/// Only the alibaba-openb trace format is read.
pub(super) fn check_format(path: &Path, text: &str, format: &str, field: &str) -> Result<(), InputError> {
    if format == "alibaba-openb" {
        Ok(())
    } else {
        Err(field_err(
            path,
            text,
            field,
            format!("{format:?}: unsupported trace format; expected alibaba-openb"),
        ))
    }
}

/// Reads a pool's template: a YAML file with exactly one Node.
fn pool_template(p: &Path) -> Result<Node, InputError> {
    let objects = read_objects(p)?;
    let mut nodes = Vec::new();
    for obj in &objects {
        match &obj.value {
            KubeObject::Node(n) => nodes.push(node_to_model(n, p, obj.line).map_err(|e| refine_line(e, p))?),
            other => {
                return Err(InputError::Field {
                    path: p.to_path_buf(),
                    line: obj.line,
                    field: "kind".into(),
                    message: format!("{}: a pool template holds one Node", other.kind()),
                });
            }
        }
    }
    if nodes.len() != 1 {
        return Err(InputError::Field {
            path: p.to_path_buf(),
            line: 0,
            field: "kind".into(),
            message: format!("a pool template holds exactly one Node, found {}", nodes.len()),
        });
    }
    Ok(nodes.remove(0))
}
