//! The fast reader against serde-saphyr's reading: wherever the fast reader answers, it gives
//! the same objects, lines included.

use std::path::{Path, PathBuf};

use super::{objects, piece_at};
use crate::api::objects::KubeObject;
use crate::api::yaml::{objects_from_str, objects_from_str_general};

/// Asserts the fast reader declines `text` or agrees with the general reader; returns whether
/// it answered.
fn agrees(text: &str) -> bool {
    let Some(fast) = objects(text) else { return false };
    let general = objects_from_str_general(text, Path::new("t.yaml"))
        .unwrap_or_else(|e| panic!("fast reader accepted what the general one refuses ({e}):\n{text}"));
    assert_eq!(fast.len(), general.len(), "{text}");
    for (f, g) in fast.iter().zip(&general) {
        assert_eq!(f.value, g.value, "{text}");
        assert_eq!(f.line, g.line, "{text}");
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

#[test]
fn a_document_or_item_the_fast_reader_declines_is_read_alone_with_its_lines() {
    let item = |i: usize| format!("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n");
    let mut text = String::from("apiVersion: v1\nitems:\n");
    for i in 0..40 {
        text.push_str(&item(i));
    }
    // Item 17 holds a block scalar (not for the fast reader), item 30 an anchor and alias.
    text = text.replace(
        "    name: p17\n",
        "    name: p17\n    annotations:\n      note: |\n        two\n        lines\n",
    );
    text = text.replace("    name: p30\n", "    name: &n p30\n    labels: {a: *n}\n");
    text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    assert!(objects(&text).is_none());
    let objs = objects_from_str(&text, Path::new("t.yaml")).unwrap();
    assert_eq!(objs, objects_from_str_general(&text, Path::new("t.yaml")).unwrap());
    assert_eq!(objs.len(), 40);
    let line = |i: usize| 3 + 4 * i + if i > 17 { 4 } else { 0 } + if i > 30 { 1 } else { 0 };
    for (i, o) in objs.iter().enumerate() {
        let KubeObject::Pod(p) = &o.value else { panic!("{o:?}") };
        assert_eq!((p.metadata.name.as_str(), o.line), (format!("p{i}").as_str(), line(i)));
    }
    let KubeObject::Pod(p) = &objs[17].value else { panic!() };
    assert_eq!(p.metadata.annotations["note"], "two\nlines\n");
    let KubeObject::Pod(p) = &objs[30].value else { panic!() };
    assert_eq!(p.metadata.labels["a"], "p30");
    // The same with the items indented under `items:`.
    let mut inside = false;
    let indented: String = text
        .lines()
        .map(|l| {
            inside &= l != "kind: List";
            let out = if inside { format!("  {l}\n") } else { format!("{l}\n") };
            inside |= l == "items:";
            out
        })
        .collect();
    assert!(indented.contains("\n  - apiVersion: v1\n    kind: Pod\n"));
    let read = objects_from_str(&indented, Path::new("t.yaml")).unwrap();
    assert_eq!(read, objects_from_str_general(&indented, Path::new("t.yaml")).unwrap());
    assert_eq!(
        read.iter().map(|o| o.line).collect::<Vec<_>>(),
        objs.iter().map(|o| o.line).collect::<Vec<_>>()
    );
    // A document it declines, among others.
    let docs =
        format!("{}---\n{}---\n# c\n{}", item(0), item(1), item(2)).replace("- ", "").replace("\n  ", "\n");
    let docs = docs.replace("name: p1\n", "name: p1\n  annotations:\n    note: >-\n      folded\n");
    assert!(objects(&docs).is_none());
    let objs = objects_from_str(&docs, Path::new("t.yaml")).unwrap();
    assert_eq!(objs, objects_from_str_general(&docs, Path::new("t.yaml")).unwrap());
    assert_eq!(objs.iter().map(|o| o.line).collect::<Vec<_>>(), [1, 6, 15]);
    // The pieces a line is in: an item, or the document around the items.
    let at = |l: u32| piece_at(&text, l).map(|(s, e, first)| (&text[s..e], first));
    assert_eq!(at(line(5) as u32 + 2), Some((item(5).as_str(), line(5) as u32)));
    assert_eq!(at(1).map(|(t, first)| (t.len(), first)), Some((text.len(), 1)));
}
