//! The FGD paper's default-trace table: capsim's study over seeds 42..51 lands every cell within
//! ±0.5 points (or two of the paper's standard deviations) and ranks the six policies as the
//! paper does.
//!
//! Slow, so outside the default `cargo test`: `.ci/run` runs it with
//! `cargo test --release --test fgd -- --ignored`.

use std::path::Path;

use capsim::experiment::fgd::{MAX_ARRIVED_PCT, PAPER_DEFAULT, Trace, study, trace_paths, within};
use capsim::scenario::load;

#[test]
#[ignore = "slow (about two minutes): run by .ci/run with --ignored"]
fn default_trace_reproduces_the_papers_table() {
    let path = Path::new("workloads/fgd-default.yaml");
    let sc = load(path).unwrap();
    let (nodes, dir) = trace_paths(path, &sc.text).unwrap();
    let traces = [Trace { name: "default".into(), path: dir.join("openb_pod_list_default.csv") }];
    let seeds: Vec<u64> = (42..=51).collect();
    let s = study(&nodes, &traces, &sc.scheduler, &seeds, &|| {}).unwrap();
    assert_eq!(s.policies, ["Random", "DotProd", "GpuClustering", "GpuPacking", "BestFit", "FGD"]);
    let table = s.table(&[100, MAX_ARRIVED_PCT]);
    for (policy, paper) in PAPER_DEFAULT {
        for (k, x) in [100, MAX_ARRIVED_PCT].into_iter().enumerate() {
            let r = table.iter().find(|r| r.policy == policy && r.arrived_pct == x).unwrap();
            assert!(
                within(r.unallocated_mean, paper[k]),
                "{policy} at {x}%: capsim {:.2} vs paper {:.2} ({:.2})",
                r.unallocated_mean,
                paper[k].0,
                paper[k].1
            );
        }
    }
    // The paper's ranking at 100 %: Random > DotProd > GpuClustering > GpuPacking > BestFit > FGD.
    let at100: Vec<f64> = PAPER_DEFAULT
        .iter()
        .map(|(p, _)| table.iter().find(|r| r.policy == *p && r.arrived_pct == 100).unwrap().unallocated_mean)
        .collect();
    assert!(at100.windows(2).all(|w| w[0] > w[1]), "{at100:?}");
    // Every run inflates the trace to 130 % of the 6,212 GPUs: about 10.8k pods.
    let c = &s.curves[0][5][0];
    assert!((10_500..11_200).contains(&c.pods), "{} pods", c.pods);
}
