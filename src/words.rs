//! A light word scanner shared by extraction and attribution.
//!
//! It is not the classifier's tokenizer (that is [`crate::tokenize`]): it only
//! needs word boundaries, capitalisation and possessives to find cue verbs and
//! names, and it must be cheap enough to run over every sentence.

use std::collections::HashMap;
use std::ops::Range;

use crate::table::{pack, BitFilter, Key, Table};

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

/// Whether a character of U+2000..=U+203F (bytes E2 80 xx) starts at `b[i]`:
/// spaces, dashes, curly quotes, bullets, never a letter or digit. News text
/// is full of them, and they are told apart here without a Unicode table lookup.
#[inline(always)]
fn general_punctuation(b: &[u8], i: usize) -> bool {
    b[i] == 0xE2 && b.get(i + 1) == Some(&0x80)
}

const SHORT_TITLES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Sen", "Rep", "Gov", "Gen", "Lt", "Col", "Sgt", "Capt", "Prof", "Jr",
    "Sr", "St", "Rev", "Adm", "Maj", "Pres", "Sec", "Atty",
];

/// Words of `text[range]`. A word is a run of letters and digits, joined across
/// inner apostrophes, hyphens, ampersands and periods (`U.S.`, `al-Assad`,
/// `AT&T`); a period after an abbreviation or initial stays with the word.
///
/// This runs over every byte of every article, so ASCII is classified by table
/// and only other characters are decoded; `reference_words` in the tests is the
/// plain version it is checked against.
pub fn words(text: &str, range: Range<usize>) -> Vec<Word> {
    let mut out = Vec::new();
    scan(text, range, &mut out, |_| {});
    out
}

/// [`words`], and every position in `range` where a word character follows a
/// non-word character (or `range.start`), ascending: the word starts and the
/// starts after inner joiners (`al-Assad` gives two). Phrase matching
/// ([`crate::trie`]) looks only there.
pub fn words_and_starts(text: &str, range: Range<usize>) -> (Vec<Word>, Vec<usize>) {
    let (mut ws, mut starts) = (Vec::new(), Vec::new());
    words_and_starts_into(text, range, &mut ws, &mut starts);
    (ws, starts)
}

/// [`words_and_starts`] into buffers kept from earlier calls (their contents are replaced).
pub fn words_and_starts_into(
    text: &str,
    range: Range<usize>,
    ws: &mut Vec<Word>,
    starts: &mut Vec<usize>,
) {
    starts.clear();
    starts.reserve(range.len() / 5 + 1);
    scan(text, range, ws, |p| starts.push(p));
}

/// The word scan; `start(p)` is called for each start as [`words_and_starts`] defines it.
#[inline(always)]
fn scan(text: &str, range: Range<usize>, out: &mut Vec<Word>, mut start_at: impl FnMut(usize)) {
    let b = text.as_bytes();
    let end = range.end;
    // News text averages about six bytes a word; a little headroom avoids a regrowth copy.
    out.clear();
    out.reserve(range.len() / 5 + 1);
    let alnum_at = |i: usize| -> bool {
        let c = b[i];
        if c < 0x80 {
            ASCII[c as usize] & ALNUM != 0
        } else {
            char_at(text, i).0.is_alphanumeric()
        }
    };
    let mut i = range.start;
    while i < end {
        // Skip to the next word character.
        let c = b[i];
        let (upper, first_len) = if c < 0x80 {
            let class = ASCII[c as usize];
            if class & ALNUM == 0 {
                i += 1;
                continue;
            }
            (class & UPPER != 0, 1)
        } else if general_punctuation(b, i) {
            i += 3;
            continue;
        } else {
            let (ch, len) = char_at(text, i);
            if !ch.is_alphanumeric() {
                i += len;
                continue;
            }
            (ch.is_uppercase(), len)
        };
        let start = i;
        start_at(start);
        i += first_len;
        while i < end {
            i = skip_ascii_alnum(b, i, end);
            if i == end {
                break;
            }
            let d = b[i];
            if d < 0x80 {
                // Not a letter or digit (skipped above).
                // A joiner stays only when a word character follows it.
                if matches!(d, b'\'' | b'-' | b'&' | b'.') && i + 1 < end && alnum_at(i + 1) {
                    i += 1;
                    start_at(i);
                    continue;
                }
                break;
            }
            if general_punctuation(b, i) {
                // U+2019 (’) joins like an apostrophe.
                if b[i + 2] == 0x99 && i + 3 < end && alnum_at(i + 3) {
                    i += 3;
                    start_at(i);
                    continue;
                }
                break;
            }
            let (ch, dl) = char_at(text, i);
            if ch.is_alphanumeric() {
                i += dl;
                continue;
            }
            if ch == '’' && i + dl < end && alnum_at(i + dl) {
                i += dl;
                start_at(i);
                continue;
            }
            break;
        }
        let w_end = i;
        let w = &b[start..w_end];
        let mut word_end = w_end;
        let mut possessive = false;
        if matches!(w[w.len() - 1], b's' | b'S') {
            let before = &w[..w.len() - 1];
            if before.len() > 1 && before.ends_with(b"'") {
                word_end -= 2;
                possessive = true;
            } else if before.len() > 3 && before.ends_with("’".as_bytes()) {
                word_end -= 4;
                possessive = true;
            }
        }
        let mut tail = w_end;
        // Keep the period of "Mr." and of initials / dotted acronyms ("W.", "U.S.").
        if tail < end && b[tail] == b'.' {
            let is_title = w.len() <= 4 && SHORT_TITLES.iter().any(|t| t.as_bytes() == w);
            if is_title || (upper && (w.len() == first_len || w.contains(&b'.'))) {
                tail += 1;
                if !possessive {
                    word_end = tail;
                }
            }
        }
        i = tail;
        let punct_after = tail < end
            && match b[tail] {
                b',' | b':' | b';' | b'(' | b')' => true,
                c if c >= 0x80 => matches!(char_at(text, tail).0, '—' | '–'),
                _ => false,
            };
        out.push(Word {
            range: start..word_end,
            possessive,
            capitalized: upper,
            punct_after,
        });
    }
}

