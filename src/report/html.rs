//! `report.html`: one self-contained page per results folder (inline CSS, the SVG charts
//! inline, no script, no external resource), readable offline in any browser.

use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A report page under construction: a title, then sections of headings, paragraphs, tables,
/// charts and preformatted text, in order.
pub struct Page {
    body: String,
    title: String,
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}\
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}th{background:#f3f3f3}\
td:first-child,th:first-child{text-align:left}\
.better{color:#006d2c;font-weight:bold}.worse{color:#a50f15;font-weight:bold}\
pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:.8em;max-height:30em}\
figure{margin:1em 0}figcaption{font-size:.85em;color:#555}";

impl Page {
    /// A page titled `title`.
    pub fn new(title: &str) -> Self {
        Page { body: String::new(), title: title.to_string() }
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) -> &mut Self {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
        self
    }

    /// A paragraph of plain text.
    pub fn para(&mut self, text: &str) -> &mut Self {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
        self
    }

    /// A table; a cell whose text is `better` or `worse` (or starts with it) is highlighted.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> &mut Self {
        self.body.push_str("<table><thead><tr>");
        for h in header {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr></thead><tbody>\n");
        for r in rows {
            self.body.push_str("<tr>");
            for c in r {
                let class = if c.starts_with("better") {
                    " class=\"better\""
                } else if c.starts_with("worse") {
                    " class=\"worse\""
                } else {
                    ""
                };
                let _ = write!(self.body, "<td{class}>{}</td>", escape(c));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody></table>\n");
        self
    }

    /// An inline SVG chart with a caption (the chart's file name, for reference).
    pub fn chart(&mut self, svg: &str, caption: &str) -> &mut Self {
        let _ = writeln!(self.body, "<figure>{svg}<figcaption>{}</figcaption></figure>", escape(caption));
        self
    }

    /// Text written as Markdown paragraphs and pipe tables (as `comparison.md` is): a table
    /// becomes an HTML table, any other line a paragraph.
    pub fn markdown(&mut self, text: &str) -> &mut Self {
        let cells = |l: &str| -> Vec<String> {
            l.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
        };
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim().is_empty() {
                continue;
            }
            if !line.trim_start().starts_with('|') {
                self.para(line.trim());
                continue;
            }
            let header = cells(line);
            let mut rows = Vec::new();
            while let Some(l) = lines.next_if(|l| l.trim_start().starts_with('|')) {
                if !l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
                    rows.push(cells(l));
                }
            }
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            self.table(&header, &rows);
        }
        self
    }

    /// Preformatted text (the scenario).
    pub fn pre(&mut self, text: &str) -> &mut Self {
        let _ = writeln!(self.body, "<pre>{}</pre>", escape(text));
        self
    }

    /// The whole document.
    pub fn finish(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
             <style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n{}</body></html>\n",
            self.body,
            t = escape(&self.title)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_text_and_mark_verdicts() {
        let mut p = Page::new("a <b> & c");
        p.table(&["metric", "verdict"], &[vec!["p99".into(), "better by 2".into()]]).pre("x: \"<y>\"");
        let html = p.finish();
        assert!(html.contains("<title>a &lt;b&gt; &amp; c</title>"));
        assert!(html.contains("<td class=\"better\">better by 2</td>"));
        assert!(html.contains("<pre>x: &quot;&lt;y&gt;&quot;</pre>"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn markdown_tables_become_html_tables() {
        let mut p = Page::new("t");
        p.markdown("openb default: GPU %\n\n| policy | 100% |\n|---|---|\n| FGD | 4.77 |\n");
        let html = p.finish();
        assert!(html.contains("<p>openb default: GPU %</p>"), "{html}");
        assert!(html.contains("<th>policy</th><th>100%</th>") && html.contains("<td>FGD</td><td>4.77</td>"));
        assert!(!html.contains("|---"));
    }
}
