//! The fast reader of manifest files: one pass over the text into a borrowed tree, from which
//! both the typed objects and the strict field check are made, with the items of a big `List`
//! (what `kubectl get -o yaml` writes) read in parallel.
//!
//! It gives exactly what [`super::yaml::objects_from_str`]'s serde-saphyr reading gives, or
//! nothing: any shape it does not handle, and any error, sends the document (or the one `List`
//! item) to the general reader, which decides and words the error (file, line, field) from
//! that piece alone, so one odd or bad item in a 100,000-pod dump costs one item's general
//! reading, not the whole file's. `tests` compares the two readers.

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

/// A document, or an item of a `List` document, that the fast reader leaves to the general
/// reader.
pub struct Piece<'a> {
    /// The document's text; for an item, the text of its entry in the root `items:` block
    /// sequence (`- ...`, itself a YAML sequence of one).
    pub text: &'a str,
    /// 1-based line of the text's first line in the file.
    pub line: u32,
    /// For an item, its index in `items`.
    pub item: Option<usize>,
}

/// The general reader of a [`Piece`]: its objects (lines in the file), or its first error.
pub type General<'g, E> = dyn Fn(Piece<'_>) -> Result<Vec<Located<KubeObject>>, E> + Sync + 'g;

/// Every object of a multi-document manifest file in file order (`List`s expanded), or `None`
/// when the file is for the general reader.
#[cfg(test)]
pub fn objects(text: &str) -> Option<Vec<Located<KubeObject>>> {
    objects_with(text, &|_| Err(Bail))?.ok()
}

/// Every object of a multi-document manifest file in file order (`List`s expanded), the
/// documents and items the fast reader does not handle read by `general`; the first error in
/// file order. `None` when the whole file is for the general reader (a byte-order mark,
/// carriage returns, directives, `...` or text after `---`).
pub fn objects_with<E: Send>(
    text: &str,
    general: &General<'_, E>,
) -> Option<Result<Vec<Located<KubeObject>>, E>> {
    let docs = split(text)?;
    let mut out = Vec::new();
    for (start, end, line) in docs {
        if let Err(e) = document(text, start, end, line, &mut out, general) {
            return Some(Err(e));
        }
    }
    Some(Ok(out))
}

/// The documents of `text` as (start, end, 1-based line of the start), or `None` when the file
/// is not for the fast reader.
fn split(text: &str) -> Option<Vec<(usize, usize, u32)>> {
    if text.starts_with('\u{feff}') || text.contains('\r') {
        return None;
    }
    let b = text.as_bytes();
    let mut docs = Vec::new();
    let (mut start, mut start_line) = (0, 1u32);
    let (mut pos, mut line) = (0usize, 1u32);
    while pos <= b.len() {
        let eol = b[pos..].iter().position(|&c| c == b'\n').map_or(b.len(), |i| pos + i);
        let l = &text[pos..eol];
        let marker = l.trim_end_matches(' ') == "---";
        if l.starts_with("...") || l.starts_with('%') || (l.starts_with("---") && !marker) {
            return None;
        }
        if marker || eol == b.len() {
            let end = if marker { pos } else { b.len() };
            docs.push((start, end, start_line));
            start = (eol + 1).min(b.len());
            start_line = line + 1;
        }
        pos = eol + 1;
        line += 1;
    }
    Some(docs)
}

/// The smallest piece of `text` that holds line `line` and that [`objects_with`] could hand
/// to the general reader: a `List` item, else a document; as (start, end, 1-based line of the
/// start). `None` when the file is not for the fast reader.
pub fn piece_at(text: &str, line: u32) -> Option<(usize, usize, u32)> {
    let (start, end, first) = split(text)?.into_iter().take_while(|d| d.2 <= line).last()?;
    if let Ok((_, Some(items))) = root(text, start, end, first)
        && let Some(&(s, e, l)) = items.chunks.iter().take_while(|c| c.2 <= line).last()
        && line <= l + text[s..e].trim_end_matches('\n').matches('\n').count() as u32
    {
        return Some((s, e, l));
    }
    Some((start, end, first))
}

/// The root mapping of the document `text[start..end]` (starting at 1-based line `line`), and
/// its `items:` block sequence, delimited but not read; an empty document is a [`Bail`].
fn root(text: &str, start: usize, end: usize, line: u32) -> R<(Node<'_>, Option<Items>)> {
    let mut p = Parser::new(text, start, end, line);
    let Some((ind, c, _)) = p.peek()? else { return Err(Bail) };
    if ind != 0 {
        return Err(Bail);
    }
    p.items_at_root = true;
    let root = p.block_map(0, c)?;
    if p.peek()?.is_some() {
        return Err(Bail);
    }
    let items = p.items.take();
    Ok((root, items))
}

/// One document `text[start..end]`, starting at 1-based line `line`, into `out`: read here, or
/// by `general` (the whole document, or the items of a `List` that are not for the fast reader).
fn document<E: Send>(
    text: &str,
    start: usize,
    end: usize,
    line: u32,
    out: &mut Vec<Located<KubeObject>>,
    general: &General<'_, E>,
) -> Result<(), E> {
    let before = out.len();
    match fast_document(text, start, end, line, out, general) {
        Ok(done) => done,
        Err(Bail) => {
            out.truncate(before);
            out.extend(general(Piece { text: &text[start..end], line, item: None })?);
            Ok(())
        }
    }
}

/// [`document`] by the fast reader: a [`Bail`] leaves the document to the general reader,
/// `Ok(Err(_))` is an item's error from the general reader.
fn fast_document<E: Send>(
    text: &str,
    start: usize,
    end: usize,
    line: u32,
    out: &mut Vec<Located<KubeObject>>,
    general: &General<'_, E>,
) -> R<Result<(), E>> {
    if Parser::new(text, start, end, line).peek()?.is_none() {
        return Ok(Ok(()));
    }
    let (root, items) = root(text, start, end, line)?;
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
        object(&root, out)?;
        return Ok(Ok(()));
    }
    match items {
        Some(items) => {
            let read: Vec<Result<Vec<Located<KubeObject>>, E>> = items
                .chunks
                .par_iter()
                .enumerate()
                .map(|(i, &(s, e, l))| {
                    let fast = chunk(text, items.indent, s, e, l).and_then(|node| {
                        let mut v = Vec::new();
                        object(&node, &mut v)?;
                        Ok(v)
                    });
                    fast.or_else(|Bail| general(Piece { text: &text[s..e], line: l, item: Some(i) }))
                })
                .collect();
            for r in read {
                match r {
                    Ok(v) => out.extend(v),
                    Err(e) => return Ok(Err(e)),
                }
            }
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
    Ok(Ok(()))
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

impl super::strict_fields::UntypedNode for Node<'_> {
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