/// The first position from `i` (at most `end`) that is not an ASCII letter or
/// digit. Words end at an unpredictable byte, so a byte loop mispredicts once
/// a word and pays a compare per byte; sixteen bytes are classified at once.
#[inline(always)]
pub(crate) fn skip_ascii_alnum(b: &[u8], mut i: usize, end: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= end {
        // SAFETY: SSE2 is part of x86_64; the load reads b[i..i + 16], in bounds.
        let run = unsafe {
            use std::arch::x86_64::*;
            let v = _mm_loadu_si128(b.as_ptr().add(i).cast());
            let in_range = |x, lo: u8, hi: u8| {
                // Signed compares: bytes from 0x80 on are negative, so never in range.
                _mm_and_si128(
                    _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
                    _mm_cmplt_epi8(x, _mm_set1_epi8(hi as i8 + 1)),
                )
            };
            // OR 0x20 maps upper-case letters onto lower-case ones, and nothing else onto them.
            let letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', b'z');
            let alnum = _mm_or_si128(letter, in_range(v, b'0', b'9'));
            (!(_mm_movemask_epi8(alnum) as u32)).trailing_zeros() as usize
        };
        i += run;
        if run < 16 {
            return i;
        }
    }
    while i < end && b[i] < 0x80 && ASCII[b[i] as usize] & ALNUM != 0 {
        i += 1;
    }
    i
}

const ALNUM: u8 = 1;
const UPPER: u8 = 2;

/// Classes of ASCII bytes: letters and digits, and which of them are upper case.
static ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            t[c] = ALNUM;
        }
        if b.is_ascii_uppercase() {
            t[c] |= UPPER;
        }
        c += 1;
    }
    t
};

/// Word lists with a class (bit flags) per word, matched in any case. Reading
/// names asks about most capitalised words and their neighbours, often several
/// times: short ASCII words (nearly all) are one packed-key lookup, without
/// building a string.
#[derive(Debug, Clone)]
pub struct WordClasses {
    short: Table<[u64; 2], u16>,
    /// The keys of `short`: most words asked about are in no list, and these
    /// 1 KB answer for most of them where the table's slots would miss the cache.
    filter: BitFilter,
    long: HashMap<String, u16>,
}

impl Default for WordClasses {
    fn default() -> Self {
        WordClasses {
            short: Table::default(),
            filter: BitFilter::with_bits(1 << 13),
            long: HashMap::new(),
        }
    }
}

impl WordClasses {
    /// Add `class` to the lower-case word `lower`.
    pub fn insert(&mut self, lower: String, class: u16) {
        match short_key(&lower) {
            Some(k) => {
                // The table indexes with the hash's low bits, the filter with its top ones.
                self.filter.insert(k.hash());
                *self.short.get_or_insert(k, 0) |= class
            }
            None => *self.long.entry(lower).or_default() |= class,
        }
    }

    /// The classes of a short key.
    #[inline(always)]
    fn of_short(&self, k: [u64; 2]) -> u16 {
        if !self.filter.may_contain(k.hash()) {
            return 0;
        }
        self.short.get(k).unwrap_or(0)
    }

    /// Whether `w` has one of `classes`.
    pub fn is(&self, w: &str, classes: u16) -> bool {
        self.of(w) & classes != 0
    }

    /// [`WordClasses::of`] the word `text[r]`. Its key is loaded from the text,
    /// sixteen bytes at once where the text has them, rather than byte by byte
    /// from a slice the length of the word.
    pub fn of_in(&self, text: &str, r: Range<usize>) -> u16 {
        match short_key_at(text.as_bytes(), r.start, r.len()) {
            Some(k) => self.of_short(k),
            None => self.of(&text[r]),
        }
    }

