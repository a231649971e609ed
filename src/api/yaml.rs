//! The one wrapper around serde-saphyr: multi-document manifest files and single typed documents,
//! with errors that name the file, the 1-based line and the field path.
//!
//! Limits: the files are local and trusted, so serde-saphyr's budget (by default 1,024 documents,
//! 250k nodes, 1M events per stream) is switched off; a 100k-document file or a `kubectl get -o
//! yaml` List of 100k pods parses. Every error is returned; nothing is skipped or flattened away.

use std::cell::{Cell, RefCell};
use std::path::Path;

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_path_to_error::{Path as SerdePath, Segment};
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

use super::fast_yaml::Piece;
use super::objects::KubeObject;
use super::spans::Tree;
use crate::error::InputError;

/// A value together with the 1-based line of the file where it starts (0 when unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// 1-based line where the document (or `List` item) starts.
    pub line: usize,
    /// The value.
    pub value: T,
}

/// Reads every object of the multi-document YAML (or JSON) file at `path`, in file order.
///
/// Empty and `null` documents are skipped. `List` documents (and `NodeList`, `PodList`, ...) are
/// replaced by their items, each located at its own line.
///
/// # Errors
/// [`InputError::Io`] when the file cannot be read; [`InputError::Syntax`] for malformed YAML or a
/// document that is not an object; [`InputError::Field`] for a field of the wrong type (with the
/// field path, e.g. `spec.containers[0].resources.requests.cpu`). The first error in the file is
/// reported.
pub fn read_objects(path: &Path) -> Result<Vec<Located<KubeObject>>, InputError> {
    let text = super::input::read_text(path)?;
    objects_from_str(&text, path)
}

/// Like [`read_objects`], for text already in memory; `path` is only used in errors.
///
/// # Errors
/// As [`read_objects`], without `Io`.
pub fn objects_from_str(text: &str, path: &Path) -> Result<Vec<Located<KubeObject>>, InputError> {
    // Most manifests (and every `kubectl get -o yaml` dump) take the fast reader; a document or
    // `List` item it does not handle (or that holds an error) is read here on its own.
    let general = |piece: Piece<'_>| read_general(piece.text, path, piece.line - 1, piece.item);
    match super::fast_yaml::objects_with(text, &general) {
        Some(read) => read,
        None => objects_from_str_general(text, path),
    }
}

/// [`objects_from_str`] through serde-saphyr, parsing twice: typed, and untyped with spans for
/// the strict field check and the lines of errors. The reference the fast reader is tested
/// against.
///
/// # Errors
/// As [`objects_from_str`].
pub fn objects_from_str_general(text: &str, path: &Path) -> Result<Vec<Located<KubeObject>>, InputError> {
    read_general(text, path, 0, None)
}

/// A typed reading's error, and where its line must come from.
struct TypedError {
    error: InputError,
    /// The document whose untyped tree places the error (its field path, as read), when
    /// serde-saphyr's own location is unknown or stale (a value buffered before `kind`).
    locate: Option<(usize, String)>,
}

