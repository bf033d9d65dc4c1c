//! Whole-word phrase matching for a fixed phrase set (gazetteer names, speech cues).
//!
//! Matches only count on word boundaries, so instead of running an
//! Aho-Corasick automaton over every byte (about 18 instructions a byte), the
//! phrases go into a byte trie (a double array) that is asked for the longest
//! phrase at each position where a word character follows a non-word
//! character: about one short lookup per word. [`crate::words::words_and_starts`] gives those
//! positions as a by-product of the word scan.
//!
//! The result is Aho-Corasick `LeftmostLongest` followed by a whole-word filter
//! (no letter or digit right before or after the match), restricted to matches
//! that start at a given position: at each start the longest phrase is chosen,
//! dropped if it is not a whole word, and starts inside it are skipped, as the
//! automaton's non-overlapping search resumes after its match. The automaton
//! also sees matches that start inside a word; such a match is never a whole
//! word, but if it runs past the word's end (a phrase with a space or hyphen) it
//! can hide a whole-word match after it. The trie does not reproduce that: on
//! a 40 MB news corpus it changes 6 of 76,876 statements, all in glued link
//! text ("TrumpKamala Harris", where "Kamala Harris" used to hide "Harris").

use std::ops::Range;

use crate::table::{fib_hash, BitFilter};

/// A phrase set cannot hold the empty phrase: it would match between any two characters.
#[derive(Debug, thiserror::Error)]
#[error("empty phrase (number {0})")]
pub struct EmptyPhrase(pub usize);

const NONE: u32 = u32::MAX;

/// A cell of the double array: the children of the node in cell `n` are in
/// cells `n.base + class(byte)`, each marked as such by `check == n`. One add,
/// one load and one compare per byte, with no search among siblings.
#[derive(Debug, Clone, Copy)]
struct Cell {
    base: u32,
    /// The parent's cell, or `NONE` for a free cell.
    check: u32,
    /// The phrase that ends here, or `NONE`.
    phrase: u32,
}

#[derive(Debug, Clone)]
pub struct Trie {
    /// Byte -> class 1..=k of the bytes that occur in phrases (after ASCII case
    /// folding, if asked for); 0 for the rest, which no node has a child for.
    /// UTF-8 never uses 13 byte values, so k fits in a byte.
    class: Box<[u8; 256]>,
    /// The root is cell 0.
    cells: Vec<Cell>,
    /// Some phrase starts with a non-word character, so word starts do not find
    /// all its matches and every character boundary has to be tried.
    nonword_first: bool,
    /// A filter on the first three bytes: it holds [`Trie::prefix_hash`] of
    /// `class(a), class(b), class(c)` when some phrase starts with `a b c` (or
    /// is `a b` or `a`, followed by anything). Most word starts fail this one
    /// test (8 KB) instead of a walk whose end the branch predictor cannot
    /// guess; a few pass that the walk then rejects.
    prefixes: BitFilter,
    stride: u32,
}

