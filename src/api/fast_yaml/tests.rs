//! The fast reader against serde-saphyr's reading: wherever the fast reader answers, it gives
//! the same objects, lines included.

use std::path::{Path, PathBuf};

use super::objects;
use crate::api::yaml::objects_from_str_general;

/// Asserts the fast reader declines `text` or agrees with the general reader; returns whether
/// it answered.
fn agrees(text: &str) -> bool {
    let Some(fast) = objects(text) else { return false };
    let general = objects_from_str_general(text, Path::new("t.yaml"))
        .unwrap_or_else(|e| panic!("fast reader accepted what the general one refuses ({e}):\n{text}"));
    // The general reader buffers a `List`'s `items` written before its `kind` untyped and
    // loses their lines (0); the fast reader has them.
    assert_eq!(fast.len(), general.len(), "{text}");
    for (f, g) in fast.iter().zip(&general) {
        assert_eq!(f.value, g.value, "{text}");
        assert!(f.line == g.line || g.line == 0, "{text}: line {} against {}", f.line, g.line);
    }
    true
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

#[test]
fn every_bundled_yaml_file_reads_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in ["workloads", "tests", "examples", "docs"] {
        yaml_files(&root.join(d), &mut files);
    }
    assert!(files.len() > 20);
    let mut answered = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // Files that are not manifests (scenarios, traces) may fail both ways; only agreement
        // on success matters.
        if objects_from_str_general(&text, f).is_err() {
            assert!(objects(&text).is_none(), "{}: the fast reader accepted a bad file", f.display());
            continue;
        }
        answered += usize::from(agrees(&text));
    }
    assert!(answered * 2 > files.len(), "the fast reader answered only {answered} of {}", files.len());
}

#[test]
fn shapes_and_scalars_read_the_same() {
    let pod = |v: &str| {
        format!(
            "kind: Pod\nmetadata:\n  name: p\n  labels: {{a: {v}}}\n  annotations:\n    b: {v}\nspec:\n  containers:\n  - name: c\n    resources:\n      requests: {{cpu: {v}}}\n"
        )
    };
    for v in [
        "1",
        "0",
        "-1",
        "-0",
        "+1",
        "01",
        "0x1f",
        "0o17",
        "0b1",
        "1e3",
        "1.5",
        ".5",
        "1_000",
        "1:20",
        "10.0.0.1",
        "2026-12-01T10:00:00Z",
        "500m",
        "1Gi",
        "1Ei",
        "true",
        "True",
        "yes",
        "on",
        "n",
        "null",
        "Null",
        "nULL",
        "~",
        "inf",
        "nan",
        ".inf",
        "-.inf",
        ".nan",
        "+.nan",
        "abc",
        "a b",
        "\"1\"",
        "'x''y'",
        "\"a\\\"b\\u00e9\"",
        "é",
        "x:y",
        "http://a/b",
        "99999999999999999999",
    ] {
        agrees(&pod(v));
    }
    for v in ["1", "500m", "abc", "10.0.0.1", "0.5", "\"1\""] {
        assert!(agrees(&pod(v)), "{v}: declined");
    }
    for text in [
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports:\n    - containerPort: 80\n      hostPort: 8080\n",
        "kind: Pod\nmetadata:\n  name: p\n  labels:\n  annotations: {}\nspec: {containers: [{name: c, image: \"x\"}], priority: -5}\n",
        "# lead\n---\n--- \nkind: Pod # c\nmetadata:\n  # inner\n  name: p\n\n---\n",
        "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n-\n  kind: Pod\n  metadata: {name: b}\n# end\nkind: List\nmetadata:\n  resourceVersion: \"\"\n",
        "kind: List\nitems:\n  - kind: Pod\n    metadata: {name: a}\n  - kind: List\n    items:\n    - {kind: Pod, metadata: {name: b}}\n",
        "kind: List\nitems: []\n",
        "kind: List\nitems:\n",
        "kind: ConfigMap\ndata:\n  a: \"1\"\n  b: 2\n  c: [1, x, {d: e}]\n",
        "kind: Service\nspec:\n  clusterIP: 10.96.0.1\n  ports:\n  - port: 80\n",
        "kind: Pod\nspec:\n  nodeSelecter: {a: b}\n",
        "kind: Pod\nspec:\n  priority: x\n",
        "kind: Pod\nmetadata: {name: a, name: b}\n",
        "kind: Pod\nmetadata:\n  name: &a x\n",
        "kind: Pod\nmetadata:\n  name: |\n    x\n",
        "kind: Pod\nmetadata:\n  name: a\n    b\n",
        "kind: Node\nstatus:\n  capacity: {cpu: 0.5, pods: 32, memory: 1Gi}\n",
        "apiVersion: v1\nkind: Node\nspec:\n  unschedulable: true\n  taints:\n  - {key: k, effect: NoSchedule}\n",
    ] {
        agrees(text);
    }
}

#[test]
fn a_big_list_reads_in_parallel_with_its_lines() {
    let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..3000 {
        text.push_str(&format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n  spec:\n    containers:\n    - name: c\n      resources:\n        requests: {{cpu: 100m}}\n"
        ));
    }
    assert!(agrees(&text));
    let objs = objects(&text).unwrap();
    assert_eq!(objs.len(), 3000);
    assert_eq!(objs[2999].line, 4 + 2999 * 9);
}
