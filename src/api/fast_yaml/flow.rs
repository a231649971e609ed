//! Quoted scalars and one-line flow collections (`{cpu: 1, memory: 2Gi}`, `[a, b]`).

use std::borrow::Cow;

use super::de::Class;
use super::parse::{Bail, Node, Parser, R, Scalar, no_duplicates};

impl<'a> Parser<'a> {
    /// A one-line quoted scalar at column `p`; the position after its closing quote.
    pub(super) fn quoted(&self, p: usize, eol: usize) -> R<(Scalar<'a>, usize)> {
        let b = self.b;
        let q = b[p];
        let mut i = p + 1;
        let mut owned: Option<String> = None;
        let mut run = i;
        let flush = |owned: &mut Option<String>, from: usize, to: usize| {
            owned.get_or_insert_with(String::new).push_str(&self.src[from..to]);
        };
        loop {
            if i >= eol {
                return Err(Bail);
            }
            match b[i] {
                c if c == q && q == b'\'' && i + 1 < eol && b[i + 1] == b'\'' => {
                    flush(&mut owned, run, i + 1);
                    i += 2;
                    run = i;
                }
                c if c == q => break,
                b'\\' if q == b'"' => {
                    flush(&mut owned, run, i);
                    let esc = *b.get(i + 1).ok_or(Bail)?;
                    let ch = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'u' if i + 6 <= eol => {
                            let hex = &self.src[i + 2..i + 6];
                            let v = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
                            i += 4;
                            char::from_u32(v).ok_or(Bail)?
                        }
                        _ => return Err(Bail),
                    };
                    owned.get_or_insert_with(String::new).push(ch);
                    i += 2;
                    run = i;
                }
                b'\t' => return Err(Bail),
                _ => i += 1,
            }
        }
        let text = match owned {
            None => Cow::Borrowed(&self.src[p + 1..i]),
            Some(mut s) => {
                s.push_str(&self.src[run..i]);
                Cow::Owned(s)
            }
        };
        Ok((Scalar { text, class: Class::Quoted }, i + 1))
    }

    /// A flow collection that opens at `p` and closes on the same line; the position after it.
    pub(super) fn flow(&mut self, p: usize, eol: usize) -> R<(Node<'a>, usize)> {
        self.enter()?;
        let b = self.b;
        let line = self.line;
        let is_map = b[p] == b'{';
        let close = if is_map { b'}' } else { b']' };
        let mut i = p + 1;
        let mut entries = Vec::new();
        let mut items = Vec::new();
        let skip = |i: &mut usize| {
            while *i < eol && b[*i] == b' ' {
                *i += 1;
            }
        };
        loop {
            skip(&mut i);
            if i >= eol {
                return Err(Bail);
            }
            if b[i] == close {
                i += 1;
                break;
            }
            let (first, q) = self.flow_item(i, eol)?;
            i = q;
            skip(&mut i);
            if is_map {
                if i >= eol || b[i] != b':' {
                    return Err(Bail);
                }
                i += 1;
                skip(&mut i);
                let Node::Scalar(Scalar { class, .. }) = &first else { return Err(Bail) };
                if matches!(class, Class::Null) {
                    return Err(Bail);
                }
                let (value, q) = if i < eol && (b[i] == b',' || b[i] == b'}') {
                    (Node::Scalar(Scalar { text: Cow::Borrowed(""), class: Class::Null }), i)
                } else {
                    self.flow_item(i, eol)?
                };
                i = q;
                entries.push((first, value));
            } else {
                if i < eol && b[i] == b':' {
                    return Err(Bail);
                }
                items.push(first);
            }
            skip(&mut i);
            if i < eol && b[i] == b',' {
                i += 1;
                skip(&mut i);
                if i < eol && b[i] == close {
                    return Err(Bail);
                }
            } else if !(i < eol && b[i] == close) {
                return Err(Bail);
            }
        }
        self.depth -= 1;
        if is_map {
            no_duplicates(&entries)?;
            Ok((Node::Map(entries, line), i))
        } else {
            Ok((Node::Seq(items), i))
        }
    }

    /// A scalar or nested collection inside a flow collection.
    fn flow_item(&mut self, i: usize, eol: usize) -> R<(Node<'a>, usize)> {
        let b = self.b;
        match b[i] {
            b'{' | b'[' => self.flow(i, eol),
            b'"' | b'\'' => self.quoted(i, eol).map(|(s, q)| (Node::Scalar(s), q)),
            _ => {
                let mut q = i;
                while q < eol {
                    match b[q] {
                        b',' | b'[' | b']' | b'{' | b'}' => break,
                        b':' if q + 1 == eol || matches!(b[q + 1], b' ' | b',' | b']' | b'}') => break,
                        b'#' if b[q - 1] == b' ' => return Err(Bail),
                        _ => q += 1,
                    }
                }
                let text = self.src[i..q].trim_end_matches(' ');
                if text.is_empty() {
                    return Err(Bail);
                }
                Ok((Node::Scalar(self.plain(text)?), i + text.len()))
            }
        }
    }
}