/// Reads `text` with serde-saphyr: a file, one document of it, or (`item`: its index) the text
/// of one item of a root `List`'s `items:` (`- ...`); every line is shifted by `shift`, the
/// lines above the text in the file.
///
/// # Errors
/// As [`objects_from_str`]; a typed error comes before an unknown field.
fn read_general(
    text: &str,
    path: &Path,
    shift: u32,
    item: Option<usize>,
) -> Result<Vec<Located<KubeObject>>, InputError> {
    // The typed parse, and the untyped one with spans (for the strict field validation
    // `kubectl --validate=strict` asks of the API server, and for the lines of errors), run
    // side by side: each parse is most of a big file's load time.
    let (typed, untyped) = rayon::join(
        || -> Result<Vec<Located<KubeObject>>, TypedError> {
            start_tracking();
            let read = match item {
                None => {
                    serde_saphyr::from_multiple_with_options::<Spanned<Tracked<KubeObject>>>(text, options())
                        .map(|docs| docs.into_iter().map(|d| located(d.referenced, d.value.0)).collect())
                }
                Some(_) => {
                    serde_saphyr::from_str_with_options::<Tracked<Vec<Spanned<KubeObject>>>>(text, options())
                        .map(|t| t.0.into_iter().map(|d| located(d.referenced, d.value)).collect())
                }
            };
            read.map_err(|e| typed_error(&e, path, shift, item))
        },
        || -> Result<Vec<Tree>, InputError> {
            let mut docs = super::spans::documents(text).map_err(|e| to_input_error(&e, path, shift))?;
            docs.iter_mut().for_each(|d| d.shift(shift));
            Ok(docs)
        },
    );
    let docs = match typed {
        Ok(docs) => docs,
        Err(TypedError { mut error, locate }) => {
            // The typed parse stops at the first value of the wrong type, which may come
            // before a syntax error that explains it (`seed: [1` with the `]` missing).
            let trees = untyped?;
            if let Some((doc, field)) = locate
                && let Some(tree) = trees.get(doc)
                && let InputError::Field { line, .. } | InputError::Syntax { line, .. } = &mut error
            {
                *line = tree.line_of(&field) as usize;
            }
            return Err(error);
        }
    };
    let trees = untyped?;
    // A `List` item is read as a sequence of one.
    let trees: &[Tree] = match item {
        None => &trees,
        Some(_) => trees.first().and_then(Tree::as_seq).unwrap_or(&[]),
    };
    super::strict_fields::check_documents(trees, path)?;
    let mut out = Vec::with_capacity(docs.len());
    let aligned = docs.len() == trees.len();
    for (i, mut doc) in docs.into_iter().enumerate() {
        doc.line = shifted(doc.line, shift);
        if aligned {
            fill_lines(&mut doc, &trees[i], shift);
        }
        push_expanded(&mut out, doc);
    }
    Ok(out)
}

/// A value at serde-saphyr's location (line 0 when unknown).
fn located<T>(at: serde_saphyr::Location, value: T) -> Located<T> {
    Located { line: at.line() as usize, value }
}

fn shifted(line: usize, shift: u32) -> usize {
    if line == 0 { 0 } else { line + shift as usize }
}

/// Shifts the lines of a `List`'s items (at any depth) by `shift`; the items serde-saphyr could
/// not place (written before the `List`'s `kind`, so read through a buffer) take their line
/// from the untyped `tree`.
fn fill_lines(obj: &mut Located<KubeObject>, tree: &Tree, shift: u32) {
    if obj.line == 0 {
        obj.line = tree.line as usize;
    }
    if let KubeObject::List(items) = &mut obj.value {
        let trees = tree.get("items").and_then(Tree::as_seq).unwrap_or(&[]);
        for (i, item) in items.iter_mut().enumerate() {
            item.line = shifted(item.line, shift);
            if let Some(t) = trees.get(i) {
                fill_lines(item, t, shift);
            }
        }
    }
}

/// Deserializes a single YAML (or JSON) document into `T` (scenario files, configs).
///
/// # Errors
/// [`InputError::Syntax`] for malformed YAML, more than one document, or a wrong shape at the
/// root; [`InputError::Field`] for a field of the wrong type, with its path and line.
pub fn from_str_typed<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, InputError> {
    start_tracking();
    serde_saphyr::from_str_with_options::<Tracked<T>>(text, options()).map(|t| t.0).map_err(|e| {
        // A syntax error further on explains a wrong type met first (see `read_general`).
        if let Err(syntax) = super::spans::documents(text) {
            return to_input_error(&syntax, path, 0);
        }
        let TypedError { mut error, locate } = typed_error(&e, path, 0, None);
        if let Some((_, field)) = locate
            && let InputError::Field { line, .. } | InputError::Syntax { line, .. } = &mut error
        {
            *line = super::spans::field_line(text, 0, &field);
        }
        error
    })
}

/// Appends `obj` to `out`, replacing (nested) lists by their items.
fn push_expanded(out: &mut Vec<Located<KubeObject>>, obj: Located<KubeObject>) {
    match obj.value {
        KubeObject::List(items) => {
            for item in items {
                push_expanded(out, item);
            }
        }
        _ => out.push(obj),
    }
}

/// serde-saphyr options for local, trusted files: no budget, no snippets in messages.
pub(crate) fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: None,
        with_snippet: false,
    }
}

thread_local! {
    /// Field path of the last failed [`Tracked`] deserialization on this thread.
    static ERROR_PATH: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Path (below the object) of the last error in a value an object buffered before its
    /// `kind` ([`note_buffered_error`]).
    static BUFFERED_PATH: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Documents [`Tracked`] began on this thread since [`start_tracking`].
    static DOCUMENTS: Cell<usize> = const { Cell::new(0) };
}

