//! Golden tests: each in-tree plugin, run alone, against the expectations of kube-scheduler's own
//! table-driven unit tests, restated as data in `tests/conformance/golden/*.json` (see
//! `tests/conformance/golden/README.md` for the format).
//!
//! A case builds the snapshot (nodes in order, existing pods bound to their `spec.nodeName`), builds
//! the plugin through the registry with the case's `args`, and runs one phase:
//!
//! - **filter**: PreFilter (if the plugin has one). Skip means every node fits; a rejection fails
//!   every node with PreFilter's status; a PreFilterResult that leaves a node out fails it. Then
//!   Filter per node. `fits`, `reasons` (exact, in order) and `codes` are compared, plus
//!   `prefilterNodeNames` / `prefilterReasons` and NodeResourcesFit's `insufficientResources`.
//! - **score**: PreFilter and PreScore (a PreScore Skip gives 0 everywhere), Score per node (only
//!   `candidateNodes` when given), then NormalizeScore if the plugin has one; `scores` must be exact.
//!
//! Cases whose `featureGates` differ from the v1.35.4 defaults are skipped by gate, not by name.
//! Every failure is collected; the test panics at the end with the list of failing case names.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use capsim::model::Cluster;
use capsim::model::pod::{QosClass, qos_class};
use capsim::scheduler::framework::{CycleState, Status};
use capsim::scheduler::plugins::node_resources_fit::{
    Fit, UtilizationShapePoint, broken_linear, fits_request,
};
use capsim::scheduler::plugins::registry::in_tree;
use common::{
    Tally, assert_ran, build_cluster, catch, gate_skip_reason, load_json, model_pod, plugin_args, report,
};
use serde_json::Value;

/// What a plugin said about one node in the filter phase.
#[derive(Debug, PartialEq)]
struct FilterVerdict {
    fits: bool,
    reasons: Vec<String>,
    code: Option<&'static str>,
}

fn verdict_of(status: &Status) -> FilterVerdict {
    FilterVerdict {
        fits: false,
        reasons: status.reasons.iter().map(|r| r.to_string()).collect(),
        code: Some(status.code.as_str()),
    }
}

