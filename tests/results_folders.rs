//! Results folders are never lost or overwritten by mistake: the `.capsim-results` marker and
//! `--out`'s refusals, the clean-up after SIGINT/SIGTERM and of stale temporary folders, and
//! `repro fgd`'s folder per trace set.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use capsim::experiment::fgd::{PAPER_TRACES, default_out, study_kind};
use capsim::report::{MARKER, check_replaceable, write_folder};

const NODES: &str = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  allocatable:\n    cpu: \"4\"\n    memory: 8Gi\n    pods: \"110\"\n";
const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\np0,1000,1024,0,0,,LS,Running,0,10,0\n";
const SCENARIO: &str = "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: scratch\nspec:\n  cluster:\n    nodes:\n      - manifest: {path: nodes.yaml}\n  workload:\n    - trace: {format: alibaba-openb, path: pods.csv}\n";

/// A temporary folder with a one-node, one-pod scenario.
fn scratch() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("nodes.yaml"), NODES).unwrap();
    std::fs::write(d.path().join("pods.csv"), PODS).unwrap();
    std::fs::write(d.path().join("scenario.yaml"), SCENARIO).unwrap();
    d
}

fn run_into(dir: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["run", dir.join("scenario.yaml").to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .output()
        .expect("capsim runs")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_results_folder_carries_the_marker_and_is_replaced_only_while_it_holds_nothing_else() {
    let d = scratch();
    let out = d.path().join("out");
    assert!(run_into(d.path(), &out).status.success());
    let marker = std::fs::read_to_string(out.join(MARKER)).unwrap();
    assert!(marker.contains("kind run\n") && marker.contains("entry pods.csv\n"), "{marker}");
    // Run again over it: accepted.
    assert!(run_into(d.path(), &out).status.success());

    // A file added by hand makes it the user's: refused, and nothing is touched.
    std::fs::write(out.join("my-notes.txt"), "keep me").unwrap();
    let o = run_into(d.path(), &out);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("my-notes.txt") && err.contains("did not write"), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("my-notes.txt")).unwrap(), "keep me");
    std::fs::remove_file(out.join("my-notes.txt")).unwrap();

    // A folder that merely holds files named like results (an older capsim's, or a user's) is
    // refused with a hint.
    std::fs::remove_file(out.join(MARKER)).unwrap();
    let o = run_into(d.path(), &out);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a capsim results folder") && err.contains("delete it by hand"), "{err}");
    assert!(out.join("pods.csv").is_file());
    assert!(!names(d.path()).iter().any(|n| n.starts_with(".tmp")));
}

#[test]
fn a_folder_of_another_kind_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("study");
    write_folder(&out, "compare", |tmp| {
        std::fs::write(tmp.join("compare.csv"), "x\n")
            .map_err(|e| capsim::error::SimError::Output { path: tmp.to_path_buf(), message: e.to_string() })
    })
    .unwrap();
    assert!(check_replaceable(&out, "compare").is_ok());
    let e = check_replaceable(&out, "run").unwrap_err().to_string();
    assert!(e.contains("another kind"), "{e}");
}

#[test]
fn repro_fgd_never_replaces_a_study_of_other_traces() {
    let default = vec!["default".to_string()];
    let paper: Vec<String> = PAPER_TRACES.iter().map(|t| t.to_string()).collect();
    // The README's command and `--traces paper` write to different folders; the committed
    // study is the paper's.
    assert_eq!(default_out(&default), PathBuf::from("results/fgd/default"));
    assert_eq!(default_out(&paper), PathBuf::from("results/fgd/paper"));
    assert!(check_replaceable(Path::new("results/fgd/paper"), &study_kind(&paper)).is_ok());
    assert!(check_replaceable(Path::new("results/fgd/paper"), &study_kind(&default)).is_err());
    // `--out` naming a study of other traces is refused.
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("fgd");
    write_folder(&out, &study_kind(&paper), |_| Ok(())).unwrap();
    let e = check_replaceable(&out, &study_kind(&default)).unwrap_err().to_string();
    assert!(e.contains("another kind") && e.contains("traces default,gpushare40"), "{e}");
}

/// `capsim run` interrupted while it writes its folder (held there by the test hook) leaves
/// nothing behind and exits with 128 + the signal.
#[test]
fn an_interrupted_write_leaves_nothing() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let d = scratch();
        let out = d.path().join("out");
        let mut child = Command::new(env!("CARGO_BIN_EXE_capsim"))
            .args(["run", d.path().join("scenario.yaml").to_str().unwrap(), "--quiet", "--out"])
            .arg(&out)
            .env("CAPSIM_TEST_PAUSE_WRITE_MS", "60000")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let tmp = d.path().join(format!(".tmp-out-{}", child.id()));
        let started = std::time::Instant::now();
        while !tmp.join(MARKER).exists() {
            assert!(started.elapsed().as_secs() < 60, "the write never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // SAFETY: signalling our own child process.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code));
        assert_eq!(names(d.path()), ["nodes.yaml", "pods.csv", "scenario.yaml"]);
    }
}

/// A temporary folder left by a process that is gone is swept by the next write beside it; one
/// of a live process, or one capsim did not mark, is left alone.
#[test]
fn stale_temporary_folders_of_dead_processes_are_swept() {
    let d = scratch();
    let mut dead = Command::new("true").spawn().unwrap();
    dead.wait().unwrap();
    let stale = d.path().join(format!(".tmp-old-{}", dead.id()));
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join(MARKER), "").unwrap();
    std::fs::write(stale.join("pods.csv"), "half").unwrap();
    let foreign = d.path().join(format!(".tmp-mine-{}", dead.id()));
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("mine.txt"), "keep").unwrap();
    let live = d.path().join(format!(".tmp-live-{}", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join(MARKER), "").unwrap();
    assert!(run_into(d.path(), &d.path().join("out")).status.success());
    assert!(!stale.exists());
    assert!(foreign.join("mine.txt").exists() && live.exists());
}