/// Clears this thread's error tracking before a typed parse.
fn start_tracking() {
    ERROR_PATH.with(|p| p.borrow_mut().take());
    BUFFERED_PATH.with(|p| p.borrow_mut().take());
    DOCUMENTS.with(|d| d.set(0));
}

/// Records that the value of `key`, buffered by an object read before its `kind` and then
/// replayed, failed at `path` below it (serde-saphyr's location is then not the value's).
pub(crate) fn note_buffered_error(key: &str, path: &SerdePath) {
    let below = format_path(path);
    let field = if below.is_empty() || below.starts_with('[') {
        format!("{key}{below}")
    } else {
        format!("{key}.{below}")
    };
    BUFFERED_PATH.with(|p| *p.borrow_mut() = Some(field));
}

/// Deserializes `T` through `serde_path_to_error`. serde-saphyr's entry points only accept
/// `Deserialize` types, so the failing field path is handed back through [`ERROR_PATH`] while
/// the error itself (with its location) travels the normal way.
struct Tracked<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tracked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DOCUMENTS.with(|d| d.set(d.get() + 1));
        match serde_path_to_error::deserialize(deserializer) {
            Ok(v) => Ok(Tracked(v)),
            Err(e) => {
                let field = format_path(e.path());
                ERROR_PATH.with(|p| *p.borrow_mut() = Some(field));
                Err(e.into_inner())
            }
        }
    }
}

/// Formats a serde path as `spec.containers[0].resources.requests.cpu`.
///
/// `List` items are read as `Spanned<KubeObject>`, whose synthetic `value` key shows up right after
/// `items[N]` (or a root `[N]`, a `List` item read on its own); it is dropped so item paths read
/// `items[3].spec...`.
fn format_path(path: &SerdePath) -> String {
    let mut out = String::new();
    // 0: at an object's root; 1: after a root `items` key; 2: after `items[N]`; 3: elsewhere.
    let mut state = 0u8;
    for seg in path.iter() {
        let (text, is_index) = match seg {
            Segment::Seq { index } => (format!("[{index}]"), true),
            Segment::Map { key } => (key.clone(), false),
            Segment::Enum { variant } => (variant.clone(), false),
            // A key that failed to parse: the path up to its mapping is the useful part.
            Segment::Unknown => continue,
        };
        state = match (state, seg) {
            (0, Segment::Map { key }) if key == "items" => 1,
            (0 | 1, Segment::Seq { .. }) => 2,
            (2, Segment::Map { key }) if key == "value" || key.starts_with("__serde_saphyr") => {
                state = 0;
                continue;
            }
            _ => 3,
        };
        if !is_index && !out.is_empty() {
            out.push('.');
        }
        out.push_str(&text);
    }
    out
}

/// Maps a typed reading's serde-saphyr error (and the field path recorded for it, if any) to
/// an [`InputError`], lines shifted by `shift`; for `item`, the text was a `List` item (`[0]`
/// is `items[item]`).
fn typed_error(err: &serde_saphyr::Error, path: &Path, shift: u32, item: Option<usize>) -> TypedError {
    let outer = ERROR_PATH.with(|p| p.borrow_mut().take()).unwrap_or_default();
    let buffered = BUFFERED_PATH.with(|p| p.borrow_mut().take());
    let doc = DOCUMENTS.with(Cell::get).saturating_sub(1);
    let read_field = match &buffered {
        None => outer,
        Some(b) if outer.is_empty() => b.clone(),
        Some(b) if b.starts_with('[') => format!("{outer}{b}"),
        Some(b) => format!("{outer}.{b}"),
    };
    let field = match item {
        Some(i) => match read_field.strip_prefix("[0]") {
            Some(rest) => format!("items[{i}]{rest}"),
            None => read_field.clone(),
        },
        None => read_field.clone(),
    };
    let error = input_error(err, path, shift, field);
    let unknown = matches!(&error, InputError::Field { line: 0, .. } | InputError::Syntax { line: 0, .. });
    let locate = (buffered.is_some() || unknown).then_some((doc, read_field));
    TypedError { error, locate }
}

/// Maps a serde-saphyr error with no field path (an untyped reading) to an [`InputError`].
fn to_input_error(err: &serde_saphyr::Error, path: &Path, shift: u32) -> InputError {
    input_error(err, path, shift, String::new())
}

