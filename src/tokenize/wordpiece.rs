//! Fast, allocation-free re-implementation of
//! `BertNormalizer(clean_text, handle_chinese_chars, strip_accents=None|Some(true), lowercase)`,
//! `BertPreTokenizer` and `WordPiece` from `tokenizers` 0.22.2, producing exactly the ids of
//! `tok.encode(text, false).get_ids()`.
//!
//! Dependencies (all already in the tree through `tokenizers` 0.22.2 except `rustc-hash`):
//! ```toml
//! tokenizers = { version = "=0.22.2", default-features = false, features = ["fancy-regex"] }
//! rustc-hash = "2"
//! aho-corasick = "1.1"
//! unicode-normalization-alignments = "0.1.12"   # same NFD tables (Unicode 9) as tokenizers
//! unicode_categories = "0.1.1"                  # same category tables as tokenizers
//! ```
//!
//! How the pipeline is reproduced:
//! * Added tokens that are matched on the raw text (`normalized: false`, e.g. the special
//!   `[UNK]`) are split out first with a leftmost-longest Aho-Corasick automaton, like
//!   `AddedVocabulary::extract_and_normalize`; each remaining segment is processed on its own.
//! * ASCII fast path (byte table): C0 controls except `\t\n\r` and DEL are dropped (clean_text),
//!   `\t\n\r ` split words, ASCII punctuation is an isolated one-char word, `A-Z` lowercased.
//!   ASCII needs no NFD and every ASCII char is a canonical starter, so NFD of a string can be
//!   computed piecewise at surviving ASCII chars. A run of letters and digits between
//!   whitespace, punctuation or segment ends is first looked up whole, straight from the
//!   input (lowercased inside its packed key), since most words are one vocabulary entry.
//! * Any maximal span that starts with a non-ASCII char and runs up to the next *surviving*
//!   ASCII char goes through the literal chain of the crate, in the crate's order:
//!   clean_text filter/map -> chinese-char spacing -> NFD (unicode-normalization-alignments)
//!   -> drop Mn -> `char::to_lowercase` -> pre-tokenizer (whitespace / BERT punctuation).
//! * WordPiece: greedy longest-match-first over `&str` slices (no per-token String), two
//!   maps (word-initial pieces keyed by the full token, continuation pieces keyed without
//!   the `##` prefix; short keys packed into integers in an open-addressing table, see
//!   `PieceMap`), candidate ends
//!   capped at the longest vocab entry; a word longer than
//!   `max_input_chars_per_word` chars, or one that cannot be segmented, becomes a single `[UNK]`.
//!   Words are assembled in a fixed stack buffer (`max_input_chars_per_word * 4` bytes is
//!   enough for any word that is not `[UNK]` by length), so `encode_into` does not allocate
//!   except to grow `out`.

use crate::table::{pack, Table};
use crate::words::skip_ascii_alnum;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rustc_hash::FxHashMap;
use tokenizers::{Model, ModelWrapper, NormalizerWrapper, PreTokenizerWrapper, Tokenizer};
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::UnicodeNormalization;

/// Byte classes.
const DROP: u8 = 0; // removed by clean_text (control chars)
const SEP: u8 = 1; // whitespace: ends the current word
const PUNCT: u8 = 2; // ASCII punctuation: its own word
const WORD: u8 = 3; // letters / digits
const NON_ASCII: u8 = 4; // a byte of a non-ASCII char

const fn byte_class_table() -> [u8; 256] {
    let mut t = [NON_ASCII; 256];
    let mut b = 0usize;
    while b < 128 {
        let c = b as u8;
        t[b] = if c == b'\t' || c == b'\n' || c == b'\r' || c == b' ' {
            SEP
        } else if c < 0x20 || c == 0x7f {
            DROP // includes \x0b and \x0c: Cc, removed before the whitespace mapping
        } else if c.is_ascii_punctuation() {
            PUNCT
        } else {
            WORD
        };
        b += 1;
    }
    t
}
static BYTE_CLASS: [u8; 256] = byte_class_table();

