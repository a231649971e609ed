//! Where things are in a YAML text: a document read untyped with serde-saphyr's spans (the line
//! of every key and sequence item), and the line of a field path in it.
//!
//! Errors found after a file is read (an invalid value, an unknown field, a configuration that
//! does not hold together) carry a field path such as
//! `spec.containers[0].resources.requests[cpu]`; [`field_line`] gives the line the parser saw
//! that field at, instead of searching the text for its name.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML node with the 1-based line it was written at: a mapping value at its key's line, a
/// sequence item at its own line, a document at its first line.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// The node.
    pub node: Node,
}

/// An untyped YAML node.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A scalar resolved as a string.
    Str(String),
    /// Any other scalar (a number, a boolean, `null`).
    Scalar,
    /// A sequence.
    Seq(Vec<Tree>),
    /// A mapping's entries in file order; each value's line is its key's line.
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// The value of mapping key `key`.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match &self.node {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, for a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.node {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items, for a sequence.
    pub fn as_seq(&self) -> Option<&[Tree]> {
        match &self.node {
            Node::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Adds `by` to every known line (a piece of a file read on its own).
    pub fn shift(&mut self, by: u32) {
        if self.line > 0 {
            self.line += by;
        }
        match &mut self.node {
            Node::Seq(items) => items.iter_mut().for_each(|t| t.shift(by)),
            Node::Map(entries) => entries.iter_mut().for_each(|(_, t)| t.shift(by)),
            Node::Str(_) | Node::Scalar => {}
        }
    }

    /// The line of `field`, a path below this node in the forms serde and the API server
    /// write: `spec.containers[0].resources.requests.cpu`, `spec.resources.requests[cpu]`,
    /// `metadata.labels[app.kubernetes.io/name]`. When the path is not all written (a required
    /// field left out), the line of its deepest part that is; this node's line for none.
    pub fn line_of(&self, field: &str) -> u32 {
        self.find(field).unwrap_or(self.line)
    }

    /// The line of the deepest written part of `rest` below this node, `None` when not even its
    /// first segment is written.
    fn find(&self, rest: &str) -> Option<u32> {
        let rest = rest.strip_prefix('.').unwrap_or(rest);
        if rest.is_empty() {
            return Some(self.line);
        }
        if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            let (name, after) = (&inner[..close], &inner[close + 1..]);
            let child = match &self.node {
                Node::Seq(items) => items.get(name.parse::<usize>().ok()?)?,
                Node::Map(_) => self.get(name)?,
                _ => return None,
            };
            return Some(child.find(after).unwrap_or(child.line));
        }
        let Node::Map(entries) = &self.node else { return None };
        // The longest key the path starts with, up to a segment boundary (keys may hold dots).
        let (key, child) = entries
            .iter()
            .filter(|(k, _)| {
                rest.strip_prefix(k.as_str())
                    .is_some_and(|after| after.is_empty() || after.starts_with(['.', '[', ' ']))
            })
            .max_by_key(|(k, _)| k.len())?;
        let after = &rest[key.len()..];
        if after.starts_with(' ') {
            // A path with words after it ("plugins.multiPoint (default plugin #3)").
            return Some(child.line);
        }
        Some(child.find(after).unwrap_or(child.line))
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Spanned::<Node>::deserialize(deserializer)?;
        Ok(Tree { line: s.referenced.line() as u32, node: s.value })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element::<Tree>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let node: Node = map.next_value()?;
            entries.push((key.value, Tree { line: key.referenced.line() as u32, node }));
        }
        Ok(Node::Map(entries))
    }
}

/// Every document of `text`, read untyped with the lines of their keys and items (empty
/// documents are left out, as in [`super::yaml::read_objects`]).
///
/// # Errors
/// serde-saphyr's error for text that is not YAML.
pub fn documents(text: &str) -> Result<Vec<Tree>, serde_saphyr::Error> {
    serde_saphyr::from_multiple_with_options(text, super::yaml::options())
}