/// Maps a serde-saphyr error about `field` (empty when unknown) to an [`InputError`] at
/// serde-saphyr's line (shifted by `shift`; 0 when unknown).
fn input_error(err: &serde_saphyr::Error, path: &Path, shift: u32, field: String) -> InputError {
    let line = shifted(err.location().map(|l| l.line() as usize).unwrap_or(0), shift);
    let inner = err.without_snippet();
    let message: String = friendly_message(inner)
        .unwrap_or_else(|| UserMessageFormatter.format_message(inner).into_owned())
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let is_value_error = matches!(
        inner,
        serde_saphyr::Error::Message { .. }
            | serde_saphyr::Error::Unexpected { .. }
            | serde_saphyr::Error::SerdeInvalidType { .. }
            | serde_saphyr::Error::SerdeInvalidValue { .. }
            | serde_saphyr::Error::SerdeInvalidLength { .. }
            | serde_saphyr::Error::SerdeUnknownVariant { .. }
            | serde_saphyr::Error::SerdeMissingField { .. }
            | serde_saphyr::Error::InvalidScalar { .. }
            | serde_saphyr::Error::NullIntoString { .. }
            | serde_saphyr::Error::InvalidBooleanStrict { .. }
    );
    if message.starts_with("unknown field `") && !field.is_empty() {
        // A type decoded strictly (`deny_unknown_fields`): worded as apimachinery's strict
        // decoder words it, with the whole path of the unknown key.
        let message = format!("strict decoding error: unknown field \"{field}\"");
        return InputError::Field { path: path.to_path_buf(), line, field, message };
    }
    if is_value_error && !field.is_empty() {
        InputError::Field { path: path.to_path_buf(), line, field, message }
    } else if !field.is_empty() {
        InputError::Syntax { path: path.to_path_buf(), line, message: format!("{message} (in `{field}`)") }
    } else {
        InputError::Syntax { path: path.to_path_buf(), line, message }
    }
}