impl Trie {
    /// A trie for `phrases`; a phrase's number is its index. Of two phrases
    /// that are equal (after case folding) the first is reported.
    pub fn new<S: AsRef<str>>(
        phrases: &[S],
        ascii_case_insensitive: bool,
    ) -> Result<Self, EmptyPhrase> {
        let fold = |b: u8| {
            if ascii_case_insensitive {
                b.to_ascii_lowercase()
            } else {
                b
            }
        };
        // A plain trie first: children by folded byte; parents come before children.
        let mut kids: Vec<Vec<(u8, usize)>> = vec![Vec::new()];
        let mut phrase_of = vec![NONE];
        let mut nonword_first = false;
        for (n, p) in phrases.iter().enumerate() {
            let p = p.as_ref();
            let first = p.chars().next().ok_or(EmptyPhrase(n))?;
            nonword_first |= !first.is_alphanumeric();
            let mut node = 0;
            for &b in p.as_bytes() {
                let b = fold(b);
                node = match kids[node].iter().find(|e| e.0 == b) {
                    Some(e) => e.1,
                    None => {
                        let child = kids.len();
                        kids[node].push((b, child));
                        kids.push(Vec::new());
                        phrase_of.push(NONE);
                        child
                    }
                };
            }
            if phrase_of[node] == NONE {
                phrase_of[node] = n as u32;
            }
        }
        let mut class = [0u8; 256];
        for &(b, _) in kids.iter().flatten() {
            class[b as usize] = 1;
        }
        let mut k = 0;
        for c in class.iter_mut().filter(|c| **c != 0) {
            k += 1;
            *c = k;
        }
        for b in 0..=255u8 {
            class[b as usize] = class[fold(b) as usize];
        }
        // Place each node's children at the first base where their cells are all free.
        let free = Cell {
            base: 0,
            check: NONE,
            phrase: NONE,
        };
        // The root: taken, and nobody's child.
        let mut cells = vec![Cell {
            check: NONE - 1,
            ..free
        }];
        let mut cell_of = vec![0usize; kids.len()];
        let mut first_free = 1;
        for (node, ks) in kids.iter().enumerate() {
            let Some(min) = ks.iter().map(|e| class[e.0 as usize] as usize).min() else {
                continue;
            };
            let taken = |cells: &Vec<Cell>, i: usize| cells.get(i).is_some_and(|c| c.check != NONE);
            let mut base = first_free.max(min) - min;
            while ks
                .iter()
                .any(|e| taken(&cells, base + class[e.0 as usize] as usize))
            {
                base += 1;
            }
            cells[cell_of[node]].base = base as u32;
            for &(b, child) in ks {
                let i = base + class[b as usize] as usize;
                if cells.len() <= i {
                    cells.resize(i + 1, free);
                }
                cells[i] = Cell {
                    base: 0,
                    check: cell_of[node] as u32,
                    phrase: phrase_of[child],
                };
                cell_of[child] = i;
            }
            while taken(&cells, first_free) {
                first_free += 1;
            }
        }
        // Every base + class is a cell, so a lookup never indexes past the end.
        let max_base = cells.iter().map(|c| c.base as usize).max().unwrap_or(0);
        cells.resize(cells.len().max(max_base + k as usize + 1), free);
        let stride = u32::from(k) + 1;
        let mut prefixes = BitFilter::with_bits(1 << 16);
        let all = 0..stride;
        for p in phrases {
            let c: Vec<u32> = p
                .as_ref()
                .bytes()
                .take(3)
                .map(|b| class[b as usize].into())
                .collect();
            let one = |i: usize| c.get(i).map_or(all.clone(), |&x| x..x + 1);
            for c1 in one(1) {
                for c2 in one(2) {
                    prefixes.insert(Self::prefix_hash(stride, c[0], c1, c2));
                }
            }
        }
        Ok(Trie {
            class: Box::new(class),
            cells,
            nonword_first,
            prefixes,
            stride,
        })
    }

    /// The longest phrase that matches `text` at `p`: its end and number.
    #[inline(always)]
    pub fn longest_at(&self, text: &[u8], p: usize) -> Option<(usize, usize)> {
        let (cells, class) = (&self.cells[..], &self.class);
        let (mut node, mut base) = (0, cells[0].base);
        let (mut end, mut phrase) = (0, NONE);
        let mut i = p;
        while let Some(&b) = text.get(i) {
            let next = base + class[b as usize] as u32;
            let cell = &cells[next as usize];
            if cell.check != node {
                break;
            }
            i += 1;
            if cell.phrase != NONE {
                (end, phrase) = (i, cell.phrase);
            }
            (node, base) = (next, cell.base);
        }
        (phrase != NONE).then_some((end, phrase as usize))
    }

    /// The hash of the classes of a three-byte prefix, for `prefixes`.
    #[inline(always)]
    fn prefix_hash(stride: u32, c0: u32, c1: u32, c2: u32) -> u64 {
        fib_hash(u64::from((c0 * stride + c1) * stride + c2))
    }

    /// Whether a phrase may start at `text[p]` (`p` in bounds): see `prefixes`.
    #[inline(always)]
    fn may_start_at(&self, text: &[u8], p: usize) -> bool {
        let class = |i: usize| {
            text.get(i)
                .map_or(0, |&b| u32::from(self.class[b as usize]))
        };
        self.prefixes.may_contain(Self::prefix_hash(
            self.stride,
            class(p),
            class(p + 1),
            class(p + 2),
        ))
    }

    /// The number of the phrase equal to `s`, if any.
    pub fn get(&self, s: &str) -> Option<usize> {
        self.longest_at(s.as_bytes(), 0)
            .filter(|&(end, _)| end == s.len())
            .map(|m| m.1)
    }

    /// Whole-word matches in `text` that start at one of `starts` (ascending
    /// positions where a word character follows a non-word character, see the
    /// module notes), left to right: `f(range, phrase)`.
    pub fn for_each_word_match(
        &self,
        text: &str,
        starts: &[usize],
        f: impl FnMut(Range<usize>, usize),
    ) {
        if self.nonword_first {
            self.for_each_match(text, text.char_indices().map(|c| c.0), f)
        } else {
            self.for_each_match(text, starts.iter().copied(), f)
        }
    }

