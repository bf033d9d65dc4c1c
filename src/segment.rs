//! Stage 1: paragraphs, sentences and quotation spans.
//!
//! Everything is reported as byte offsets into the original text, so later
//! stages can slice the article without copying and offsets stay exact.
//!
//! ```
//! let text = "\"We are ready,\" she said, \"but not at any price.\" Talks resume Monday.";
//! let seg = stance::segment::segment(text);
//! assert_eq!(seg.quotes.len(), 2);
//! assert_eq!(&text[seg.quotes[0].inner.clone()], "We are ready,");
//! assert_eq!(seg.sentences.len(), 2);
//! ```

use std::ops::Range;

/// A top-level double-quoted span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// From the opening mark to just after the closing mark (or paragraph end when unclosed).
    pub outer: Range<usize>,
    /// The quoted words, without the marks and surrounding white space.
    pub inner: Range<usize>,
    /// Index of the paragraph that holds the quote.
    pub paragraph: usize,
}

/// The segmentation of one text.
#[derive(Debug, Clone, Default)]
pub struct Segmented {
    pub paragraphs: Vec<Range<usize>>,
    pub sentences: Vec<Range<usize>>,
    pub quotes: Vec<Quote>,
}

impl Segmented {
    /// The quote whose outer span contains byte `pos`, if any.
    pub fn quote_at(&self, pos: usize) -> Option<&Quote> {
        let i = self.quotes.partition_point(|q| q.outer.end <= pos);
        self.quotes.get(i).filter(|q| q.outer.start <= pos)
    }

    /// Whether byte `pos` lies inside any quote (marks included).
    pub fn in_quote(&self, pos: usize) -> bool {
        self.quote_at(pos).is_some()
    }
}

/// Tokens before a period that do not end a sentence. Compared case-sensitively
/// without the final period; single capital letters (initials) are handled apart.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "St", "Gen", "Sen", "Rep", "Gov", "Lt", "Col", "Sgt", "Capt", "Cmdr",
    "Adm", "Maj", "Prof", "Jr", "Sr", "Inc", "Corp", "Ltd", "Co", "vs", "etc", "No", "Nos", "Jan",
    "Feb", "Mar", "Apr", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec", "Mt", "Ft", "Ave", "Rev",
    "Hon", "Pres", "Sec", "Dept", "approx", "Atty", "Supt", "Det", "Insp", "Messrs", "Mmes", "Fr",
    "Gens", "Reps", "Sens", "Govs", "e.g", "i.e", "a.m", "p.m", "U.S", "U.K", "U.N", "E.U", "D.C",
    "U.S.A",
];

/// Split `text` into paragraphs, sentences and top-level quotes.
pub fn segment(text: &str) -> Segmented {
    let mut seg = Segmented::default();
    for para in paragraphs(text) {
        let pi = seg.paragraphs.len();
        let first_quote = seg.quotes.len();
        find_quotes(text, para.clone(), pi, &mut seg.quotes);
        split_sentences(
            text,
            para.clone(),
            &seg.quotes[first_quote..],
            &mut seg.sentences,
        );
        seg.paragraphs.push(para);
    }
    seg
}

/// Non-blank lines are paragraphs: news text puts one paragraph per line, and
/// quotes never continue across a line break without reopening.
fn paragraphs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < text.len() {
            let rest = &text.as_bytes()[pos..];
            let line_end = memchr::memchr(b'\n', rest).map_or(text.len(), |i| pos + i);
            let line = trim_range(text, pos..line_end);
            pos = line_end + 1;
            if !line.is_empty() {
                return Some(line);
            }
        }
        None
    })
}

/// Shrink a range so that it neither starts nor ends with white space.
pub fn trim_range(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let start = r.start + (s.len() - s.trim_start().len());
    let end = r.end - (s.len() - s.trim_end().len());
    if start >= end {
        r.start..r.start
    } else {
        start..end
    }
}

fn find_quotes(text: &str, para: Range<usize>, pi: usize, out: &mut Vec<Quote>) {
    let bytes = text.as_bytes();
    let mut open: Option<usize> = None;
    let mut i = para.start;
    while i < para.end {
        // All quote marks are multi-byte UTF-8 or '"'; skip straight to candidates.
        let Some(off) = memchr::memchr2(b'"', 0xE2, &bytes[i..para.end]) else {
            break;
        };
        i += off;
        let (kind, len) = match &bytes[i..] {
            [b'"', ..] => (Mark::Straight, 1),
            [0xE2, 0x80, 0x9C, ..] => (Mark::Open, 3), // “
            [0xE2, 0x80, 0x9D, ..] => (Mark::Close, 3), // ”
            _ => {
                i += 1;
                continue;
            }
        };
        match (open, kind) {
            (None, Mark::Straight | Mark::Open) => open = Some(i),
            (Some(o), Mark::Straight | Mark::Close) => {
                push_quote(text, o, i + len, pi, out);
                open = None;
            }
            // A stray closing mark outside a quote, or a second opening mark
            // inside one: typography errors, ignored rather than guessed at.
            _ => {}
        }
        i += len;
    }
    if let Some(o) = open {
        // Unclosed at paragraph end: the quote runs to the end of the paragraph.
        push_quote(text, o, para.end, pi, out);
    }
}

#[derive(Clone, Copy)]
enum Mark {
    Straight,
    Open,
    Close,
}

fn push_quote(text: &str, open: usize, close_end: usize, pi: usize, out: &mut Vec<Quote>) {
    let mark_len = text[open..].chars().next().map_or(1, char::len_utf8);
    let close_len = text[..close_end]
        .chars()
        .next_back()
        .filter(|c| matches!(c, '"' | '”'))
        .map_or(0, char::len_utf8);
    let inner_start = open + mark_len;
    let inner_end = close_end.saturating_sub(close_len).max(inner_start);
    let inner = trim_range(text, inner_start..inner_end);
    out.push(Quote {
        outer: open..close_end,
        inner,
        paragraph: pi,
    });
}