/// The 1-based line of `field` in the object that starts at line `object_line` of the YAML
/// `text` (a document, or an item of a `List`; 0: the first document): see [`Tree::line_of`].
/// `object_line` when the text does not parse or holds no object there.
///
/// Only the object's own document or `List` item is parsed when the fast reader can delimit
/// it, so an error in a big `kubectl get -o yaml` dump is placed without reading all of it.
pub fn field_line(text: &str, object_line: usize, field: &str) -> usize {
    let line = u32::try_from(object_line).unwrap_or(0);
    let piece = if line > 0 { super::fast_yaml::piece_at(text, line) } else { None };
    let (docs, shift) = match piece {
        Some((start, end, first)) => (documents(&text[start..end]), first - 1),
        None => (documents(text), 0),
    };
    let Ok(mut docs) = docs else { return object_line };
    docs.iter_mut().for_each(|d| d.shift(shift));
    let object = if line == 0 { docs.first() } else { docs.iter().find_map(|d| object_at(d, line)) };
    object.map_or(object_line, |o| o.line_of(field) as usize)
}

/// The object starting at `line`: `tree` itself, or one of its items when it is a list (a
/// `List` document or a delimited `List` item), at any depth.
fn object_at(tree: &Tree, line: u32) -> Option<&Tree> {
    match &tree.node {
        Node::Map(_) if tree.line == line => Some(tree),
        Node::Map(_) => tree.get("items")?.as_seq()?.iter().find_map(|t| object_at(t, line)),
        Node::Seq(items) => items.iter().find_map(|t| object_at(t, line)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "\
# a pod
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: {app.kubernetes.io/name: web, tier: db}
spec:
  containers:
  - name: a
  -
    name: c
    resources:
      requests:
        cpu: 1x
      limits: {memory: 1Gi}
";

    #[test]
    fn lines_of_keys_items_and_paths() {
        let docs = documents(POD).unwrap();
        assert_eq!(docs.len(), 1);
        let pod = &docs[0];
        assert_eq!(pod.line, 2);
        assert_eq!(pod.get("kind").and_then(Tree::as_str), Some("Pod"));
        for (field, line) in [
            ("kind", 3),
            ("metadata.name", 5),
            ("metadata.labels[app.kubernetes.io/name]", 6),
            ("metadata.labels.app.kubernetes.io/name", 6),
            ("spec.containers", 8),
            ("spec.containers[0].name", 9),
            ("spec.containers[1]", 11),
            ("spec.containers[1].resources.requests.cpu", 14),
            ("spec.containers[1].resources.requests[cpu]", 14),
            ("spec.containers[1].resources.limits[memory]", 15),
            // Not all written: the deepest part that is.
            ("spec.containers[1].resources.limits[cpu]", 15),
            ("spec.containers[7].name", 8),
            ("spec.nodeName", 7),
            ("status.phase", 2),
            ("spec.containers (the second one)", 8),
        ] {
            assert_eq!(pod.line_of(field), line, "{field}");
        }
    }

    #[test]
    fn field_line_finds_the_object_in_a_multi_document_file_and_a_list() {
        let text = format!(
            "{POD}---\napiVersion: v1\nitems:\n- kind: Pod\n  metadata: {{name: q}}\n- kind: Pod\n  metadata:\n    name: r\nkind: List\n"
        );
        assert_eq!(field_line(&text, 0, "spec.containers[1].resources.requests[cpu]"), 14);
        assert_eq!(field_line(&text, 2, "metadata.name"), 5);
        assert_eq!(field_line(&text, 19, "metadata.name"), 20);
        assert_eq!(field_line(&text, 21, "metadata.name"), 23);
        // No object there: the line given.
        assert_eq!(field_line(&text, 22, "metadata.name"), 22);
        assert_eq!(field_line("a: [", 3, "a"), 3);
    }
}
