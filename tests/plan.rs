//! `capsim plan`: the search finds the cheapest mix exhaustive search finds, SLOs parse and
//! measure slack as documented, and bad node-type files fail with file, line and field.

use std::path::Path;
use std::process::Command;

use capsim::experiment::plan::{Op, Planner, load_node_types, parse_slo};
use capsim::scenario::load;

/// On the bundled small scenario (3 trainers of 6 cpu that only a 16-cpu node fits, then 24 web
/// pods of 1 cpu), the cheapest mix is 2 large nodes (one trainer pair, one single trainer)
/// plus 3 small ones for the web pods that don't fit beside them: 2 × 0.96 + 3 × 0.20 = 2.52/h.
/// Exhaustive search over all 13 × 7 mixes agrees; the search needs far fewer runs.
#[test]
fn search_finds_the_cheapest_mix_exhaustive_search_finds() {
    let sc = load(Path::new("workloads/plan-small.yaml")).unwrap();
    let types = load_node_types(Path::new("workloads/plan/node-types.yaml")).unwrap();
    assert_eq!(
        types.iter().map(|t| (t.name.as_str(), t.max)).collect::<Vec<_>>(),
        [("small", 12), ("large", 6)]
    );
    assert_eq!(types[1].template.allocatable.milli_cpu, 16_000);
    let slos = vec![parse_slo("never_ran==0").unwrap(), parse_slo("p99_pending<=30s").unwrap()];
    let mut search = Planner::new(&sc, &types, &slos, vec![1, 2, 3], 1.0);
    let found = search.search().unwrap().expect("a mix meets the SLOs");
    assert_eq!(found.counts, [3, 2]);
    assert_eq!(found.cost_per_hour, 2.52);
    assert!(search.searched < 40, "the search evaluated {} of 91 mixes", search.searched);
    // 2 large nodes alone leave web pods pending; 3 large nodes cost more.
    let two_large = search.evaluate(&[0, 2]).unwrap();
    assert!(!two_large.meets && two_large.worst[0] > 0.0);
    assert_eq!(search.evaluate(&[0, 3]).unwrap().cost_per_hour, 2.88);

    let mut all = Planner::new(&sc, &types, &slos, vec![1, 2, 3], 1.0);
    let best = all.exhaustive().unwrap().unwrap();
    assert_eq!(all.evaluated.len(), 13 * 7);
    assert_eq!((best.counts, best.cost_per_hour), (found.counts, found.cost_per_hour));
    let frontier = all.frontier();
    assert_eq!(frontier[0].counts, [3, 2], "the cheapest feasible mix starts the frontier");
    assert!(
        frontier.windows(2).all(|w| w[0].cost_per_hour < w[1].cost_per_hour && w[0].margin < w[1].margin)
    );
}

#[test]
fn slos_parse_and_measure_relative_slack() {
    let s = parse_slo("p99_pending<=60s").unwrap();
    assert_eq!((s.metric, s.op, s.limit), ("p99_pending", Op::Le, 60.0));
    assert_eq!(parse_slo("pending_p99_s <= 2m").unwrap().limit, 120.0);
    assert_eq!(parse_slo("throttled_fraction_p99<=0.05").unwrap().limit, 0.05);
    // 45 s against 60 s: a quarter of the limit to spare; 90 s misses by half of it.
    assert_eq!(s.margin(45.0), 0.25);
    assert_eq!(s.margin(90.0), -0.5);
    assert!(s.met(60.0) && !s.met(60.001));
    let z = parse_slo("oom_kills==0").unwrap();
    assert!(z.met(0.0) && !z.met(1.0));
    assert_eq!(z.margin(3.0), -3.0, "a limit of 0 scales by 1");
    let e = parse_slo("p99_latency<=1s").unwrap_err();
    assert!(e.contains("unknown metric \"p99_latency\"") && e.contains("p99_pending"), "{e}");
    assert!(parse_slo("p99_pending<=soon").unwrap_err().contains("not a duration"));
    assert!(parse_slo("p99_pending").unwrap_err().contains("expected METRIC<=VALUE"));
    assert!(parse_slo("restarts>=1").unwrap_err().contains("upper bound"));
    // Pods that never ran count as waiting until the end: no nodes never meet a pending SLO.
    let none = capsim::report::Summary {
        pods_never_scheduled: 27,
        unscheduled_wait_max_s: 600.0,
        ..Default::default()
    };
    assert_eq!(s.value(&none), 600.0);
}

#[test]
fn plan_command_writes_the_frontier_and_rejects_bad_node_types() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["plan", "workloads/plan-small.yaml", "--node-types", "workloads/plan/node-types.yaml"])
        .args(["--slo", "never_ran==0,p99_pending<=30s", "--seeds", "2", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let frontier = std::fs::read_to_string(out.join("frontier.csv")).unwrap();
    assert!(frontier.starts_with(
        "small,large,nodes,cost_per_hour,seeds_met,meets_slos,margin,frontier,worst never_ran==0,worst p99_pending<=30s\n3,2,5,2.52,2,true,1,true,0,0\n"
    ), "{frontier}");
    let rec = std::fs::read_to_string(out.join("recommendation.txt")).unwrap();
    assert!(rec.starts_with("Cheapest mix meeting never_ran==0, p99_pending<=30s on all 2 seeds (1 to 2): 3 × small + 2 × large = 5 nodes at 2.52/h"), "{rec}");
    let svg = std::fs::read_to_string(out.join("charts/frontier.svg")).unwrap();
    assert!(svg.contains("Plan frontier") && svg.contains("cost per hour"));
    assert!(std::fs::read_to_string(out.join("report.html")).unwrap().contains("<svg"));

    let bad = dir.path().join("types.yaml");
    std::fs::write(
        &bad,
        "apiVersion: capsim.dev/v1alpha1\nkind: NodeTypes\nnodeTypes:\n  - name: a\n    pricePerHour: 1\n    allocatable: {cpu: \"4\", memory: 16Gi}\n  - name: b\n    pricePerHour: 1\n    allocatable: {cpu: four}\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["plan", "workloads/plan-small.yaml", "--slo", "never_ran==0", "--out"])
        .arg(dir.path().join("x"))
        .arg("--node-types")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{}:9: field `nodeTypes[1].allocatable.cpu`", bad.display())), "{err}");
    assert!(!dir.path().join("x").exists());
}