fn split_sentences(text: &str, para: Range<usize>, quotes: &[Quote], out: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut start = para.start;
    let mut i = para.start;
    let mut q = 0; // next quote that may contain i
    let ellipsis = memchr::memmem::Finder::new("…");
    let next_ellipsis = |from: usize| {
        ellipsis
            .find(&bytes[from..para.end])
            .map_or(para.end, |k| from + k)
    };
    let mut ell = next_ellipsis(i);
    while i < para.end {
        // Jump to the next terminator: '.', '!', '?' or '…'.
        if ell < i {
            ell = next_ellipsis(i);
        }
        i = memchr::memchr3(b'.', b'!', b'?', &bytes[i..ell]).map_or(ell, |k| i + k);
        if i >= para.end {
            break;
        }
        let is_ellipsis = i == ell;
        let term_len = if is_ellipsis { 3 } else { 1 };
        // Absorb runs of terminators and closing quotes/brackets.
        let mut end = i + term_len;
        loop {
            let rest = &text[end..para.end];
            let Some(c) = rest.chars().next() else { break };
            if matches!(
                c,
                '.' | '!' | '?' | '"' | '”' | '’' | '\'' | ')' | ']' | '…'
            ) {
                end += c.len_utf8();
            } else {
                break;
            }
        }
        while q < quotes.len() && quotes[q].outer.end <= i {
            q += 1;
        }
        // Inside a quote a terminator only ends the sentence when the quote closes with it.
        let inside = quotes
            .get(q)
            .is_some_and(|qt| qt.outer.start < i && i < qt.outer.end);
        let closes_quote = inside && quotes[q].outer.end <= end;
        if (inside && !closes_quote) || !is_term_boundary(text, i, end, para.end, is_ellipsis) {
            i = end;
            continue;
        }
        let s = trim_range(text, start..end);
        if !s.is_empty() {
            out.push(s);
        }
        start = end;
        i = end;
    }
    let s = trim_range(text, start..para.end);
    if !s.is_empty() {
        out.push(s);
    }
}

/// Whether a terminator at `i` (absorbed up to `end`) ends a sentence.
fn is_term_boundary(text: &str, i: usize, end: usize, para_end: usize, ellipsis: bool) -> bool {
    let rest = &text[end..para_end];
    let after = rest.trim_start();
    if after.is_empty() {
        return true;
    }
    if after.len() == rest.len() {
        return false; // no white space: "3.5", "U.S.A", "example.com"
    }
    let next = after.chars().next().unwrap_or(' ');
    let starts_sentence = next.is_uppercase()
        || next.is_numeric()
        || matches!(next, '"' | '“' | '‘' | '\'' | '(' | '[');
    if !starts_sentence {
        return false;
    }
    if ellipsis || text.as_bytes()[i] != b'.' {
        return true;
    }
    // The word before the period.
    let before = &text[..i];
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '.'))
        .map_or(0, |(j, c)| j + c.len_utf8());
    let word = &before[word_start..];
    if word.is_empty() {
        return true;
    }
    let mut chars = word.chars();
    let first = chars.next().unwrap_or(' ');
    if first.is_uppercase() && chars.next().is_none() {
        return false; // an initial: "George W. Bush"
    }
    !ABBREVIATIONS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        segment(text)
            .sentences
            .iter()
            .map(|r| &text[r.clone()])
            .collect()
    }

    fn quotes(text: &str) -> Vec<&str> {
        segment(text)
            .quotes
            .iter()
            .map(|q| &text[q.inner.clone()])
            .collect()
    }

    #[test]
    fn sentence_table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Mr. Rahami left. He came back.",
                &["Mr. Rahami left.", "He came back."],
            ),
            (
                "The U.S. and Iran met. Talks went on.",
                &["The U.S. and Iran met.", "Talks went on."],
            ),
            (
                "George W. Bush spoke. It rained.",
                &["George W. Bush spoke.", "It rained."],
            ),
            (
                "Growth was 3.5 percent. Good.",
                &["Growth was 3.5 percent.", "Good."],
            ),
            (
                "Really? Yes! Fine…  Done",
                &["Really?", "Yes!", "Fine…", "Done"],
            ),
            (
                "He said: \"We won. We will win again.\" Then he left.",
                &["He said: \"We won. We will win again.\"", "Then he left."],
            ),
            (
                "It was late. \"Go,\" he said.",
                &["It was late.", "\"Go,\" he said."],
            ),
            ("one line\n\nsecond line.", &["one line", "second line."]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(sentences(text), *want, "text: {text:?}");
        }
    }

    #[test]
    fn quote_table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "\"We are ready,\" she said, \"but not at any price.\"",
                &["We are ready,", "but not at any price."],
            ),
            (
                "He said “the position is unacceptable,” according to Reuters.",
                &["the position is unacceptable,"],
            ),
            ("Mixed “marks\" close.", &["marks"]),
            ("Unclosed \"quote runs on\nNext para.", &["quote runs on"]),
            ("A stray ” mark.", &[]),
            ("Single 'scare quotes' are not statements.", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(quotes(text), *want, "text: {text:?}");
        }
    }

    #[test]
    fn quote_lookup() {
        let text = "a \"bc\" d \"ef\"";
        let seg = segment(text);
        assert!(seg.in_quote(3));
        assert!(!seg.in_quote(7));
        assert_eq!(seg.quote_at(10).map(|q| q.outer.clone()), Some(9..13));
    }
}
