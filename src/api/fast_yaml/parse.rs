//! A line-based reader of the block YAML that `kubectl get -o yaml` and hand-written manifests
//! use: block mappings and sequences, one-line flow collections, one-line plain and quoted
//! scalars, comments. Anything else (anchors, aliases, tags, block and multi-line scalars,
//! complex keys, directives, tabs, duplicate keys, ...) is a [`Bail`]: the caller then reads the
//! file with serde-saphyr, which decides and words the error.

use std::borrow::Cow;

use super::de::{Class, classify};

/// "Not handled here": read the file the general way.
#[derive(Debug)]
pub struct Bail;

pub type R<T> = Result<T, Bail>;

/// A node of the tree, borrowing from the file's text.
#[derive(Debug)]
pub enum Node<'a> {
    Scalar(Scalar<'a>),
    /// (key, value) in file order (a key is always a [`Node::Scalar`]), and the 1-based line
    /// of the first key.
    Map(Vec<(Node<'a>, Node<'a>)>, u32),
    Seq(Vec<Node<'a>>),
}

/// A scalar with its resolution (see [`Class`]).
#[derive(Debug)]
pub struct Scalar<'a> {
    pub text: Cow<'a, str>,
    pub class: Class,
}

const MAX_DEPTH: usize = 64;

/// A cursor over `src[pos..end]`, always at the start of a line between block calls.
pub struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) b: &'a [u8],
    pub pos: usize,
    pub(super) end: usize,
    pub line: u32,
    pub(super) depth: usize,
    /// Whether a root `items:` block sequence is only delimited (into [`Parser::items`]), for
    /// its entries to be read in parallel; the root map then holds an empty sequence there.
    pub items_at_root: bool,
    pub items: Option<Items>,
}

/// The entries of a root `items:` block sequence, found by their dashes.
pub struct Items {
    /// Indent of the dashes.
    pub indent: usize,
    /// (start, end, 1-based line) of each entry's text.
    pub chunks: Vec<(usize, usize, u32)>,
}