/// Stack-buffer size for words; words longer than this many bytes are necessarily longer than
/// `max_input_chars_per_word` chars when that is <= STACK_WORD_BYTES / 4.
const STACK_WORD_BYTES: usize = 512;

/// Token string -> id. Strings of up to 15 bytes (nearly every piece) are
/// packed with their length into a 16-byte key (see [`pack`]), which hashes
/// and compares as two integers instead of hashing bytes and calling `memcmp`.
#[derive(Debug, Clone, Default)]
struct PieceMap {
    /// Keys of up to [`TINY_KEY`] bytes, folded into one word (see [`tiny`]):
    /// most lookups are short words, and slots half the size of `short`'s
    /// keep more of them in cache (lookups here wait on cache misses).
    tiny: Table<u64, u32>,
    short: Table<[u64; 2], u32>,
    long: FxHashMap<Box<[u8]>, u32>,
}

impl PieceMap {
    fn insert(&mut self, s: &str, id: u32) {
        let s = s.as_bytes();
        match pack(s, 0, s.len(), 0) {
            // The empty string packs to the table's free-slot marker; no
            // lookup asks for it.
            _ if s.is_empty() => {}
            Some(k) if s.len() <= TINY_KEY => {
                self.tiny.insert(tiny(k), id);
            }
            Some(k) => {
                self.short.insert(k, id);
            }
            None => {
                self.long.insert(s.into(), id);
            }
        }
    }

    /// The id of `b[at..at + len]`.
    #[inline(always)]
    fn get(&self, b: &[u8], at: usize, len: usize) -> Option<u32> {
        match pack(b, at, len, 0) {
            Some(k) => self.get_packed(k, len),
            None => self.long.get(&b[at..at + len]).copied(),
        }
    }

    /// The id of the string of `len` bytes that packs to `k`.
    #[inline(always)]
    fn get_packed(&self, k: [u64; 2], len: usize) -> Option<u32> {
        if len <= TINY_KEY {
            self.tiny.get(tiny(k))
        } else {
            self.short.get(k)
        }
    }
}

/// Longest string whose packed key fits one word.
const TINY_KEY: usize = 7;

/// A packed key of at most [`TINY_KEY`] bytes as one word: its bytes fill the
/// low seven bytes of `k[0]` and its length the top byte of `k[1]`, so an OR
/// keeps both (never 0: the empty string is not stored).
#[inline(always)]
fn tiny(k: [u64; 2]) -> u64 {
    k[0] | k[1]
}

#[derive(Debug, Clone)]
pub struct FastWordPiece {
    /// Full vocab: token -> id (used for the first piece of a word).
    init: PieceMap,
    /// Tokens starting with the continuing prefix, keyed without it.
    cont: PieceMap,
    max_init_len: usize,
    max_cont_len: usize,
    unk_id: u32,
    max_chars: usize,
    /// id of each ASCII punctuation char as a one-char word (unk if absent).
    ascii_punct_id: [u32; 128],
    /// Raw-text added tokens (non-normalized), leftmost-longest.
    added: Option<(AhoCorasick, Vec<u32>)>,
}

/// Word under construction.
struct WordBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
    chars: usize,
    too_long: bool,
}

impl WordBuf<'_> {
    #[inline(always)]
    fn push_ascii(&mut self, b: u8, max_chars: usize) {
        if self.chars < max_chars {
            self.buf[self.len] = b;
            self.len += 1;
            self.chars += 1;
        } else {
            self.chars += 1;
            self.too_long = true;
        }
    }
    /// [`WordBuf::push_ascii`] for each byte of a run of ASCII letters and
    /// digits, lowercased.
    #[inline]
    fn push_ascii_run(&mut self, run: &[u8], max_chars: usize) {
        let room = max_chars.saturating_sub(self.chars).min(run.len());
        for (d, &b) in self.buf[self.len..self.len + room].iter_mut().zip(run) {
            *d = b | 0x20;
        }
        self.len += room;
        self.chars += run.len();
        self.too_long |= room < run.len();
    }
    #[inline]
    fn push_char(&mut self, c: char, max_chars: usize) {
        if self.chars < max_chars {
            let n = c.encode_utf8(&mut self.buf[self.len..]).len();
            self.len += n;
            self.chars += 1;
        } else {
            self.chars += 1;
            self.too_long = true;
        }
    }
}

