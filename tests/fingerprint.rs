//! "Nothing changes": a fingerprint of every output of every bundled scenario and of the README's
//! examples, compared with `tests/fingerprints.txt`.
//!
//! Slow (about four minutes in a release build), so it is ignored by the default `cargo test`;
//! `.ci/run` runs it with `--ignored`. Refactors that must not change what capsim computes keep it
//! green. A change that *means* to change an output re-records the file and says why in its commit:
//!
//! ```sh
//! CAPSIM_RECORD_FINGERPRINTS=1 cargo test --release --test fingerprint -- --ignored
//! ```
//!
//! What is fingerprinted: every file of every results folder except `timing.csv` (JSON files
//! re-serialized, without a `timing` object if one is there); the standard output of `schedule` and `explain`; and the placement
//! hashes of `capsim bench --scale 0.05`. Wall-clock figures are the only things left out.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const RECORD_ENV: &str = "CAPSIM_RECORD_FINGERPRINTS";
const FINGERPRINTS: &str = "tests/fingerprints.txt";

/// FNV-1a, 64 bits: stable across platforms and releases (the value is committed).
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Runs capsim; panics with its stderr when it fails.
fn capsim(args: &[&str]) -> Vec<u8> {
    let o = Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).output().expect("capsim runs");
    assert!(o.status.success(), "capsim {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// The bytes of an output file with wall-clock figures removed (`None`: not fingerprinted).
fn deterministic_bytes(path: &Path) -> Option<Vec<u8>> {
    let name = path.file_name()?.to_str()?;
    if name == "timing.csv" {
        return None;
    }
    let bytes = std::fs::read(path).unwrap();
    if name.ends_with(".json") {
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        if let Some(o) = v.as_object_mut() {
            o.remove("timing");
        }
        return Some(serde_json::to_vec(&v).unwrap());
    }
    Some(bytes)
}

/// Adds every file under `dir` (recursively, in name order) as `label/relative-path`.
fn add_folder(out: &mut BTreeMap<String, u64>, label: &str, dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Some(bytes) = deterministic_bytes(&p) {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(format!("{label}/{rel}"), fnv64(&bytes));
            }
        }
    }
}

/// The placement hash of each `capsim bench` row (workload, profile).
fn bench_hashes(out: &mut BTreeMap<String, u64>, csv_path: &Path) {
    let mut r = csv::Reader::from_path(csv_path).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap_or_else(|| panic!("no column {n}"));
    let (w, p, h) = (col("workload"), col("profile"), col("placement_hash"));
    for row in r.records() {
        let row = row.unwrap();
        let hash = u64::from_str_radix(&row[h], 16).unwrap();
        out.insert(format!("bench/{}/{}", &row[w], &row[p]), hash);
    }
}

fn fingerprints(tmp: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut scenarios: Vec<_> = std::fs::read_dir("workloads")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        // The 10,000,000-pod week takes minutes: it is a benchmark (`capsim bench --workloads
        // SyntheticWeek10M`), not part of the fingerprinted outputs.
        .filter(|p| !p.ends_with("synthetic-week.yaml"))
        .collect();
    scenarios.sort();
    for sc in &scenarios {
        let stem = sc.file_stem().unwrap().to_string_lossy().to_string();
        let dir = tmp.join(format!("run-{stem}"));
        capsim(&["run", sc.to_str().unwrap(), "--quiet", "--out", dir.to_str().unwrap()]);
        add_folder(&mut out, &format!("run/{stem}"), &dir);
    }
    let dir = tmp.join("compare");
    capsim(&[
        "compare",
        "workloads/openb-profiles.yaml",
        "--profiles",
        "least-allocated,most-allocated",
        "--seeds",
        "16",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    add_folder(&mut out, "compare/openb-profiles", &dir);
    // The README's compare showcase: a loaded cluster where the two profiles differ.
    let dir = tmp.join("compare-least-vs-most-allocated");
    capsim(&[
        "compare",
        "workloads/least-vs-most-allocated.yaml",
        "--profiles",
        "least-allocated,most-allocated",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    add_folder(&mut out, "compare/least-vs-most-allocated", &dir);
    for (label, sc, types, slo, seeds) in [
        (
            "plan/plan-small",
            "workloads/plan-small.yaml",
            "workloads/plan/node-types.yaml",
            "never_ran==0,p99_pending<=30s",
            None,
        ),
        (
            "plan/openb-plan",
            "workloads/openb-plan.yaml",
            "workloads/plan/openb-node-types.yaml",
            "never_ran==0,p99_pending<=1h",
            Some("2"),
        ),
    ] {
        let dir = tmp.join(label.replace('/', "-"));
        let mut args =
            vec!["plan", sc, "--node-types", types, "--slo", slo, "--quiet", "--out", dir.to_str().unwrap()];
        if let Some(s) = seeds {
            args.extend(["--seeds", s]);
        }
        capsim(&args);
        add_folder(&mut out, label, &dir);
    }
    let stdout =
        capsim(&["schedule", "tests/conformance/oracle/taints-tolerations-all-effects/scenario.yaml"]);
    out.insert("schedule/taints-tolerations-all-effects".into(), fnv64(&stdout));
    let stdout = capsim(&[
        "explain",
        "workloads/openb-default.yaml",
        "--pod",
        "default/openb-pod-0100",
        "--at",
        "10021257s",
        "--top",
        "5",
    ]);
    out.insert("explain/openb-pod-0100".into(), fnv64(&stdout));
    let dir = tmp.join("fgd");
    capsim(&["repro", "fgd", "--traces", "default", "--quiet", "--out", dir.to_str().unwrap()]);
    add_folder(&mut out, "repro-fgd/default", &dir);
    let csv_path = tmp.join("bench.csv");
    capsim(&["bench", "--scale", "0.05", "--repeat", "1", "--save", csv_path.to_str().unwrap()]);
    bench_hashes(&mut out, &csv_path);
    out
}

#[test]
#[ignore = "slow (minutes): run by .ci/run with --ignored"]
fn every_bundled_output_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let got = fingerprints(tmp.path());
    let text: String = got.iter().map(|(k, v)| format!("{v:016x} {k}\n")).collect();
    if std::env::var_os(RECORD_ENV).is_some() {
        std::fs::write(FINGERPRINTS, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(FINGERPRINTS).unwrap();
    let want: BTreeMap<&str, &str> =
        want.lines().filter_map(|l| l.split_once(' ')).map(|(h, k)| (k, h)).collect();
    let mut diffs = Vec::new();
    for (k, h) in &want {
        match got.get(*k) {
            None => diffs.push(format!("missing: {k}")),
            Some(g) if format!("{g:016x}") != *h => diffs.push(format!("changed: {k}")),
            Some(_) => {}
        }
    }
    for k in got.keys().filter(|k| !want.contains_key(k.as_str())) {
        diffs.push(format!("new: {k}"));
    }
    assert!(diffs.is_empty(), "{} of {} outputs differ:\n{}", diffs.len(), want.len(), diffs.join("\n"));
    assert!(want.len() > 100, "only {} fingerprints recorded", want.len());
}
