//! A light word scanner shared by extraction and attribution.
//!
//! It is not the classifier's tokenizer (that is [`crate::tokenize`]): it only
//! needs word boundaries, capitalisation and possessives to find cue verbs and
//! names, and it must be cheap enough to run over every sentence.

use std::ops::Range;

/// One word with its byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word without a possessive `'s` / `’s`.
    pub range: Range<usize>,
    /// Whether `'s` / `’s` followed (and is excluded from `range`).
    pub possessive: bool,
    /// Whether the first character is upper case.
    pub capitalized: bool,
    /// Whether a comma, colon, semicolon, dash or bracket comes right after the word.
    pub punct_after: bool,
}

impl Word {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.range.clone()]
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Words of `text[range]`. A word is a run of letters and digits, joined across
/// inner apostrophes, hyphens, ampersands and periods (`U.S.`, `al-Assad`,
/// `AT&T`); a period after an abbreviation or initial stays with the word.
pub fn words(text: &str, range: Range<usize>) -> Vec<Word> {
    let mut out = Vec::new();
    let s = &text[range.clone()];
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !is_word_char(c) {
            continue;
        }
        let start = i;
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = it.peek() {
            if is_word_char(d) {
                end = j + d.len_utf8();
                it.next();
                continue;
            }
            // A joiner stays only when a word character follows it.
            if matches!(d, '\'' | '’' | '-' | '&' | '.') {
                let after = s[j + d.len_utf8()..].chars().next();
                if after.is_some_and(is_word_char) {
                    end = j + d.len_utf8();
                    it.next();
                    continue;
                }
            }
            break;
        }
        let mut word_end = end;
        let mut possessive = false;
        let w = &s[start..end];
        for suffix in ["'s", "’s", "'S", "’S"] {
            if w.len() > suffix.len() && w.ends_with(suffix) {
                word_end = end - suffix.len();
                possessive = true;
                break;
            }
        }
        if !possessive && (w.ends_with('\'') || w.ends_with('’')) {
            // "the allies' position": plural possessive.
            possessive = true;
        }
        // Keep the period of "Mr." and of initials / dotted acronyms ("W.", "U.S.").
        let mut tail = end;
        if s[end..].starts_with('.') {
            let first_upper = w.chars().next().is_some_and(char::is_uppercase);
            let short_title = matches!(
                w,
                "Mr" | "Mrs"
                    | "Ms"
                    | "Dr"
                    | "Sen"
                    | "Rep"
                    | "Gov"
                    | "Gen"
                    | "Lt"
                    | "Col"
                    | "Sgt"
                    | "Capt"
                    | "Prof"
                    | "Jr"
                    | "Sr"
                    | "St"
                    | "Rev"
                    | "Adm"
                    | "Maj"
                    | "Pres"
                    | "Sec"
                    | "Atty"
            );
            if short_title || (first_upper && (w.chars().count() == 1 || w.contains('.'))) {
                tail = end + 1;
                if !possessive {
                    word_end = tail;
                }
            }
        }
        while it.peek().is_some_and(|&(j, _)| j < tail) {
            it.next();
        }
        let next = s[tail..].chars().next();
        out.push(Word {
            range: range.start + start..range.start + word_end,
            possessive,
            capitalized: c.is_uppercase(),
            punct_after: matches!(next, Some(',' | ':' | ';' | '—' | '–' | '(' | ')')),
        });
    }
    out
}

/// Lower-case function words that are capitalised only because they start a sentence.
pub fn is_function_word(w: &str) -> bool {
    const FUNCTION: &[&str] = &[
        "a",
        "an",
        "the",
        "and",
        "but",
        "or",
        "so",
        "yet",
        "for",
        "nor",
        "in",
        "on",
        "at",
        "to",
        "of",
        "by",
        "with",
        "from",
        "after",
        "before",
        "during",
        "since",
        "while",
        "when",
        "if",
        "as",
        "although",
        "though",
        "because",
        "however",
        "meanwhile",
        "earlier",
        "later",
        "still",
        "also",
        "then",
        "now",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "my",
        "your",
        "one",
        "some",
        "many",
        "most",
        "all",
        "both",
        "each",
        "every",
        "no",
        "not",
        "last",
        "next",
        "on",
        "under",
        "over",
        "until",
        "despite",
        "instead",
        "indeed",
        "asked",
        "speaking",
        "according",
        "yes",
        "well",
        "what",
        "who",
        "why",
        "how",
        "where",
        "which",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "said",
        "says",
        "even",
        "just",
        "only",
        "other",
        "another",
        "more",
    ];
    let lower = w.to_lowercase();
    FUNCTION.contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<&str> {
        words(t, 0..t.len()).iter().map(|w| w.text(t)).collect()
    }

    #[test]
    fn word_table() {
        assert_eq!(texts("Mr. Rahami left."), ["Mr.", "Rahami", "left"]);
        assert_eq!(
            texts("the U.S. and al-Assad's AT&T"),
            ["the", "U.S.", "and", "al-Assad", "AT&T"]
        );
        assert_eq!(
            texts("George W. Bush, 3.5%"),
            ["George", "W.", "Bush", "3.5"]
        );
        assert_eq!(
            texts("Israel’s foreign ministry"),
            ["Israel", "foreign", "ministry"]
        );
        assert_eq!(texts("— “Yes” —"), ["Yes"]);
    }

    #[test]
    fn possessive_and_punct() {
        let t = "Kiev's allies, he said";
        let w = words(t, 0..t.len());
        assert!(w[0].possessive && !w[1].possessive);
        assert!(w[1].punct_after && !w[2].punct_after);
        assert!(w[0].capitalized && !w[1].capitalized);
    }

    #[test]
    fn offsets_are_exact_with_range() {
        let t = "xx Hello world";
        let w = words(t, 3..t.len());
        assert_eq!(w[0].range, 3..8);
        assert_eq!(w[1].text(t), "world");
    }
}