/// Clearer wording for serde-saphyr's terse shape errors ("expected sequence start").
fn friendly_message(err: &serde_saphyr::Error) -> Option<String> {
    match err {
        serde_saphyr::Error::Unexpected { expected, .. } => Some(match *expected {
            "sequence start" => "expected a list (YAML sequence)".to_string(),
            "mapping start" => "expected a mapping (`key: value` entries)".to_string(),
            "string scalar" => "expected a string".to_string(),
            other => format!("expected {other}"),
        }),
        serde_saphyr::Error::InvalidScalar { ty, .. } => Some(match *ty {
            "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "isize"
            | "usize" => {
                format!("expected an integer ({ty})")
            }
            "f32" | "f64" | "floating point" => "expected a number".to_string(),
            "bool" | "boolean" => "expected true or false".to_string(),
            other => format!("expected {other}"),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::objects::Node;

    fn p() -> &'static Path {
        Path::new("test.yaml")
    }

    const MIXED: &str = "\
# a node, a pod, and a List of two pods
apiVersion: v1
kind: Node
metadata:
  name: n1
status:
  capacity:
    cpu: 1
    memory: 4Gi
    pods: 32
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
spec:
  containers:
  - name: c
    image: nginx
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: p2
- apiVersion: v1
  kind: Pod
  metadata:
    name: p3
    namespace: ns
";

    #[test]
    fn multi_document_file_with_list_gives_located_objects() {
        let objs = objects_from_str(MIXED, p()).unwrap();
        assert_eq!(objs.len(), 4);
        let lines: Vec<usize> = objs.iter().map(|o| o.line).collect();
        assert_eq!(lines, vec![2, 12, 24, 28]);
        let kinds: Vec<&str> = objs.iter().map(|o| o.value.kind()).collect();
        assert_eq!(kinds, vec!["Node", "Pod", "Pod", "Pod"]);
        let KubeObject::Node(n) = &objs[0].value else { panic!() };
        assert_eq!(n.status.capacity["cpu"], "1");
        assert_eq!(n.status.capacity["pods"], "32");
        assert_eq!(n.status.allocatable, None);
        let KubeObject::Pod(p3) = &objs[3].value else { panic!() };
        assert_eq!(p3.metadata.name, "p3");
        assert_eq!(p3.metadata.namespace, "ns");
        assert_eq!(p3.api_version, "v1");
    }

    #[test]
    fn integer_and_float_quantities_are_accepted() {
        let n: Node = from_str_typed(
            "kind: Node\nstatus:\n  capacity: {cpu: 1, memory: \"1Gi\", pods: 32}\n  allocatable:\n    cpu: 0.5\n",
            p(),
        )
        .unwrap();
        assert_eq!(n.status.capacity["cpu"], "1");
        assert_eq!(n.status.allocatable.unwrap()["cpu"], "0.5");
    }

    #[test]
    fn wrong_type_is_an_error_with_line_and_field() {
        let text = "apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: 5\n";
        let err = objects_from_str(text, p()).unwrap_err();
        match &err {
            InputError::Field { line, field, .. } => {
                assert_eq!(*line, 10);
                assert_eq!(field, "spec.containers");
            }
            other => panic!("unexpected {other:?}"),
        }
        let shown = err.to_string();
        assert!(shown.contains("test.yaml:10"), "{shown}");
        assert!(shown.contains("containers"), "{shown}");
    }

    #[test]
    fn wrong_type_inside_list_item_names_the_item() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  spec:\n    containers:\n    - name: c\n      resources:\n        requests:\n          cpu: [1]\n";
        let err = objects_from_str(text, p()).unwrap_err();
        match err {
            InputError::Field { line, field, .. } => {
                assert_eq!(line, 10);
                assert_eq!(field, "items[0].spec.containers[0].resources.requests.cpu");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn non_numeric_integer_field_is_an_error() {
        let err = from_str_typed::<KubeObject>("kind: Pod\nspec:\n  priority: abc\n", p()).unwrap_err();
        match err {
            InputError::Field { line, field, .. } => {
                assert_eq!(line, 3);
                assert_eq!(field, "spec.priority");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn syntax_error_names_the_line() {
        let err = objects_from_str("kind: Pod\nmetadata:\n  name: [a\n", p()).unwrap_err();
        assert!(
            matches!(err, InputError::Syntax { line, .. } | InputError::Field { line, .. } if line >= 3),
            "{err:?}"
        );
    }

    #[test]
    fn kind_after_other_keys_and_other_kinds() {
        let text = "metadata:\n  name: p\n  labels: {app: web}\nkind: Pod\napiVersion: v1\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n---\nkind: ConfigMap\napiVersion: v1\ndata: {a: b}\n";
        let objs = objects_from_str(text, p()).unwrap();
        assert_eq!(objs.len(), 3);
        let KubeObject::Pod(pod) = &objs[0].value else { panic!() };
        assert_eq!(pod.metadata.name, "p");
        assert_eq!(pod.metadata.labels["app"], "web");
        assert_eq!(pod.api_version, "v1");
        match &objs[1].value {
            KubeObject::Deployment(d) => assert_eq!(d.spec.replicas, Some(3)),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(objs[1].line, 7);
        match &objs[2].value {
            KubeObject::Other { api_version, kind, value } => {
                assert_eq!((api_version.as_str(), kind.as_str()), ("v1", "ConfigMap"));
                assert_eq!(value["data"]["a"], "b");
                assert_eq!(value["kind"], "ConfigMap");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn nulls_and_empty_documents_are_tolerated() {
        let text = "---\n# nothing\n---\nkind: Pod\nmetadata:\n  name: p\n  labels:\n  creationTimestamp: null\nspec:\n  containers:\n  - name: c\n    resources: {}\n  nodeSelector: null\n---\n";
        let objs = objects_from_str(text, p()).unwrap();
        assert_eq!(objs.len(), 1);
        assert_eq!(objs[0].line, 4);
    }

    #[test]
    fn missing_kind_is_an_error() {
        let err = objects_from_str("apiVersion: v1\nmetadata: {name: x}\n", p()).unwrap_err();
        assert!(err.to_string().contains("kind"), "{err}");
    }

    #[test]
    fn two_thousand_documents_parse() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n  - name: c\n    resources:\n      requests: {{cpu: 100m, memory: 1Gi}}\n"
            ));
        }
        let objs = objects_from_str(&text, p()).unwrap();
        assert_eq!(objs.len(), 2000);
        assert_eq!(objs[1999].line, 1999 * 10 + 2);
    }

    /// `(line, field, message)` of a field error, from the fast reader with its fallback and
    /// from the general reader (which must agree).
    fn field_error(text: &str) -> (usize, String, String) {
        let both = [objects_from_str(text, p()), objects_from_str_general(text, p())].map(|r| match r {
            Err(InputError::Field { line, field, message, .. }) => (line, field, message),
            other => panic!("unexpected {other:?}"),
        });
        assert_eq!(both[0], both[1]);
        both[0].clone()
    }

    fn pod_doc(i: usize) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n  - name: c\n")
    }

    #[test]
    fn an_error_deep_in_a_multi_document_file_names_its_line() {
        let docs: Vec<String> = (0..300).map(pod_doc).collect();
        // Document 250 starts at line 250 * 8 + 1 (7 lines and a `---` each).
        let start = 250 * 8 + 1;
        let mut bad = docs.clone();
        bad[250] = bad[250].replace("  - name: c\n", "  - name: c\n  priority: abc\n");
        let (line, field, _) = field_error(&bad.join("---\n"));
        assert_eq!((line, field.as_str()), (start + 7, "spec.priority"));
        // A value written before `kind` is read through a buffer: still its own line and path.
        let mut bad = docs.clone();
        bad[250] = format!(
            "metadata:\n  name: p\n  labels: [a]\n{}",
            pod_doc(250).replace("metadata:\n  name: p250\n", "")
        );
        let (line, field, message) = field_error(&format!("---\n# nothing\n{}", bad.join("---\n")));
        assert_eq!((line, field.as_str()), (start + 2 + 2, "metadata.labels"));
        assert!(message.starts_with("invalid type: sequence, expected a map"), "{message}");
    }

    /// A `kubectl get -o yaml` List of `n` Pods: `items:` before `kind: List`, as kubectl sorts
    /// keys. Item `i` starts at line `2 + 11 * i + 1`.
    fn kubectl_dump(n: usize) -> String {
        let mut text = String::from("apiVersion: v1\nitems:\n");
        for i in 0..n {
            text.push_str(&format!(
                "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n    namespace: ns\n  spec:\n    containers:\n    - name: c\n      resources:\n        requests: {{cpu: 100m}}\n    nodeName: n1\n"
            ));
        }
        text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        text
    }

    #[test]
    fn a_list_dump_with_items_first_gives_true_lines() {
        let text = kubectl_dump(500);
        let item = |i: usize| 2 + 11 * i + 1;
        for read in [objects_from_str(&text, p()), objects_from_str_general(&text, p())] {
            let lines: Vec<usize> = read.unwrap().iter().map(|o| o.line).collect();
            assert_eq!(lines, (0..500).map(item).collect::<Vec<_>>());
        }
        let bad = text.replace("    name: p431\n    namespace: ns\n  spec:\n    containers:\n    - name: c\n      resources:\n        requests: {cpu: 100m}", "    name: p431\n    namespace: ns\n  spec:\n    containers:\n    - name: c\n      resources:\n        requests: {cpu: [1]}");
        assert_ne!(bad, text);
        let (line, field, message) = field_error(&bad);
        assert_eq!(
            (line, field.as_str()),
            (item(431) + 9, "items[431].spec.containers[0].resources.requests.cpu")
        );
        assert!(message.contains("expected a quantity"), "{message}");
        // With carriage returns the fast reader declines the file: the general reader alone.
        let crlf = bad.replace('\n', "\r\n");
        match objects_from_str(&crlf, p()) {
            Err(InputError::Field { line, field, .. }) => {
                assert_eq!(
                    (line, field.as_str()),
                    (item(431) + 9, "items[431].spec.containers[0].resources.requests.cpu")
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_misspelt_field_names_its_line() {
        let bad = kubectl_dump(300).replace(
            "    name: p217\n    namespace: ns\n  spec:\n",
            "    name: p217\n    namespace: ns\n  spec:\n    nodeSelecter: {a: b}\n",
        );
        let (line, field, message) = field_error(&bad);
        assert_eq!((line, field.as_str()), (2 + 11 * 217 + 1 + 6, "spec.nodeSelecter"));
        assert_eq!(
            message,
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.nodeSelecter\""
        );
        let docs: Vec<String> = (0..50).map(pod_doc).collect::<Vec<_>>();
        let mut bad = docs.clone();
        bad[40] = bad[40].replace("  - name: c\n", "  - name: c\n    resources:\n      requets: {cpu: 1}\n");
        let (line, field, _) = field_error(&bad.join("---\n"));
        assert_eq!((line, field.as_str()), (40 * 8 + 1 + 8, "spec.containers[0].resources.requets"));
    }

    #[test]
    fn read_objects_reads_a_file_and_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.yaml");
        std::fs::write(&f, MIXED).unwrap();
        assert_eq!(read_objects(&f).unwrap().len(), 4);
        let err = read_objects(&dir.path().join("absent.yaml")).unwrap_err();
        assert!(matches!(err, InputError::Io { .. }));
    }
}
