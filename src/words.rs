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

/// The character at byte `i` and its length; ASCII without decoding.
#[inline]
fn char_at(text: &str, i: usize) -> (char, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        (b as char, 1)
    } else {
        let c = text[i..].chars().next().expect("index on a char boundary");
        (c, c.len_utf8())
    }
}

const SHORT_TITLES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Sen", "Rep", "Gov", "Gen", "Lt", "Col", "Sgt", "Capt", "Prof", "Jr",
    "Sr", "St", "Rev", "Adm", "Maj", "Pres", "Sec", "Atty",
];

/// Words of `text[range]`. A word is a run of letters and digits, joined across
/// inner apostrophes, hyphens, ampersands and periods (`U.S.`, `al-Assad`,
/// `AT&T`); a period after an abbreviation or initial stays with the word.
pub fn words(text: &str, range: Range<usize>) -> Vec<Word> {
    let end = range.end;
    let mut out = Vec::with_capacity(range.len() / 6 + 1);
    let mut i = range.start;
    while i < end {
        let (c, len) = char_at(text, i);
        if !c.is_alphanumeric() {
            i += len;
            continue;
        }
        let start = i;
        i += len;
        let mut w_end = i;
        while i < end {
            let (d, dl) = char_at(text, i);
            if d.is_alphanumeric() {
                i += dl;
                w_end = i;
                continue;
            }
            // A joiner stays only when a word character follows it.
            if matches!(d, '\'' | '’' | '-' | '&' | '.')
                && i + dl < end
                && char_at(text, i + dl).0.is_alphanumeric()
            {
                i += dl;
                continue;
            }
            break;
        }
        let w = &text[start..w_end];
        let mut word_end = w_end;
        let mut possessive = false;
        for suffix in ["'s", "’s", "'S", "’S"] {
            if w.len() > suffix.len() && w.ends_with(suffix) {
                word_end = w_end - suffix.len();
                possessive = true;
                break;
            }
        }
        let mut tail = w_end;
        // Keep the period of "Mr." and of initials / dotted acronyms ("W.", "U.S.").
        if tail < end && text.as_bytes()[tail] == b'.' {
            let first_upper = c.is_uppercase();
            if SHORT_TITLES.contains(&w) || (first_upper && (w.len() == len || w.contains('.'))) {
                tail += 1;
                if !possessive {
                    word_end = tail;
                }
            }
        }
        i = i.max(tail);
        let next = if tail < end {
            Some(char_at(text, tail).0)
        } else {
            None
        };
        out.push(Word {
            range: start..word_end,
            possessive,
            capitalized: c.is_uppercase(),
            punct_after: matches!(next, Some(',' | ':' | ';' | '—' | '–' | '(' | ')')),
        });
    }
    out
}

/// Call `f` with the lower-case form of `w`, without allocating for short ASCII words.
pub fn with_lower<R>(w: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 48];
    if w.len() <= buf.len() && w.is_ascii() {
        let b = &mut buf[..w.len()];
        b.copy_from_slice(w.as_bytes());
        b.make_ascii_lowercase();
        f(std::str::from_utf8(b).expect("ASCII is UTF-8"))
    } else {
        f(&w.to_lowercase())
    }
}

/// Lower-case function words that are capitalised only because they start a sentence.
pub fn is_function_word(w: &str) -> bool {
    with_lower(w, |l| {
        matches!(
            l,
            "a" | "an"
                | "the"
                | "and"
                | "but"
                | "or"
                | "so"
                | "yet"
                | "for"
                | "nor"
                | "in"
                | "on"
                | "at"
                | "to"
                | "of"
                | "by"
                | "with"
                | "from"
                | "after"
                | "before"
                | "during"
                | "since"
                | "while"
                | "when"
                | "if"
                | "as"
                | "although"
                | "though"
                | "because"
                | "however"
                | "meanwhile"
                | "earlier"
                | "later"
                | "still"
                | "also"
                | "then"
                | "now"
                | "this"
                | "that"
                | "these"
                | "those"
                | "there"
                | "here"
                | "it"
                | "its"
                | "he"
                | "she"
                | "they"
                | "we"
                | "i"
                | "you"
                | "his"
                | "her"
                | "their"
                | "our"
                | "my"
                | "your"
                | "one"
                | "some"
                | "many"
                | "most"
                | "all"
                | "both"
                | "each"
                | "every"
                | "no"
                | "not"
                | "last"
                | "next"
                | "under"
                | "over"
                | "until"
                | "despite"
                | "instead"
                | "indeed"
                | "asked"
                | "speaking"
                | "according"
                | "yes"
                | "well"
                | "what"
                | "who"
                | "why"
                | "how"
                | "where"
                | "which"
                | "will"
                | "would"
                | "can"
                | "could"
                | "should"
                | "may"
                | "might"
                | "must"
                | "do"
                | "does"
                | "did"
                | "is"
                | "are"
                | "was"
                | "were"
                | "be"
                | "been"
                | "has"
                | "have"
                | "had"
                | "said"
                | "says"
                | "even"
                | "just"
                | "only"
                | "other"
                | "another"
                | "more"
        )
    })
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