    /// Whole-word matches trying every character boundary: exactly Aho-Corasick
    /// `LeftmostLongest` plus the whole-word filter, at a lookup per character.
    pub fn for_each_match_anywhere(&self, text: &str, f: impl FnMut(Range<usize>, usize)) {
        self.for_each_match(text, text.char_indices().map(|c| c.0), f)
    }

    fn for_each_match(
        &self,
        text: &str,
        starts: impl Iterator<Item = usize>,
        mut f: impl FnMut(Range<usize>, usize),
    ) {
        let b = text.as_bytes();
        let mut resume = 0;
        for p in starts {
            if p < resume || !self.may_start_at(b, p) {
                continue;
            }
            let Some((end, phrase)) = self.longest_at(b, p) else {
                continue;
            };
            // The longest match is taken even when it is not a whole word, as the
            // automaton's non-overlapping search does: it hides shorter ones.
            resume = end;
            if whole_word(text, &(p..end)) {
                f(p..end, phrase);
            }
        }
    }
}

/// Whether no letter or digit comes right before or right after `r`.
fn whole_word(text: &str, r: &Range<usize>) -> bool {
    text[..r.start]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
        && text[r.end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words_and_starts;
    use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
    use proptest::prelude::*;

    fn ac(phrases: &[String], fold: bool) -> AhoCorasick {
        AhoCorasick::builder()
            .ascii_case_insensitive(fold)
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Both)
            .build(phrases)
            .unwrap()
    }

    /// What the gazetteer and cue lexicon did before: unanchored search, then the filter.
    fn ac_whole_words(ac: &AhoCorasick, text: &str) -> Vec<(Range<usize>, usize)> {
        ac.find_iter(text)
            .map(|m| (m.range(), m.pattern().as_usize()))
            .filter(|(r, _)| whole_word(text, r))
            .collect()
    }

    fn collect(f: impl FnOnce(&mut dyn FnMut(Range<usize>, usize))) -> Vec<(Range<usize>, usize)> {
        let mut v = Vec::new();
        f(&mut |r, p| v.push((r, p)));
        v
    }

    #[test]
    fn longest_and_exact() {
        let t = Trie::new(&["said", "said that", "Said", "according to"], true).unwrap();
        let text = "He SAID THAT, according to X, saids said";
        let m = collect(|f| t.for_each_match_anywhere(text, f));
        assert_eq!(m, [(3..12, 1), (14..26, 3), (36..40, 0)]);
        assert_eq!(t.get("Said that"), Some(1));
        assert_eq!(t.get("sai"), None);
        assert!(Trie::new(&["a", ""], false).is_err());
    }

    #[test]
    fn longest_match_that_is_not_a_word_hides_shorter() {
        // "ab" at 0 is followed by a letter, and it hides "a" as the automaton does.
        let t = Trie::new(&["a", "ab"], false).unwrap();
        assert!(collect(|f| t.for_each_match_anywhere("abc a", f)) == [(4..5, 0)]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn same_as_aho_corasick(
            phrases in prop::collection::vec("([abAB1 \\-']|é|’){1,4}", 1..6),
            text in "([abAB1 \\-',.]|é|É|’|—){0,40}",
            fold: bool,
        ) {
            let a = ac(&phrases, fold);
            let t = Trie::new(&phrases, fold).unwrap();
            // Every boundary tried: the automaton's result exactly.
            let anywhere = collect(|f| t.for_each_match_anywhere(&text, f));
            prop_assert_eq!(&anywhere, &ac_whole_words(&a, &text));

            // Word starts only: the automaton anchored at those starts.
            let (_, starts) = words_and_starts(&text, 0..text.len());
            let mut anchored = Vec::new();
            let mut resume = 0;
            for &p in &starts {
                if p < resume { continue; }
                if let Some(m) = a.find(Input::new(&text).range(p..).anchored(Anchored::Yes)) {
                    resume = m.end();
                    if whole_word(&text, &m.range()) {
                        anchored.push((m.range(), m.pattern().as_usize()));
                    }
                }
            }
            let at_starts = collect(|f| t.for_each_word_match(&text, &starts, f));
            if t.nonword_first {
                prop_assert_eq!(&at_starts, &anywhere);
            } else {
                prop_assert_eq!(&at_starts, &anchored);
            }
            // A phrase of word characters only cannot run from inside one word
            // past its end, so nothing is hidden and the results agree exactly.
            if phrases.iter().all(|p| p.chars().all(char::is_alphanumeric)) {
                prop_assert_eq!(&at_starts, &anywhere);
            }
        }
    }
}