/// Node names of a case, in the order given.
fn node_names(case: &Value) -> Vec<String> {
    case["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Runs the filter phase the way upstream's Filter unit tests (and the framework) do: PreFilter
/// (Skip ⇒ the plugin's Filter does not run and the node passes; rejection ⇒ every node fails with
/// that status; a PreFilterResult ⇒ nodes outside it fail with "didn't satisfy plugin(s)"), then
/// Filter on each node.
fn run_filter(case: &Value, cluster: &Cluster) -> Result<(), String> {
    let plugin_name = case["plugin"].as_str().unwrap();
    let args = plugin_args(case.get("args"));
    let make =
        in_tree().factory(plugin_name).ok_or_else(|| format!("plugin {plugin_name} not in the registry"))?;
    let plugin = make(&args).map_err(|e| format!("building {plugin_name} with {args}: {e}"))?;
    let pod = model_pod(&case["pod"])?;
    let mut diffs = Vec::new();

    let mut state = CycleState::new();
    let (names, pf_status) = match plugin.as_pre_filter() {
        Some(pf) => pf.pre_filter(&mut state, &pod, cluster),
        None => (None, Status::success()),
    };
    if pf_status.code == capsim::scheduler::framework::Code::Error {
        return Err(format!("PreFilter error: {}", pf_status.message()));
    }
    if let Some(want) = case.get("prefilterNodeNames") {
        let want: BTreeSet<String> =
            want.as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
        if names.as_ref() != Some(&want) {
            diffs.push(format!("prefilterNodeNames: want {want:?}, got {names:?}"));
        }
    }
    if let Some(want) = case.get("prefilterReasons") {
        let want: Vec<String> = want.as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
        let got: Vec<String> = pf_status.reasons.iter().map(|r| r.to_string()).collect();
        if want != got {
            diffs.push(format!("prefilterReasons: want {want:?}, got {got:?}"));
        }
    }

    let expected = &case["expected"];
    let fit = (plugin_name == "NodeResourcesFit").then(|| Fit::new(&args).expect("args already accepted"));
    for name in node_names(case) {
        let id = cluster.node_id(&name).unwrap();
        let info = cluster.node(id);
        let got = if pf_status.is_skip() {
            FilterVerdict { fits: true, reasons: vec![], code: None }
        } else if pf_status.is_rejected() {
            verdict_of(&pf_status)
        } else {
            let status = plugin.as_filter().expect("a filter plugin").filter(&state, &pod, info, cluster);
            if status.code == capsim::scheduler::framework::Code::Error {
                return Err(format!("Filter error on {name}: {}", status.message()));
            }
            if !status.is_success() {
                verdict_of(&status)
            } else if names.as_ref().is_some_and(|n| !n.contains(&name)) {
                FilterVerdict {
                    fits: false,
                    reasons: vec![format!("node(s) didn't satisfy plugin(s) [{plugin_name}]")],
                    code: Some("UnschedulableAndUnresolvable"),
                }
            } else {
                FilterVerdict { fits: true, reasons: vec![], code: None }
            }
        };
        let want_fits =
            expected["fits"][&name].as_bool().ok_or_else(|| format!("no expected.fits for {name}"))?;
        if got.fits != want_fits {
            diffs.push(format!(
                "{name}: fits want {want_fits}, got {} ({:?}, {:?})",
                got.fits, got.code, got.reasons
            ));
        }
        if let Some(want) = expected.get("reasons").and_then(|r| r.get(&name)) {
            let want: Vec<String> =
                want.as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
            if want != got.reasons {
                diffs.push(format!("{name}: reasons want {want:?}, got {:?}", got.reasons));
            }
        }
        if let Some(want) = expected.get("codes").and_then(|r| r.get(&name)) {
            let want = want.as_str().unwrap();
            if Some(want) != got.code {
                diffs.push(format!("{name}: code want {want}, got {:?}", got.code));
            }
        }
        if let (Some(fit), Some(want)) =
            (&fit, expected.get("insufficientResources").and_then(|r| r.get(&name)))
        {
            let want: Vec<String> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    format!(
                        "{} requested={} used={} capacity={} unresolvable={}",
                        r["resource"].as_str().unwrap(),
                        r["requested"],
                        r["used"],
                        r["capacity"],
                        r.get("unresolvable").and_then(Value::as_bool).unwrap_or(false)
                    )
                })
                .collect();
            let got: Vec<String> = fits_request(fit, &pod, info)
                .iter()
                .map(|r| {
                    format!(
                        "{} requested={} used={} capacity={} unresolvable={}",
                        r.resource, r.requested, r.used, r.capacity, r.unresolvable
                    )
                })
                .collect();
            if want != got {
                diffs.push(format!("{name}: insufficientResources\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    if diffs.is_empty() { Ok(()) } else { Err(diffs.join("\n")) }
}

/// Runs the score phase the way the framework does for one plugin: PreFilter (for state), PreScore
/// over the candidate nodes (Skip ⇒ the plugin adds 0 everywhere), Score per candidate, then
/// NormalizeScore when the plugin has one. Weights are not applied.
fn run_score(case: &Value, cluster: &Cluster) -> Result<(), String> {
    let plugin_name = case["plugin"].as_str().unwrap();
    let args = plugin_args(case.get("args"));
    let make =
        in_tree().factory(plugin_name).ok_or_else(|| format!("plugin {plugin_name} not in the registry"))?;
    let plugin = make(&args).map_err(|e| format!("building {plugin_name} with {args}: {e}"))?;
    let pod = model_pod(&case["pod"])?;
    let candidates: Vec<String> = match case.get("candidateNodes") {
        Some(c) => c.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        None => node_names(case),
    };
    let ids: Vec<_> = candidates.iter().map(|n| cluster.node_id(n).expect("candidate node exists")).collect();

    let mut state = CycleState::new();
    if let Some(pf) = plugin.as_pre_filter() {
        let (_, st) = pf.pre_filter(&mut state, &pod, cluster);
        if st.code == capsim::scheduler::framework::Code::Error {
            return Err(format!("PreFilter error: {}", st.message()));
        }
    }
    let mut skipped = false;
    if let Some(ps) = plugin.as_pre_score() {
        let st = ps.pre_score(&mut state, &pod, &ids, cluster);
        if st.is_skip() {
            skipped = true;
        } else if !st.is_success() {
            return Err(format!("PreScore returned {:?}: {}", st.code, st.message()));
        }
    }
    let sp = plugin.as_score().ok_or("not a score plugin")?;
    let mut scores = vec![0i64; ids.len()];
    if !skipped {
        for (i, id) in ids.iter().enumerate() {
            scores[i] = sp
                .score(&state, &pod, cluster.node(*id), cluster)
                .map_err(|s| format!("Score error: {s:?}"))?;
        }
        if sp.has_normalize() {
            let st = sp.normalize_score(&state, &pod, &mut scores);
            if !st.is_success() {
                return Err(format!("NormalizeScore returned {:?}", st));
            }
        }
    }
    let got: BTreeMap<String, i64> = candidates.iter().cloned().zip(scores).collect();
    let want: BTreeMap<String, i64> = case["expected"]["scores"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
        .collect();
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "scores{}:\n  want {want:?}\n  got  {got:?}",
            if skipped { " (PreScore skipped)" } else { "" }
        ))
    }
}

/// Runs one plugin case (filter or score).
fn run_case(case: &Value) -> Result<(), String> {
    let empty = Vec::new();
    let nodes = case["nodes"].as_array().unwrap();
    let existing = case.get("existing_pods").and_then(Value::as_array).unwrap_or(&empty);
    let cluster = build_cluster(nodes, existing)?;
    match case["phase"].as_str() {
        Some("filter") => run_filter(case, &cluster),
        Some("score") => run_score(case, &cluster),
        other => Err(format!("unknown phase {other:?}")),
    }
}

/// Runs every case of a golden plugin file, grouped by plugin, and fails listing every divergence.
fn run_file(file: &str, want: usize) {
    let doc = load_json(&format!("conformance/golden/{file}"));
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap().to_string();
        let group = format!("{file} {}", case["plugin"].as_str().unwrap_or("?"));
        let t = groups.entry(group).or_default();
        if let Some(why) = gate_skip_reason(case) {
            t.skipped.push((name, why));
            continue;
        }
        match catch(|| run_case(case)) {
            Ok(()) => t.passed += 1,
            Err(diff) => t.failed.push((name, diff)),
        }
    }
    assert_ran(file, report("golden", &groups), want);
}

/// NodeName Filter (`nodename/node_name_test.go`).
#[test]
fn golden_nodename() {
    run_file("nodename.json", 2);
}

/// NodeUnschedulable Filter (`nodeunschedulable/node_unschedulable_test.go`).
#[test]
fn golden_nodeunschedulable() {
    run_file("nodeunschedulable.json", 2);
}

/// TaintToleration Filter and Score with reverse normalization (`tainttoleration/taint_toleration_test.go`).
#[test]
fn golden_tainttoleration() {
    run_file("tainttoleration.json", 12);
}

/// NodeAffinity PreFilter/Filter (nodeSelector, required terms, matchFields, addedAffinity) and
/// Score (`nodeaffinity/node_affinity_test.go`).
#[test]
fn golden_nodeaffinity() {
    run_file("nodeaffinity.json", 24);
}

/// NodePorts PreFilter/Filter, including sidecar host ports (`nodeports/node_ports_test.go`).
#[test]
fn golden_nodeports() {
    run_file("nodeports.json", 10);
}

/// NodeResourcesFit Filter: requests vs allocatable, init containers, sidecars, overhead, extended
/// resources, ignored resources, pod-level resources (`noderesources/fit_test.go`).
#[test]
fn golden_noderesources_fit_filter() {
    run_file("noderesources_fit_filter.json", 41);
}

/// NodeResourcesFit Score across strategies (`noderesources/fit_test.go` TestFitScore).
#[test]
fn golden_noderesources_fit_score() {
    run_file("noderesources_fit_score.json", 4);
}

/// LeastAllocated strategy (`noderesources/least_allocated_test.go`).
#[test]
fn golden_noderesources_least_allocated() {
    run_file("noderesources_least_allocated.json", 8);
}

/// MostAllocated strategy (`noderesources/most_allocated_test.go`).
#[test]
fn golden_noderesources_most_allocated() {
    run_file("noderesources_most_allocated.json", 7);
}

/// RequestedToCapacityRatio strategy (`noderesources/requested_to_capacity_ratio_test.go`).
#[test]
fn golden_noderesources_requested_to_capacity_ratio() {
    run_file("noderesources_requested_to_capacity_ratio.json", 8);
}

/// The raw piecewise-linear shape function of RequestedToCapacityRatio
/// (`TestBrokenLinearFunction`; points used as given, tolerance 0.1).
#[test]
fn golden_broken_linear_function() {
    let doc = load_json("conformance/golden/noderesources_requested_to_capacity_ratio.json");
    let mut t = Tally::default();
    for (i, row) in doc["broken_linear_function_cases"].as_array().unwrap().iter().enumerate() {
        let shape: Vec<UtilizationShapePoint> = serde_json::from_value(row["points"].clone()).unwrap();
        let u = row["utilization"].as_i64().unwrap();
        let want = row["expected"].as_f64().unwrap();
        let got = broken_linear(&shape, u);
        if (got as f64 - want).abs() <= 0.1 {
            t.passed += 1;
        } else {
            t.failed.push((format!("row {i}: {shape:?} at {u}"), format!("want {want}, got {got}")));
        }
    }
    assert_ran(
        "broken_linear_function",
        report("golden", &BTreeMap::from([("broken_linear_function".to_string(), t)])),
        28,
    );
}

/// NodeResourcesBalancedAllocation Score (`noderesources/balanced_allocation_test.go`).
#[test]
fn golden_noderesources_balanced_allocation() {
    run_file("noderesources_balanced_allocation.json", 4);
}

/// ImageLocality Score: spread over the whole cluster, init containers, per-container ceiling
/// (`imagelocality/image_locality_test.go`).
#[test]
fn golden_imagelocality() {
    run_file("imagelocality.json", 5);
}

/// PodTopologySpread PreFilter/Filter: skew with minDomains, node-inclusion policies, missing
/// topology keys (`podtopologyspread/filtering_test.go`; status codes only).
#[test]
fn golden_podtopologyspread_filter() {
    run_file("podtopologyspread_filter.json", 23);
}

/// PodTopologySpread PreScore/Score/NormalizeScore over `candidateNodes`, with topology weights
/// and ignored nodes (`podtopologyspread/scoring_test.go`).
#[test]
fn golden_podtopologyspread_score() {
    run_file("podtopologyspread_score.json", 17);
}

/// InterPodAffinity PreFilter/Filter: required affinity (with the first-replica exception),
/// required anti-affinity, existing pods' anti-affinity, namespaces and missing topology keys
/// (`interpodaffinity/filtering_test.go`).
#[test]
fn golden_interpodaffinity_filter() {
    run_file("interpodaffinity_filter.json", 25);
}

/// Rows the golden files list as skipped because they assert only that PreScore returns Skip
/// (e.g. BalancedAllocation for a best-effort pod, issue #129138); checked wherever the row
/// carries its pod and nodes.
#[test]
fn golden_prescore_skip_rows() {
    let mut t = Tally::default();
    for file in [
        "nodeaffinity.json",
        "noderesources_balanced_allocation.json",
        "noderesources_fit_score.json",
        "tainttoleration.json",
        "imagelocality.json",
    ] {
        let doc = load_json(&format!("conformance/golden/{file}"));
        for row in doc["skipped"].as_array().unwrap() {
            let (Some(want), Some(pod)) = (row["expected"].get("prescoreStatus"), row.get("pod")) else {
                continue;
            };
            let name = format!("{file}: {}", row["name"].as_str().unwrap());
            let plugin = doc["cases"][0]["plugin"].as_str().unwrap().to_string();
            match catch(|| {
                let cluster = build_cluster(row["nodes"].as_array().unwrap(), &[])?;
                let args = plugin_args(row.get("args"));
                let p = in_tree().factory(&plugin).unwrap()(&args)?;
                let ids: Vec<_> = cluster.node_order().to_vec();
                let st = p.as_pre_score().ok_or("no PreScore")?.pre_score(
                    &mut CycleState::new(),
                    &model_pod(pod)?,
                    &ids,
                    &cluster,
                );
                let got = st.code.as_str();
                if Some(got) == want.as_str() {
                    Ok(())
                } else {
                    Err(format!("PreScore want {want}, got {got}"))
                }
            }) {
                Ok(()) => t.passed += 1,
                Err(diff) => t.failed.push((name, diff)),
            }
        }
    }
    assert_ran(
        "prescore skip rows",
        report("golden", &BTreeMap::from([("prescore skip rows".to_string(), t)])),
        1,
    );
}

/// QoS class of a pod (`pkg/apis/core/v1/helper/qos` TestComputePodQOS), including pod-level
/// resources.
#[test]
fn golden_qos() {
    let doc = load_json("conformance/golden/qos.json");
    let mut t = Tally::default();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap().to_string();
        if let Some(why) = gate_skip_reason(case) {
            t.skipped.push((name, why));
            continue;
        }
        let want = case["expected"]["qosClass"].as_str().unwrap().to_string();
        match catch(|| {
            let got = match qos_class(&model_pod(&case["pod"])?) {
                QosClass::BestEffort => "BestEffort",
                QosClass::Burstable => "Burstable",
                QosClass::Guaranteed => "Guaranteed",
            };
            if got == want { Ok(()) } else { Err(format!("qosClass want {want}, got {got}")) }
        }) {
            Ok(()) => t.passed += 1,
            Err(diff) => t.failed.push((name, diff)),
        }
    }
    assert_ran("qos.json", report("golden", &BTreeMap::from([("qos.json".to_string(), t)])), 14);
}