fn is_dash(b: &[u8], c: usize, eol: usize) -> bool {
    b[c] == b'-' && (c + 1 == eol || b[c + 1] == b' ')
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str, pos: usize, end: usize, line: u32) -> Self {
        Parser { src, b: src.as_bytes(), pos, end, line, depth: 0, items_at_root: false, items: None }
    }

    pub(super) fn eol(&self, from: usize) -> usize {
        self.b[from..self.end].iter().position(|&c| c == b'\n').map_or(self.end, |i| from + i)
    }

    fn next_line(&mut self) {
        let e = self.eol(self.pos);
        self.pos = (e + 1).min(self.end);
        self.line += 1;
    }

    /// The next line with content, skipping blank and comment lines: (indent, content column,
    /// end of line). `None` at the end.
    pub fn peek(&mut self) -> R<Option<(usize, usize, usize)>> {
        while self.pos < self.end {
            let eol = self.eol(self.pos);
            let mut c = self.pos;
            while c < eol && self.b[c] == b' ' {
                c += 1;
            }
            if c < eol && self.b[c] == b'\t' {
                return Err(Bail);
            }
            if c == eol || self.b[c] == b'#' {
                self.next_line();
                continue;
            }
            return Ok(Some((c - self.pos, c, eol)));
        }
        Ok(None)
    }

    /// A block node whose first line is the next content line, at indent `ind`.
    pub fn block_node(&mut self, ind: usize) -> R<Node<'a>> {
        let Some((_, c, eol)) = self.peek()? else { return Err(Bail) };
        if is_dash(self.b, c, eol) {
            return self.block_seq(ind);
        }
        if self.key_at(c, eol)?.is_some() {
            return self.block_map(ind, c);
        }
        Err(Bail)
    }

    /// The value after `key:` or `-` with nothing more on the line (the cursor is past it).
    fn block_value(&mut self, parent: usize, in_map: bool) -> R<Node<'a>> {
        match self.peek()? {
            Some((i, _, _)) if i > parent => self.block_node(i),
            Some((i, c, eol)) if in_map && i == parent && is_dash(self.b, c, eol) => self.block_seq(i),
            _ => Ok(Node::Scalar(Scalar { text: Cow::Borrowed(""), class: Class::Null })),
        }
    }

    /// After a one-line value: the rest of the line must be blank or a comment, and the next
    /// content line must not be indented past `ind` (it would continue the scalar).
    fn end_of_value(&mut self, mut p: usize, eol: usize, ind: usize) -> R<()> {
        let start = p;
        while p < eol && self.b[p] == b' ' {
            p += 1;
        }
        if p < eol && !(self.b[p] == b'#' && p > start) {
            return Err(Bail);
        }
        self.next_line();
        match self.peek()? {
            Some((i, _, _)) if i > ind => Err(Bail),
            _ => Ok(()),
        }
    }

    pub(super) fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(Bail) } else { Ok(()) }
    }

    /// A block mapping at indent `ind` whose first key starts at column `c` of the current line.
    pub fn block_map(&mut self, ind: usize, mut c: usize) -> R<Node<'a>> {
        self.enter()?;
        let first_line = self.line;
        let mut entries: Vec<(Node<'a>, Node<'a>)> = Vec::new();
        loop {
            let eol = self.eol(self.pos);
            let Some((key, after)) = self.key_at(c, eol)? else { return Err(Bail) };
            let mut p = after;
            while p < eol && self.b[p] == b' ' {
                p += 1;
            }
            let value = if p == eol || self.b[p] == b'#' {
                self.next_line();
                if self.items_at_root && self.depth == 1 && key.text == "items" {
                    self.delimit_items()?
                } else {
                    self.block_value(ind, true)?
                }
            } else {
                let (v, q) = self.inline(p, eol)?;
                self.end_of_value(q, eol, ind)?;
                v
            };
            entries.push((Node::Scalar(key), value));
            match self.peek()? {
                Some((i, c2, eol2)) if i == ind && !is_dash(self.b, c2, eol2) => c = c2,
                Some((i, _, _)) if i > ind => return Err(Bail),
                _ => break,
            }
        }
        no_duplicates(&entries)?;
        self.depth -= 1;
        Ok(Node::Map(entries, first_line))
    }

    /// The root's `items:` value: a block sequence is only delimited into [`Parser::items`].
    fn delimit_items(&mut self) -> R<Node<'a>> {
        let Some((ind, c, eol)) = self.peek()? else { return self.block_value(0, true) };
        if !is_dash(self.b, c, eol) || self.items.is_some() {
            return self.block_value(0, true);
        }
        let mut chunks: Vec<(usize, usize, u32)> = Vec::new();
        while self.pos < self.end {
            let eol = self.eol(self.pos);
            let line = &self.b[self.pos..eol];
            let i = line.iter().position(|&c| c != b' ').unwrap_or(line.len());
            if i < line.len() && line[i] == b'\t' {
                return Err(Bail);
            }
            let content = i < line.len() && line[i] != b'#';
            if content && (i < ind || (i == ind && !is_dash(self.b, self.pos + i, eol))) {
                break;
            }
            if content && i == ind {
                if let Some(last) = chunks.last_mut() {
                    last.1 = self.pos;
                }
                chunks.push((self.pos, self.end, self.line));
            }
            self.next_line();
        }
        if let Some(last) = chunks.last_mut() {
            last.1 = self.pos;
        }
        self.items = Some(Items { indent: ind, chunks });
        Ok(Node::Seq(Vec::new()))
    }

    /// A block sequence whose dashes are at indent `ind`.
    pub fn block_seq(&mut self, ind: usize) -> R<Node<'a>> {
        self.enter()?;
        let mut items = Vec::new();
        while let Some((i, c, eol)) = self.peek()? {
            if i > ind {
                return Err(Bail);
            }
            if i < ind || !is_dash(self.b, c, eol) {
                break;
            }
            items.push(self.seq_entry(ind, c, eol)?);
        }
        self.depth -= 1;
        Ok(Node::Seq(items))
    }

    /// One `- ...` entry of a block sequence at indent `ind`, its dash at column `c`.
    pub fn seq_entry(&mut self, ind: usize, c: usize, eol: usize) -> R<Node<'a>> {
        let mut p = c + 1;
        while p < eol && self.b[p] == b' ' {
            p += 1;
        }
        if p == eol || self.b[p] == b'#' {
            self.next_line();
            return self.block_value(ind, false);
        }
        if is_dash(self.b, p, eol) {
            return Err(Bail);
        }
        if self.key_at(p, eol)?.is_some() {
            return self.block_map(p - self.pos, p);
        }
        let (v, q) = self.inline(p, eol)?;
        self.end_of_value(q, eol, ind)?;
        Ok(v)
    }

    /// A mapping key at column `c`: the key and the position after its `:`, or `None` when the
    /// line holds no key there.
    fn key_at(&self, c: usize, eol: usize) -> R<Option<(Scalar<'a>, usize)>> {
        let b = self.b;
        match b[c] {
            b'"' | b'\'' => {
                let (s, q) = self.quoted(c, eol)?;
                let mut p = q;
                while p < eol && b[p] == b' ' {
                    p += 1;
                }
                if p < eol && b[p] == b':' && (p + 1 == eol || b[p + 1] == b' ') {
                    return Ok(Some((s, p + 1)));
                }
                Ok(None)
            }
            b'[' | b'{' | b'|' | b'>' => Ok(None),
            _ => {
                let mut p = c;
                while p < eol {
                    match b[p] {
                        b':' if p + 1 == eol || b[p + 1] == b' ' => {
                            let text = self.src[c..p].trim_end_matches(' ');
                            let key = self.plain(text)?;
                            if matches!(key.class, Class::Null) {
                                return Err(Bail);
                            }
                            return Ok(Some((key, p + 1)));
                        }
                        b'#' if p > c && b[p - 1] == b' ' => return Ok(None),
                        b'\t' => return Err(Bail),
                        _ => p += 1,
                    }
                }
                Ok(None)
            }
        }
    }

    /// A plain scalar's text, checked and classified.
    pub(super) fn plain(&self, text: &'a str) -> R<Scalar<'a>> {
        let b = text.as_bytes();
        if let Some(&f) = b.first() {
            let next_space = b.get(1).is_none_or(|&n| n == b' ');
            if matches!(f, b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'|' | b'>' | b'"' | b'\'' | b'#' | b',')
                || (matches!(f, b'-' | b'?' | b':') && next_space)
                || matches!(f, b'[' | b']' | b'{' | b'}')
                || text == "<<"
                || text.contains('\t')
            {
                return Err(Bail);
            }
        }
        Ok(Scalar { class: classify(text)?, text: Cow::Borrowed(text) })
    }

    /// A one-line value at column `p`: a quoted or plain scalar, or a flow collection; and the
    /// position after it.
    fn inline(&mut self, p: usize, eol: usize) -> R<(Node<'a>, usize)> {
        match self.b[p] {
            b'"' | b'\'' => self.quoted(p, eol).map(|(s, q)| (Node::Scalar(s), q)),
            b'{' | b'[' => self.flow(p, eol),
            _ => {
                let mut q = p;
                while q < eol {
                    match self.b[q] {
                        b'#' if self.b[q - 1] == b' ' => break,
                        b':' if q + 1 == eol || self.b[q + 1] == b' ' => return Err(Bail),
                        _ => q += 1,
                    }
                }
                let text = self.src[p..q].trim_end_matches(' ');
                Ok((Node::Scalar(self.plain(text)?), p + text.len()))
            }
        }
    }
}

/// serde-saphyr refuses duplicate keys; they are left to it.
pub(super) fn no_duplicates(entries: &[(Node<'_>, Node<'_>)]) -> R<()> {
    let key = |n: &Node<'_>| match n {
        Node::Scalar(s) => s.text.as_ref().to_owned(),
        _ => String::new(),
    };
    if entries.len() <= 24 {
        for (i, (a, _)) in entries.iter().enumerate() {
            let Node::Scalar(a) = a else { return Err(Bail) };
            for (b, _) in &entries[..i] {
                if let Node::Scalar(b) = b
                    && a.text == b.text
                {
                    return Err(Bail);
                }
            }
        }
        return Ok(());
    }
    let mut keys: Vec<String> = entries.iter().map(|(k, _)| key(k)).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) { Err(Bail) } else { Ok(()) }
}
