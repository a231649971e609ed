//! The fast reader of manifest files: one pass over the text into a borrowed tree, from which
//! both the typed objects and the strict field check are made, with the items of a big `List`
//! (what `kubectl get -o yaml` writes) read in parallel.
//!
//! It gives exactly what [`super::yaml::objects_from_str`]'s serde-saphyr reading gives, or
//! nothing: any shape it does not handle, and any error, sends the file to the general reader,
//! which decides and words the error (file, line, field). `tests` compares the two readers.

mod de;
mod flow;
mod parse;
#[cfg(test)]
mod tests;

use rayon::prelude::*;
use serde::Deserialize;

use self::parse::{Bail, Items, Node, Parser, R};
use super::objects::{KubeObject, is_list_kind};
use super::yaml::Located;

/// Every object of a multi-document manifest file in file order (`List`s expanded), or `None`
/// when the file is for the general reader.
pub fn objects(text: &str) -> Option<Vec<Located<KubeObject>>> {
    if text.starts_with('\u{feff}') || text.contains('\r') {
        return None;
    }
    read(text).ok()
}

fn read(text: &str) -> R<Vec<Located<KubeObject>>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut start_line) = (0, 1u32);
    let (mut pos, mut line) = (0usize, 1u32);
    while pos <= b.len() {
        let eol = b[pos..].iter().position(|&c| c == b'\n').map_or(b.len(), |i| pos + i);
        let l = &text[pos..eol];
        let marker = l.trim_end_matches(' ') == "---";
        if l.starts_with("...") || l.starts_with('%') || (l.starts_with("---") && !marker) {
            return Err(Bail);
        }
        if marker || eol == b.len() {
            let end = if marker { pos } else { b.len() };
            document(text, start, end, start_line, &mut out)?;
            start = (eol + 1).min(b.len());
            start_line = line + 1;
        }
        pos = eol + 1;
        line += 1;
    }
    Ok(out)
}

/// One document `text[start..end]`, starting at 1-based line `line`.
fn document(text: &str, start: usize, end: usize, line: u32, out: &mut Vec<Located<KubeObject>>) -> R<()> {
    let mut p = Parser::new(text, start, end, line);
    let Some((ind, c, _)) = p.peek()? else { return Ok(()) };
    if ind != 0 {
        return Err(Bail);
    }
    p.items_at_root = true;
    let root = p.block_map(0, c)?;
    if p.peek()?.is_some() {
        return Err(Bail);
    }
    let items = p.items.take();
    let Node::Map(entries, _) = &root else { return Err(Bail) };
    if let Some((_, v)) = entries.iter().find(|(k, _)| key_is(k, "apiVersion"))
        && !matches!(v, Node::Scalar(s) if s.class != de::Class::Null)
    {
        return Err(Bail);
    }
    let kind = entries.iter().find(|(k, _)| key_is(k, "kind")).map(|(_, v)| v);
    let kind = match kind {
        Some(Node::Scalar(s)) if s.class != de::Class::Null => s.text.as_ref(),
        _ => return Err(Bail),
    };
    if !is_list_kind(kind) {
        let root = match items {
            None => root,
            Some(items) => with_items(root, items_sequential(text, &items)?),
        };
        return object(&root, out);
    }
    match items {
        Some(items) => {
            let read: Vec<Vec<Located<KubeObject>>> = items
                .chunks
                .par_iter()
                .map(|&(s, e, l)| {
                    let node = chunk(text, items.indent, s, e, l)?;
                    let mut v = Vec::new();
                    object(&node, &mut v)?;
                    Ok(v)
                })
                .collect::<R<_>>()?;
            out.extend(read.into_iter().flatten());
        }
        None => match entries.iter().find(|(k, _)| key_is(k, "items")).map(|(_, v)| v) {
            None => {}
            Some(Node::Seq(items)) => {
                for item in items {
                    object(item, out)?;
                }
            }
            Some(_) => return Err(Bail),
        },
    }
    Ok(())
}

fn key_is(k: &Node<'_>, name: &str) -> bool {
    matches!(k, Node::Scalar(s) if s.text == name)
}

/// Reads one object (a document or a `List` item) into `out`, nested `List`s expanded, after
/// the strict field check.
fn object(node: &Node<'_>, out: &mut Vec<Located<KubeObject>>) -> R<()> {
    let Node::Map(entries, line) = node else { return Err(Bail) };
    let kind = entries.iter().find(|(k, _)| key_is(k, "kind")).map(|(_, v)| v);
    let kind = match kind {
        Some(Node::Scalar(s)) if s.class != de::Class::Null => s.text.as_ref(),
        _ => return Err(Bail),
    };
    if is_list_kind(kind) {
        return match entries.iter().find(|(k, _)| key_is(k, "items")).map(|(_, v)| v) {
            None => Ok(()),
            Some(Node::Seq(items)) => items.iter().try_for_each(|i| object(i, out)),
            Some(_) => Err(Bail),
        };
    }
    let strict_kind = match kind_node(entries) {
        Some(s)
            if matches!(s.class, de::Class::Quoted | de::Class::Str | de::Class::Probed(de::Probed::Str)) =>
        {
            s.text.as_ref()
        }
        _ => "",
    };
    if super::strict_fields::has_unknown_field(strict_kind, node) {
        return Err(Bail);
    }
    let value = KubeObject::deserialize(de::De(node))?;
    out.push(Located { line: *line as usize, value });
    Ok(())
}

fn kind_node<'n, 'a>(entries: &'n [(Node<'a>, Node<'a>)]) -> Option<&'n parse::Scalar<'a>> {
    match entries.iter().find(|(k, _)| key_is(k, "kind")).map(|(_, v)| v) {
        Some(Node::Scalar(s)) => Some(s),
        _ => None,
    }
}

impl super::strict_fields::Tree for Node<'_> {
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Self)>> {
        match self {
            Node::Map(e, _) => Some(e.iter().map(|(k, v)| match k {
                Node::Scalar(s) => (s.text.as_ref(), v),
                _ => ("", v),
            })),
            _ => None,
        }
    }
    fn items(&self) -> Option<impl Iterator<Item = &Self>> {
        match self {
            Node::Seq(i) => Some(i.iter()),
            _ => None,
        }
    }
}

/// One `List` item: the text of one entry of the sequence whose dashes are at `indent`.
fn chunk<'a>(text: &'a str, indent: usize, s: usize, e: usize, line: u32) -> R<Node<'a>> {
    let mut p = Parser::new(text, s, e, line);
    let Some((i, c, eol)) = p.peek()? else { return Err(Bail) };
    if i != indent {
        return Err(Bail);
    }
    let node = p.seq_entry(indent, c, eol)?;
    if p.peek()?.is_some() {
        return Err(Bail);
    }
    Ok(node)
}

fn items_sequential<'a>(text: &'a str, items: &Items) -> R<Node<'a>> {
    let nodes: Vec<Node<'a>> =
        items.chunks.iter().map(|&(s, e, l)| chunk(text, items.indent, s, e, l)).collect::<R<_>>()?;
    Ok(Node::Seq(nodes))
}

/// Puts the sequence read in chunks back as the root's `items`.
fn with_items<'a>(root: Node<'a>, items: Node<'a>) -> Node<'a> {
    let Node::Map(mut entries, line) = root else { return root };
    if let Some(slot) = entries.iter_mut().find(|(k, _)| key_is(k, "items")) {
        slot.1 = items;
    }
    Node::Map(entries, line)
}