#[inline]
fn is_chinese_char(c: char) -> bool {
    matches!(
        c as usize,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

/// BertNormalizer::is_control (tabs/newlines are whitespace, not control).
#[inline]
fn is_control(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        _ => c.is_other(), // Cc | Cf | Co (unicode_categories tables)
    }
}

#[inline]
fn is_bert_punc(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// Chinese-char spacing as an iterator adaptor item: up to 3 chars.
#[derive(Clone, Copy)]
struct Spaced {
    chars: [char; 3],
    pos: u8,
    len: u8,
}
impl Iterator for Spaced {
    type Item = char;
    #[inline]
    fn next(&mut self) -> Option<char> {
        if self.pos < self.len {
            let c = self.chars[self.pos as usize];
            self.pos += 1;
            Some(c)
        } else {
            None
        }
    }
}

impl FastWordPiece {
    /// Build from a `tokenizers::Tokenizer` that uses
    /// `BertNormalizer(lowercase, clean_text, handle_chinese_chars, strip_accents default/true)`,
    /// `BertPreTokenizer` and `WordPiece`; `Err(String)` for any other configuration.
    pub fn from_tokenizer(tok: &Tokenizer) -> Result<Self, String> {
        match tok.get_normalizer() {
            Some(NormalizerWrapper::BertNormalizer(n)) => {
                if !(n.clean_text
                    && n.handle_chinese_chars
                    && n.lowercase
                    && n.strip_accents.unwrap_or(n.lowercase))
                {
                    return Err(format!(
                        "unsupported BertNormalizer settings: clean_text={} handle_chinese_chars={} \
                         strip_accents={:?} lowercase={} (need true,true,None|Some(true),true)",
                        n.clean_text, n.handle_chinese_chars, n.strip_accents, n.lowercase
                    ));
                }
            }
            other => {
                return Err(format!(
                    "normalizer must be BertNormalizer, found {other:?}"
                ))
            }
        }
        match tok.get_pre_tokenizer() {
            Some(PreTokenizerWrapper::BertPreTokenizer(_)) => {}
            other => {
                return Err(format!(
                    "pre_tokenizer must be BertPreTokenizer, found {other:?}"
                ))
            }
        }
        if tok.get_truncation().is_some() {
            return Err("truncation must be disabled".into());
        }
        if tok.get_padding().is_some() {
            return Err("padding must be disabled".into());
        }
        if tok.get_encode_special_tokens() {
            return Err("encode_special_tokens must be false".into());
        }
        // (A post-processor never changes ids when add_special_tokens == false.)
        let wp = match tok.get_model() {
            ModelWrapper::WordPiece(wp) => wp,
            _ => return Err("model must be WordPiece".into()),
        };
        let vocab = wp.get_vocab();
        let unk_id = *vocab
            .get(&wp.unk_token)
            .ok_or_else(|| format!("unk token {:?} not in vocab", wp.unk_token))?;
        let prefix = wp.continuing_subword_prefix.as_str();
        let max_chars = wp.max_input_chars_per_word;
        if max_chars == 0 || max_chars > STACK_WORD_BYTES / 4 {
            return Err(format!(
                "max_input_chars_per_word {max_chars} unsupported (1..={})",
                STACK_WORD_BYTES / 4
            ));
        }

        let mut init = PieceMap::default();
        let mut cont = PieceMap::default();
        let (mut max_init_len, mut max_cont_len) = (0, 0);
        // deterministic insertion order
        let mut entries: Vec<(&String, &u32)> = vocab.iter().collect();
        entries.sort_by_key(|(_, &id)| id);
        for (tokstr, &id) in entries {
            init.insert(tokstr, id);
            max_init_len = max_init_len.max(tokstr.len());
            if let Some(rest) = tokstr.strip_prefix(prefix) {
                if !rest.is_empty() {
                    cont.insert(rest, id);
                    max_cont_len = max_cont_len.max(rest.len());
                }
            }
        }

        let mut ascii_punct_id = [unk_id; 128];
        for b in 0u8..128 {
            if BYTE_CLASS[b as usize] == PUNCT {
                if let Some(id) = init.get(&[b], 0, 1) {
                    ascii_punct_id[b as usize] = id;
                }
            }
        }

        // Added tokens matched on the raw input.
        let mut added: Vec<(u32, tokenizers::AddedToken)> =
            tok.get_added_tokens_decoder().into_iter().collect();
        added.sort_by_key(|(id, _)| *id);
        let mut pats = vec![];
        let mut ids = vec![];
        for (id, t) in added {
            if t.single_word || t.lstrip || t.rstrip || t.normalized {
                return Err(format!(
                    "added token {:?} has single_word/lstrip/rstrip/normalized set; unsupported",
                    t.content
                ));
            }
            if t.content.is_empty() {
                continue;
            }
            pats.push(t.content);
            ids.push(id);
        }
        let added = if pats.is_empty() {
            None
        } else {
            let ac = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&pats)
                .map_err(|e| e.to_string())?;
            Some((ac, ids))
        };

        Ok(Self {
            init,
            cont,
            max_init_len,
            max_cont_len,
            unk_id,
            max_chars,
            ascii_punct_id,
            added,
        })
    }

    /// Append the token ids of `text` to `out`, exactly as
    /// `tok.encode(text, false).get_ids()` would produce.
    pub fn encode_into(&self, text: &str, out: &mut Vec<u32>) {
        let mut stack = [0u8; STACK_WORD_BYTES];
        let mut w = WordBuf {
            buf: &mut stack[..],
            len: 0,
            chars: 0,
            too_long: false,
        };
        match &self.added {
            None => self.encode_segment(text, &mut w, out),
            Some((ac, ids)) => {
                let mut last = 0;
                for m in ac.find_iter(text) {
                    self.encode_segment(&text[last..m.start()], &mut w, out);
                    out.push(ids[m.pattern().as_usize()]);
                    last = m.end();
                }
                self.encode_segment(&text[last..], &mut w, out);
            }
        }
    }

    /// Convenience: returns a fresh Vec.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut v = Vec::with_capacity(text.len() / 4 + 4);
        self.encode_into(text, &mut v);
        v
    }

    fn encode_segment(&self, s: &str, w: &mut WordBuf<'_>, out: &mut Vec<u32>) {
        let bytes = s.as_bytes();
        let n = bytes.len();
        let class = |i: usize| BYTE_CLASS[bytes[i] as usize];
        let mut i = 0;
        while i < n {
            match class(i) {
                WORD => {
                    let start = i;
                    // WORD is exactly the ASCII letters and digits.
                    i = skip_ascii_alnum(bytes, i + 1, n);
                    let len = i - start;
                    // Most words are a whole run of letters between spaces
                    // or punctuation, and one vocabulary entry: look the run
                    // up as it stands, lowercased in the key. (A run next to
                    // a dropped control char or a non-ASCII char may continue.)
                    let whole = w.chars == 0 && (i == n || matches!(class(i), SEP | PUNCT));
                    if whole && len <= self.max_chars {
                        if let Some(id) =
                            pack(bytes, start, len, 0x20).and_then(|k| self.init.get_packed(k, len))
                        {
                            out.push(id);
                            continue;
                        }
                    }
                    w.push_ascii_run(&bytes[start..i], self.max_chars);
                }
                SEP => {
                    self.flush(w, out);
                    i += 1;
                }
                PUNCT => {
                    self.flush(w, out);
                    out.push(self.ascii_punct_id[bytes[i] as usize]);
                    i += 1;
                }
                DROP => i += 1,
                _ => {
                    // Non-ASCII span: up to the next ASCII char that survives clean_text.
                    let start = i;
                    i += 1;
                    while i < n && matches!(class(i), DROP | NON_ASCII) {
                        i += 1;
                    }
                    self.slow_span(&s[start..i], w, out);
                }
            }
        }
        self.flush(w, out);
    }

    /// The crate's normalizer chain, literally, on a span; then the pre-tokenizer.
    #[inline(never)]
    fn slow_span(&self, span: &str, w: &mut WordBuf<'_>, out: &mut Vec<u32>) {
        let chars = span
            .chars()
            // clean_text
            .filter(|&c| !(c == '\0' || c == '\u{fffd}' || is_control(c)))
            .map(|c| {
                if c == '\t' || c == '\n' || c == '\r' || c.is_whitespace() {
                    ' '
                } else {
                    c
                }
            })
            // handle_chinese_chars
            .flat_map(|c| {
                if is_chinese_char(c) {
                    Spaced {
                        chars: [' ', c, ' '],
                        pos: 0,
                        len: 3,
                    }
                } else {
                    Spaced {
                        chars: [c, ' ', ' '],
                        pos: 0,
                        len: 1,
                    }
                }
            })
            // strip_accents: NFD then drop Mn
            .nfd()
            .map(|(c, _)| c)
            .filter(|c| !c.is_mark_nonspacing())
            // lowercase
            .flat_map(|c| c.to_lowercase());
        let max_chars = self.max_chars;
        for c in chars {
            if c.is_whitespace() {
                self.flush(w, out);
            } else if is_bert_punc(c) {
                self.flush(w, out);
                let mut tmp = [0u8; 4];
                let len = c.encode_utf8(&mut tmp).len();
                out.push(self.init.get(&tmp, 0, len).unwrap_or(self.unk_id));
            } else if c.is_ascii() {
                w.push_ascii(c as u8, max_chars);
            } else {
                w.push_char(c, max_chars);
            }
        }
    }

    /// End the word under construction, if any. Inlined: most calls (at
    /// spaces after a word found whole) have none.
    #[inline(always)]
    fn flush(&self, w: &mut WordBuf<'_>, out: &mut Vec<u32>) {
        if w.chars != 0 {
            self.end_word(w, out);
        }
    }

    #[inline(never)]
    fn end_word(&self, w: &mut WordBuf<'_>, out: &mut Vec<u32>) {
        if w.too_long {
            out.push(self.unk_id);
        } else {
            self.wordpiece(w.buf, w.len, out);
        }
        w.len = 0;
        w.chars = 0;
        w.too_long = false;
    }

    /// Greedy longest-match-first WordPiece on one (normalized, pre-tokenized) word
    /// `buf[..n]` (UTF-8) whose char count is <= max_input_chars_per_word.
    #[inline]
    fn wordpiece(&self, buf: &[u8], n: usize, out: &mut Vec<u32>) {
        // Common case: the whole word is in the vocab.
        if n <= self.max_init_len {
            if let Some(id) = self.init.get(buf, 0, n) {
                out.push(id);
                return;
            }
        }
        // Not inside a char's UTF-8 encoding (not a continuation byte).
        let is_char_boundary = |i: usize| i >= n || (buf[i] as i8) >= -0x40;
        let mark = out.len();
        let mut start = 0;
        while start < n {
            let (map, maxlen) = if start == 0 {
                (&self.init, self.max_init_len)
            } else {
                (&self.cont, self.max_cont_len)
            };
            let mut end = n.min(start + maxlen);
            while !is_char_boundary(end) {
                end -= 1;
            }
            let mut found = None;
            while end > start {
                if let Some(id) = map.get(buf, start, end - start) {
                    found = Some(id);
                    break;
                }
                end -= 1;
                while !is_char_boundary(end) {
                    end -= 1;
                }
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(mark);
                    out.push(self.unk_id);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_bytes_are_the_ascii_letters_and_digits() {
        // encode_segment skips WORD runs with `skip_ascii_alnum`.
        for b in 0..=255u8 {
            assert_eq!(
                BYTE_CLASS[b as usize] == WORD,
                b.is_ascii_alphanumeric(),
                "byte {b}"
            );
        }
    }
}