    /// The classes of `w` in any case (0: not in the vocabulary).
    pub fn of(&self, w: &str) -> u16 {
        match short_key(w) {
            Some(k) => self.of_short(k),
            // The lower case of a non-ASCII word can be ASCII (the Kelvin sign).
            None => {
                let lower = w.to_lowercase();
                match short_key(&lower) {
                    Some(k) => self.of_short(k),
                    None => self.long.get(&lower).copied().unwrap_or(0),
                }
            }
        }
    }
}

/// The [`pack`]ed key of an ASCII word of 1 to [`crate::table::SHORT_KEY`]
/// bytes, lower-cased.
fn short_key(w: &str) -> Option<[u64; 2]> {
    short_key_at(w.as_bytes(), 0, w.len())
}

/// [`short_key`] of `b[at..at + len]`.
#[inline(always)]
fn short_key_at(b: &[u8], at: usize, len: usize) -> Option<[u64; 2]> {
    if len == 0 {
        return None;
    }
    let k = pack(b, at, len, 0)?;
    // The length byte (at most 15) has no top bit either.
    if (k[0] | k[1]) & (ONES * 0x80) != 0 {
        return None; // not ASCII
    }
    Some(k.map(ascii_lower))
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// `x` with each ASCII upper-case letter byte lower-cased (eight at a time;
/// every byte of `x` must be ASCII).
fn ascii_lower(x: u64) -> u64 {
    // The top bit of each byte: set from 'A' on, and from the byte after 'Z' on.
    let from_a = x + ONES * (0x80 - u64::from(b'A'));
    let after_z = x + ONES * (0x80 - u64::from(b'Z') - 1);
    x | ((from_a & !after_z & (ONES * 0x80)) >> 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_lower_is_to_ascii_lowercase() {
        for c in 0u8..128 {
            let x = u64::from_le_bytes([c, b'a', c, b'Z', 0, c, b'@', b'[']);
            let mut want = x.to_le_bytes();
            want.make_ascii_lowercase();
            assert_eq!(ascii_lower(x), u64::from_le_bytes(want), "byte {c}");
        }
    }

    #[test]
    fn word_classes_match_the_lower_case_in_any_case() {
        let mut c = WordClasses::default();
        for (w, class) in [
            ("president", 1),
            ("mr.", 1),
            ("president", 2),
            ("vice-presidential-candidate", 2),
            ("élysée", 8),
            ("kelvin", 32),
        ] {
            c.insert(w.to_string(), class);
        }
        assert_eq!(c.of("President"), 3);
        assert_eq!(c.of("PRESIDENT"), 3);
        assert_eq!(c.of("Mr."), 1);
        assert_eq!(c.of("Mr"), 0);
        assert_eq!(
            c.of("Vice-Presidential-Candidate"),
            2,
            "longer than a packed key"
        );
        assert_eq!(c.of("Élysée"), 8);
        assert_eq!(
            c.of("\u{212A}elvin"),
            32,
            "Kelvin sign lower-cases to ASCII k"
        );
        assert_eq!(c.of("presiden"), 0);
        assert_eq!(c.of(""), 0);
        // Inside a text, at any distance from its end (the key's 16-byte load).
        let t = "PRESIDENT Mr. président Vice-Presidential-Candidate \u{212A}elvin Élysée mr. president";
        for w in words(t, 0..t.len()) {
            assert_eq!(
                c.of_in(t, w.range.clone()),
                c.of(w.text(t)),
                "{}",
                w.text(t)
            );
        }
        assert_eq!(c.of_in(t, t.len() - 9..t.len()), 3);
    }

    use proptest::prelude::*;

    /// The plain, char-by-char definition of [`words`]. A word is a run of letters and digits, joined across
    /// inner apostrophes, hyphens, ampersands and periods (`U.S.`, `al-Assad`,
    /// `AT&T`); a period after an abbreviation or initial stays with the word.
    fn reference_words(text: &str, range: Range<usize>) -> Vec<Word> {
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
                if SHORT_TITLES.contains(&w) || (first_upper && (w.len() == len || w.contains('.')))
                {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn fast_scan_equals_reference(
            t in "([a-zA-Z0-9 ,.;:()'&\\-@\\[`{_]|’|‘|“|”|…|\u{2009}|\u{2040}|—|–|é|É|ß|日|\u{1F600}|s|S|Mr|Dr|U|\\.s|Kalashnikov|abcdefghijklmnopqrstuvwxyz|Z0123456789ABCDEFGHIJ){0,40}",
            cut in 0usize..8,
        ) {
            // Also a range that ends early, on a char boundary.
            let mut end = t.len().saturating_sub(cut);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            prop_assert_eq!(words(&t, 0..end), reference_words(&t, 0..end));
            // Starts: a word character with a non-word character (or nothing) before it.
            let alnum = |i: usize| t[i..].chars().next().is_some_and(char::is_alphanumeric);
            let reference_starts: Vec<usize> = (0..end)
                .filter(|&i| t.is_char_boundary(i) && alnum(i))
                .filter(|&i| t[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric()))
                .collect();
            let (ws, starts) = words_and_starts(&t, 0..end);
            prop_assert_eq!(ws, words(&t, 0..end));
            prop_assert_eq!(starts, reference_starts);
        }
    }

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
