//! Stage 3: actor mentions, speaker attribution and actor resolution.
//!
//! Mentions come from the gazetteer and from capitalised word runs analysed
//! with a small vocabulary (`names.tsv`: titles, role nouns, organisation
//! heads, demonyms, words that are never names). Within an article, surnames
//! resolve to the full name seen for them, pronouns to the last compatible
//! actor, and role nouns ("the president") to the last person with that role.

use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;

use std::ops::Range;
use std::path::Path;

use crate::error::{Error, Result};
use crate::gazetteer::{ActorKind, Gazetteer};
use crate::segment::Segmented;
use crate::words::{words_and_starts_into, Word, WordClasses};

/// The vocabulary used to read names: `models/default/names.tsv` and the
/// built-in word lists below, one table of classes, so that reading a name
/// looks each word up once. Words match in any case.
#[derive(Debug, Clone)]
pub struct NameVocab {
    classes: WordClasses,
}

/// Words that introduce a person's name ("president", "mr.", "leader").
const TITLE: u16 = 1;
/// Nouns that stand for a person in "the president said".
const ROLE: u16 = 2;
/// Heads of organisation names ("ministry", "party").
const ORG_HEAD: u16 = 4;
/// Heads of place names ("street", "palace"): such runs are not actors.
const PLACE: u16 = 8;
/// Nationality adjectives ("French"): part of a title phrase, never a name.
const DEMONYM: u16 = 16;
/// Capitalised words that are never names (days, months, sentence adverbs).
const SKIP: u16 = 32;
/// Built in: lower-case function words, capitalised only at a sentence start.
const FUNCTION: u16 = 64;
/// Built in: words allowed between a subject and its cue ("has", "also").
const AUX: u16 = 128;
/// Built in: prepositions, which make the next phrase a non-subject.
const PREPOSITION: u16 = 256;
/// Built in: "he", "she": stand for the last person named.
const PERSON_PRONOUN: u16 = 512;
/// Built in: "they", "it": stand for the last organisation, state or outlet named.
const GROUP_PRONOUN: u16 = 1024;

impl NameVocab {
    pub fn parse(path: &Path, content: &str) -> Result<Self> {
        let mut v = NameVocab {
            classes: WordClasses::default(),
        };
        for (n, line) in content.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, kind) = line
                .split_once('\t')
                .ok_or_else(|| Error::data(path, n + 1, "expected word<TAB>type"))?;
            let class = match kind.trim() {
                "title" => TITLE,
                "role" => ROLE,
                "org" => ORG_HEAD,
                "place" => PLACE,
                "demonym" => DEMONYM,
                "skip" => SKIP,
                other => {
                    return Err(Error::data(
                        path,
                        n + 1,
                        format!("unknown type {other:?} (title, role, org, place, demonym, skip)"),
                    ))
                }
            };
            v.classes.insert(word.trim().to_lowercase(), class);
        }
        for (words, class) in [
            (FUNCTION_WORDS, FUNCTION),
            (AUX_WORDS, AUX),
            (PREPOSITIONS, PREPOSITION),
            (&["he", "she"], PERSON_PRONOUN),
            (&["they", "it"], GROUP_PRONOUN),
        ] {
            for w in words {
                v.classes.insert(w.to_string(), class);
            }
        }
        Ok(v)
    }

    /// The classes (bit flags; 0: none) of the word `w` of `text`.
    fn of(&self, text: &str, w: &Word) -> u16 {
        self.classes.of_in(text, w.range.clone())
    }
    /// Whether `w` has one of `classes`.
    fn is(&self, text: &str, w: &Word, classes: u16) -> bool {
        self.of(text, w) & classes != 0
    }
    /// Auxiliaries and adverbs ("has", "also", "repeatedly").
    fn is_aux(&self, text: &str, w: &Word) -> bool {
        let b = w.text(text).as_bytes();
        self.is(text, w, AUX) || (b.len() > 4 && b[b.len() - 2..].eq_ignore_ascii_case(b"ly"))
    }
}

/// A speaker as reported in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaker {
    pub name: String,
    pub kind: ActorKind,
}

/// An actor mention in the article.
#[derive(Debug, Clone)]
pub struct Mention {
    /// The name itself, without any title.
    pub name_range: Range<usize>,
    /// The name with its title phrase ("French President Emmanuel Macron").
    pub full: Range<usize>,
    /// Canonical or resolved name.
    pub name: String,
    pub kind: ActorKind,
    /// Lower-case title or role words seen with the name ("president").
    pub role: Option<String>,
    pub possessive: bool,
    pub in_quote: bool,
}

/// Speaker lookups for one article.
pub struct Actors<'a> {
    text: &'a str,
    /// Every word of the article, computed once and shared by all lookups.
    ws: Vec<Word>,
    /// Where words (and parts after inner joiners) start: where phrases are looked up.
    starts: Vec<usize>,
    pub mentions: Vec<Mention>,
    vocab: &'a NameVocab,
}

/// Prepositions: a phrase right after one is not a subject.
const PREPOSITIONS: &[&str] = &[
    "in", "at", "from", "on", "to", "for", "of", "with", "about", "against", "after", "before",
    "during", "over", "under", "into", "near", "toward", "towards", "than", "like", "between",
    "among", "via", "without", "through",
];

/// Words allowed between a subject and its cue (with adverbs in -ly).
const AUX_WORDS: &[&str] = &[
    "has",
    "have",
    "had",
    "was",
    "were",
    "is",
    "are",
    "be",
    "been",
    "being",
    "will",
    "would",
    "also",
    "meanwhile",
    "later",
    "then",
    "again",
    "once",
    "previously",
    "reportedly",
    "already",
    "still",
    "too",
    "both",
    "all",
    "who",
    "which",
    "had",
    "did",
    "does",
    "do",
    "not",
    "never",
    "just",
    "now",
    "today",
    "yesterday",
    "recently",
    "earlier",
    "publicly",
    "privately",
];

/// Lower-case function words that are capitalised only because they start a sentence.
const FUNCTION_WORDS: &[&str] = &[
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

/// Lower-case particles allowed inside a name ("Charles de Gaulle", "bin Salman").
fn is_particle(w: &str) -> bool {
    matches!(
        w,
        "de" | "van"
            | "von"
            | "bin"
            | "al"
            | "da"
            | "di"
            | "del"
            | "der"
            | "la"
            | "le"
            | "du"
            | "dos"
            | "el"
            | "ibn"
            | "ben"
    )
}

/// The word index buffers of an [`Actors`], kept between articles by
/// [`Actors::analyse_with`]: a fresh pair per article costs allocations and
/// page faults (freed memory goes back to the system at once, see `main.rs`).
#[derive(Debug, Default)]
pub struct WordBufs {
    ws: Vec<Word>,
    starts: Vec<usize>,
}

impl WordBufs {
    /// Buffers of articles longer than this many words are not kept.
    const KEEP_WORDS: usize = 1 << 16;
}

impl<'a> Actors<'a> {
    /// Find and resolve every actor mention in `text`.
    pub fn analyse(text: &'a str, seg: &Segmented, gaz: &Gazetteer, vocab: &'a NameVocab) -> Self {
        Self::analyse_with(text, seg, gaz, vocab, WordBufs::default())
    }

    /// [`Actors::analyse`] reusing `bufs` (see [`Actors::into_bufs`]).
    pub fn analyse_with(
        text: &'a str,
        seg: &Segmented,
        gaz: &Gazetteer,
        vocab: &'a NameVocab,
        bufs: WordBufs,
    ) -> Self {
        let WordBufs { mut ws, mut starts } = bufs;
        words_and_starts_into(text, 0..text.len(), &mut ws, &mut starts);
        let hits = gaz.find_at(text, &starts);
        let mut mentions = Vec::new();
        let mut h = 0;
        let mut i = 0;
        while i < ws.len() {
            let w = &ws[i];
            while h < hits.len() && hits[h].start < w.range.start {
                h += 1;
            }
            if let Some(hit) = hits.get(h).filter(|hit| hit.start == w.range.start) {
                let mut j = i;
                while j + 1 < ws.len() && ws[j + 1].range.start < hit.end {
                    j += 1;
                }
                let entry = gaz.entry(hit.entry);
                // "US President Trump", "Kremlin spokesman Dmitry Peskov": an actor
                // before a title qualifies the title rather than being a mention.
                if !(entry.kind != ActorKind::Person && qualifies_title(text, &ws, j, vocab)) {
                    let (full_start, role) = title_before(text, &ws, i, vocab);
                    mentions.push(Mention {
                        name_range: hit.start..hit.end,
                        full: full_start..hit.end,
                        name: entry.canonical.clone(),
                        kind: entry.kind,
                        role,
                        possessive: ws[j].possessive,
                        in_quote: seg.in_quote(hit.start),
                    });
                }
                i = j + 1;
                continue;
            }
            if !w.capitalized {
                i += 1;
                continue;
            }
            // A run of capitalised words (with particles), joined only by spaces.
            let mut j = i;
            while j + 1 < ws.len()
                && !ws[j].punct_after
                && !ws[j].possessive
                && contiguous(text, &ws[j], &ws[j + 1])
            {
                let n = &ws[j + 1];
                if hits.get(h).is_some_and(|hit| hit.start == n.range.start) {
                    break;
                }
                let nt = n.text(text);
                if n.capitalized
                    || (is_particle(nt) && ws.get(j + 2).is_some_and(|m| m.capitalized))
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if !qualifies_title(text, &ws, j, vocab) {
                if let Some(m) = analyse_run(text, &ws, i, j, vocab, seg) {
                    mentions.push(m);
                }
            }
            i = j + 1;
        }
        // A title phrase may reach back over the previous mention ("Xi leader Tusk"):
        // cut it at the next word after that mention, so mentions stay ordered and
        // disjoint, as the lookups' binary searches require.
        let mut prev_end = 0;
        for m in &mut mentions {
            if m.full.start < prev_end {
                let k = ws.partition_point(|w| w.range.start < prev_end);
                m.full.start = ws.get(k).map_or(m.name_range.start, |w| {
                    w.range.start.min(m.name_range.start)
                });
            }
            prev_end = m.full.end;
        }
        let mut actors = Actors {
            text,
            ws,
            starts,
            mentions,
            vocab,
        };
        actors.resolve_surnames(gaz);
        actors
    }

    /// The buffers to pass to the next [`Actors::analyse_with`] (empty ones after a very long article).
    pub fn into_bufs(self) -> WordBufs {
        if self.ws.capacity() > WordBufs::KEEP_WORDS {
            return WordBufs::default();
        }
        WordBufs {
            ws: self.ws,
            starts: self.starts,
        }
    }

    /// Word starts in the whole article, see [`crate::words::words_and_starts`].
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// The article's words that lie wholly inside `r`.
    pub fn words_in(&self, r: Range<usize>) -> &[Word] {
        let a = self.ws.partition_point(|w| w.range.start < r.start);
        let b = self.ws.partition_point(|w| w.range.end <= r.end);
        &self.ws[a..b.max(a)]
    }

    /// Give one-word person names the full name seen nearest before (else after) them.
    fn resolve_surnames(&mut self, gaz: &Gazetteer) {
        let mut full: HashMap<String, Vec<(usize, String)>> = HashMap::default();
        for m in &self.mentions {
            if m.kind == ActorKind::Person && m.name.contains(' ') {
                let last = m.name.rsplit(' ').next().unwrap_or(&m.name).to_string();
                full.entry(last)
                    .or_default()
                    .push((m.name_range.start, m.name.clone()));
            }
        }
        for m in &mut self.mentions {
            let written = &self.text[m.name_range.clone()];
            let single =
                !written.contains(' ') && matches!(m.kind, ActorKind::Person | ActorKind::Unknown);
            if !single {
                continue;
            }
            if let Some(cands) = full.get(written) {
                let pick = cands
                    .iter()
                    .rev()
                    .find(|(p, _)| *p < m.name_range.start)
                    .or(cands.first());
                if let Some((_, name)) = pick {
                    m.name = name.clone();
                    m.kind = ActorKind::Person;
                }
            } else if let Some(e) = gaz.lookup(written) {
                m.name = e.canonical.clone();
                m.kind = e.kind;
            }
        }
    }

    /// The speaker(s) named in `region`, which ends right before a cue verb.
    /// Returns the speakers and the byte range they span.
    pub fn subject_before(&self, region: Range<usize>) -> Option<(Vec<Speaker>, Range<usize>)> {
        let items = self.items(region.clone());
        let ws = self.words_in(region.clone());
        let word_index = |pos: usize| {
            ws.iter()
                .position(|w| w.range.start >= pos)
                .unwrap_or(ws.len())
        };
        let candidates: Vec<usize> = (0..items.len())
            .filter(|&k| {
                let wi = word_index(items[k].range.start);
                !(wi > 0 && self.vocab.is(self.text, &ws[wi - 1], PREPOSITION))
            })
            .collect();
        let first = *candidates.first()?;
        let head = if word_index(items[first].range.start) < 4 {
            first
        } else {
            *candidates.last()?
        };
        // The rest of the region after the head must not be a new clause with its own subject:
        // the head is followed only by coordinated actors, an appositive or auxiliaries.
        let mut chain = vec![head];
        let mut k = head;
        while k + 1 < items.len()
            && self.is_coordination(items[k].range.end..items[k + 1].range.start)
        {
            k += 1;
            chain.push(k);
        }
        let mut speakers = Vec::new();
        for &c in &chain {
            for s in self.resolve_item(&items[c]) {
                if !speakers.contains(&s) {
                    speakers.push(s);
                }
            }
        }
        if speakers.is_empty() {
            return None;
        }
        Some((speakers, items[head].range.start..items[k].range.end))
    }

    /// The speaker right after a cue: `said Macron`, `said the minister`.
    pub fn subject_after(&self, after_cue: Range<usize>) -> Option<(Vec<Speaker>, Range<usize>)> {
        let ws = self.words_in(after_cue.clone());
        let first = ws.first()?;
        // Only white space, or a comma, may separate the cue from the speaker.
        let gap = &self.text[after_cue.start..first.range.start];
        if !gap.chars().all(|c| c.is_whitespace() || c == ',') {
            return None;
        }
        let items = self.items(after_cue);
        let item = items
            .first()
            .filter(|it| it.range.start == first.range.start)?;
        let speakers = self.resolve_item(item);
        (!speakers.is_empty()).then(|| (speakers, item.range.clone()))
    }

    /// All actors in `range` (for "according to X" and "X: ..."), first one first.
    pub fn first_actor_in(&self, range: Range<usize>) -> Option<(Vec<Speaker>, Range<usize>)> {
        let items = self.items(range);
        items.iter().find_map(|it| {
            let s = self.resolve_item(it);
            (!s.is_empty()).then(|| (s, it.range.clone()))
        })
    }

    /// Whether the text between two items only joins them: "A, B and C", "A, joined by B".
    fn is_coordination(&self, gap: Range<usize>) -> bool {
        let g = &self.text[gap];
        !g.trim().is_empty()
            && g.split(',').all(|p| {
                matches!(
                    p.trim(),
                    "" | "and"
                        | "joined by"
                        | "along with"
                        | "together with"
                        | "as well as"
                        | "alongside"
                )
            })
    }

    fn resolve_item(&self, item: &Item) -> Vec<Speaker> {
        match &item.what {
            ItemKind::Mention(m) => {
                let m = &self.mentions[*m];
                vec![Speaker {
                    name: m.name.clone(),
                    kind: m.kind,
                }]
            }
            ItemKind::Pronoun(person) => self
                .last_actor_before(item.range.start, |m| {
                    if *person {
                        m.kind == ActorKind::Person
                    } else {
                        matches!(
                            m.kind,
                            ActorKind::Organisation | ActorKind::State | ActorKind::Media
                        )
                    }
                })
                .into_iter()
                .collect(),
            ItemKind::Role(role) => {
                let found = self.last_actor_before(item.range.start, |m| {
                    m.kind == ActorKind::Person
                        && m.role
                            .as_deref()
                            .is_some_and(|r| r.ends_with(role.as_str()))
                });
                vec![found.unwrap_or_else(|| Speaker {
                    name: self.text[item.range.clone()].to_string(),
                    kind: ActorKind::Person,
                })]
            }
            ItemKind::Group(kind) => vec![Speaker {
                name: self.text[item.range.clone()].to_string(),
                kind: *kind,
            }],
        }
    }

    fn last_actor_before(&self, pos: usize, ok: impl Fn(&Mention) -> bool) -> Option<Speaker> {
        let before = self.mentions.iter().take_while(|m| m.full.start < pos);
        // Mentions outside quotes first: a name inside a quote is rarely the antecedent.
        let pick = before
            .clone()
            .filter(|m| !m.in_quote && ok(m))
            .last()
            .or_else(|| before.filter(|m| ok(m)).last());
        pick.map(|m| Speaker {
            name: m.name.clone(),
            kind: m.kind,
        })
    }

    /// Subject-like items in a range: mentions, pronouns, role nouns, possessive groups.
    fn items(&self, range: Range<usize>) -> Vec<Item> {
        let ws = self.words_in(range.clone());
        let mut out = Vec::new();
        let mut mi = self.mentions.partition_point(|m| m.full.end <= range.start);
        let mut i = 0;
        while i < ws.len() {
            let w = &ws[i];
            while mi < self.mentions.len() && self.mentions[mi].full.start < w.range.start {
                mi += 1;
            }
            if let Some(m) = self
                .mentions
                .get(mi)
                .filter(|m| m.full.start == w.range.start && m.full.end <= range.end)
            {
                let mut end_word = i;
                while end_word + 1 < ws.len() && ws[end_word + 1].range.end <= m.full.end {
                    end_word += 1;
                }
                if m.possessive {
                    // "Israel's foreign ministry", "Kiev's top European allies".
                    if let Some(item) = self.possessive_group(ws, end_word + 1, w.range.start) {
                        i = item.1;
                        out.push(item.0);
                        continue;
                    }
                }
                if m.kind != ActorKind::Unknown
                    || !self
                        .vocab
                        .classes
                        .is(&self.text[m.name_range.clone()], DEMONYM)
                {
                    out.push(Item {
                        range: m.full.clone(),
                        what: ItemKind::Mention(mi),
                    });
                }
                i = end_word + 1;
                continue;
            }
            let t = w.text(self.text);
            // Pronouns have two to four letters: other words need no lookup.
            let pronoun = if (2..=4).contains(&t.len()) {
                self.vocab.of(self.text, w) & (PERSON_PRONOUN | GROUP_PRONOUN)
            } else {
                0
            };
            if pronoun != 0 {
                out.push(Item {
                    range: w.range.clone(),
                    what: ItemKind::Pronoun(pronoun == PERSON_PRONOUN),
                });
            } else if matches!(t, "the" | "The" | "a" | "A") {
                // "the president", "the prime minister", "a spokesman".
                let mut j = i + 1;
                // Modifiers before the role noun: "the former prime minister", "the British producer".
                let class = |w: &Word| self.vocab.of(self.text, w);
                while j < ws.len() && class(&ws[j]) & ROLE == 0 && {
                    let c = class(&ws[j]);
                    (!ws[j].capitalized && c & TITLE != 0) || c & DEMONYM != 0
                } {
                    j += 1;
                }
                if let Some(r) = ws.get(j).filter(|r| class(r) & ROLE != 0) {
                    // Matched against earlier titles by its head noun.
                    let role = r.text(self.text).to_lowercase();
                    out.push(Item {
                        range: w.range.start..r.range.end,
                        what: ItemKind::Role(role),
                    });
                    i = j + 1;
                    continue;
                }
            }
            i += 1;
        }
        out
    }

    /// A possessive mention followed by lower-case words up to a stop: a group or office.
    fn possessive_group(&self, ws: &[Word], from: usize, start: usize) -> Option<(Item, usize)> {
        let mut j = from;
        while j < ws.len() {
            let v = self.vocab;
            if v.is_aux(self.text, &ws[j]) || v.is(self.text, &ws[j], FUNCTION) || ws[j].possessive
            {
                break;
            }
            j += 1;
            if ws[j - 1].punct_after {
                break;
            }
        }
        if j == from {
            return None;
        }
        let head = self.vocab.of(self.text, &ws[j - 1]);
        let kind = if head & ORG_HEAD != 0 {
            ActorKind::Organisation
        } else if head & ROLE != 0 {
            ActorKind::Person
        } else {
            ActorKind::Group
        };
        Some((
            Item {
                range: start..ws[j - 1].range.end,
                what: ItemKind::Group(kind),
            },
            j,
        ))
    }
}

struct Item {
    range: Range<usize>,
    what: ItemKind,
}

enum ItemKind {
    Mention(usize),
    /// true: he/she; false: they/it.
    Pronoun(bool),
    Role(String),
    Group(ActorKind),
}

/// Whether word `j` is directly followed by a title word and then a capitalised
/// name ("Opposition leader Alice Weidel"): then it only qualifies the title.
fn qualifies_title(text: &str, ws: &[Word], j: usize, vocab: &NameVocab) -> bool {
    if ws[j].possessive || ws[j].punct_after {
        return false;
    }
    let mut k = j + 1;
    while k < ws.len() && vocab.is(text, &ws[k], TITLE) && contiguous(text, &ws[k - 1], &ws[k]) {
        k += 1;
    }
    k > j + 1
        && ws
            .get(k)
            .is_some_and(|n| n.capitalized && contiguous(text, &ws[k - 1], n))
}

/// Whether at most two bytes of spaces and periods, or one no-break space, separate `a` and `b`.
fn contiguous(text: &str, a: &Word, b: &Word) -> bool {
    let space = |c: &u8| matches!(c, b' ' | b'.');
    match &text.as_bytes()[a.range.end..b.range.start] {
        gap @ ([] | [_] | [_, _]) if gap.iter().all(space) => true,
        gap => gap == "\u{a0}".as_bytes(),
    }
}

/// Walk back from word `i` over a title phrase ("German Chancellor", "Polish leader").
fn title_before(text: &str, ws: &[Word], i: usize, vocab: &NameVocab) -> (usize, Option<String>) {
    let mut k = i;
    let mut role_end = None;
    while k > 0
        && contiguous(text, &ws[k - 1], &ws[k])
        && !ws[k - 1].punct_after
        && !ws[k - 1].possessive
    {
        let c = vocab.of(text, &ws[k - 1]);
        if c & TITLE != 0 {
            role_end.get_or_insert(k - 1);
            k -= 1;
        } else if role_end.is_some()
            && (ws[k - 1].capitalized && c & FUNCTION == 0 || c & DEMONYM != 0)
        {
            k -= 1;
        } else if role_end.is_some()
            && ws[k - 1].text(text) == "of"
            && k >= 2
            && vocab.is(text, &ws[k - 2], TITLE)
        {
            k -= 1; // "Secretary of State John Kerry"
        } else {
            break;
        }
    }
    let role = role_end.map(|e| {
        let first_title = (k..=e)
            .find(|&x| vocab.is(text, &ws[x], TITLE))
            .unwrap_or(e);
        text[ws[first_title].range.start..ws[e].range.end].to_lowercase()
    });
    (
        if k < i {
            ws[k].range.start
        } else {
            ws[i].range.start
        },
        role,
    )
}

/// Turn a capitalised run `ws[i..=j]` into a mention, if it names an actor.
fn analyse_run(
    text: &str,
    ws: &[Word],
    i: usize,
    j: usize,
    vocab: &NameVocab,
    seg: &Segmented,
) -> Option<Mention> {
    // Each word's classes, looked up once: the tests below ask several questions of each.
    let classes: SmallVec<[u16; 8]> = ws[i..=j].iter().map(|w| vocab.of(text, w)).collect();
    let has = |k: usize, class: u16| classes[k - i] & class != 0;
    let mut s = i;
    while s <= j && has(s, FUNCTION | SKIP) {
        s += 1;
    }
    // Title words and demonyms inside the run ("French President Emmanuel Macron").
    let last_title = (s..=j).rev().find(|&k| has(k, TITLE));
    let name_start = last_title.map_or(s, |k| k + 1);
    let mut first_name = name_start;
    while first_name <= j && has(first_name, DEMONYM) {
        first_name += 1;
    }
    if first_name > j {
        return None;
    }
    let name_words = &ws[first_name..=j];
    if (first_name..=j).all(|k| has(k, SKIP)) || has(j, PLACE) {
        return None;
    }
    let (outer_start, outer_role) = title_before(text, ws, s, vocab);
    let role = last_title
        .map(|k| {
            let first_title = (s..=k).find(|&x| has(x, TITLE)).unwrap_or(k);
            text[ws[first_title].range.start..ws[k].range.end].to_lowercase()
        })
        .or(outer_role);
    let kind = if (first_name..=j).any(|k| has(k, ORG_HEAD)) {
        ActorKind::Organisation
    } else if role.is_some() || name_words.len() >= 2 {
        ActorKind::Person
    } else {
        ActorKind::Unknown
    };
    let name_range = name_words[0].range.start..name_words[name_words.len() - 1].range.end;
    let full_start = if last_title.is_some() {
        ws[s].range.start.min(outer_start)
    } else {
        outer_start
    };
    Some(Mention {
        name: text[name_range.clone()].to_string(),
        full: full_start..name_range.end,
        name_range,
        kind,
        role,
        possessive: ws[j].possessive,
        in_quote: seg.in_quote(ws[first_name].range.start),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::segment;
    use crate::words::words;

    const VOCAB: &str = "president\ttitle\nprime\ttitle\nminister\ttitle\nchancellor\ttitle\nleader\ttitle\nmr.\ttitle\n\
president\trole\nminister\trole\nchancellor\trole\nspokesman\trole\nministry\torg\nfrench\tdemonym\ngerman\tdemonym\n\
british\tdemonym\npolish\tdemonym\nfriday\tskip\npalace\tplace\n";
    const GAZ: &str = "CNN\tmedia\t\nThe Wall Street Journal\tmedia\tWSJ\nIsrael\tstate\t\nUnited States\tstate\tUS|U.S.\n";

    fn with_actors<T>(text: &str, f: impl FnOnce(&Actors) -> T) -> T {
        let vocab = NameVocab::parse(Path::new("names.tsv"), VOCAB).unwrap();
        let gaz = Gazetteer::from_sources(&[(Path::new("g.tsv"), GAZ)]).unwrap();
        let seg = segment(text);
        let a = Actors::analyse(text, &seg, &gaz, &vocab);
        f(&a)
    }

    fn names(s: Option<(Vec<Speaker>, Range<usize>)>) -> Vec<String> {
        s.map(|(v, _)| v.into_iter().map(|s| s.name).collect())
            .unwrap_or_default()
    }

    #[test]
    fn built_in_word_lists_join_the_file_s_classes() {
        let vocab = NameVocab::parse(Path::new("names.tsv"), "after\ttitle\n").unwrap();
        let t = "The Macron After AFTER Reportedly HAS quickly fly said Against against";
        let w = words(t, 0..t.len());
        let is = |i: usize, class| vocab.is(t, &w[i], class);
        assert!(is(0, FUNCTION) && !is(1, FUNCTION));
        assert!(is(2, PREPOSITION) && is(3, TITLE));
        assert!(vocab.is_aux(t, &w[4]) && vocab.is_aux(t, &w[5]) && vocab.is_aux(t, &w[6]));
        assert!(!vocab.is_aux(t, &w[7]) && !vocab.is_aux(t, &w[8]));
        assert!(is(9, PREPOSITION) && !is(10, FUNCTION));
        let t = "He SHE they It hem";
        let w = words(t, 0..t.len());
        let is = |i: usize, class| vocab.is(t, &w[i], class);
        assert!(is(0, PERSON_PRONOUN) && is(1, PERSON_PRONOUN) && !is(0, GROUP_PRONOUN));
        assert!(is(2, GROUP_PRONOUN) && is(3, GROUP_PRONOUN) && !is(3, PERSON_PRONOUN));
        assert!(!is(4, PERSON_PRONOUN | GROUP_PRONOUN));
    }

    #[test]
    fn reused_buffers_give_what_fresh_ones_give() {
        let vocab = NameVocab::parse(Path::new("names.tsv"), VOCAB).unwrap();
        let gaz = Gazetteer::from_sources(&[(Path::new("g.tsv"), GAZ)]).unwrap();
        let long = "German Chancellor Olaf Scholz met CNN. Israel said so, and Mr. Smith agreed. "
            .repeat(20);
        let short = "Prime Minister Keir Starmer told CNN: Israel";
        let mut bufs = WordBufs::default();
        for text in [long.as_str(), short, short] {
            let seg = segment(text);
            let fresh = Actors::analyse(text, &seg, &gaz, &vocab);
            let reused = Actors::analyse_with(text, &seg, &gaz, &vocab, bufs);
            assert_eq!((&reused.ws, &reused.starts), (&fresh.ws, &fresh.starts));
            let spans = |a: &Actors| {
                a.mentions
                    .iter()
                    .map(|m| (m.full.clone(), m.name.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(spans(&reused), spans(&fresh));
            assert!(!fresh.mentions.is_empty());
            bufs = reused.into_bufs();
        }
    }

    #[test]
    fn titles_and_surnames() {
        let t = "French President Emmanuel Macron spoke. Later Macron said it.";
        with_actors(t, |a| {
            let m: Vec<_> = a
                .mentions
                .iter()
                .map(|m| (m.name.as_str(), m.role.as_deref()))
                .collect();
            assert_eq!(
                m,
                [
                    ("Emmanuel Macron", Some("president")),
                    ("Emmanuel Macron", None)
                ]
            );
            let cue = t.rfind("said").unwrap();
            assert_eq!(
                names(a.subject_before(t.find("Later").unwrap()..cue)),
                ["Emmanuel Macron"]
            );
        });
    }

    #[test]
    fn joint_subjects() {
        let t = "British Prime Minister Keir Starmer, joined by French President Emmanuel Macron, German Chancellor Friedrich Merz and Polish leader Donald Tusk, said";
        with_actors(t, |a| {
            let cue = t.rfind("said").unwrap();
            assert_eq!(
                names(a.subject_before(0..cue)),
                [
                    "Keir Starmer",
                    "Emmanuel Macron",
                    "Friedrich Merz",
                    "Donald Tusk"
                ]
            );
        });
    }

    #[test]
    fn pronouns_roles_and_groups() {
        let t = "German Chancellor Friedrich Merz met the press. He said no. The chancellor said yes. Israel's foreign ministry said nothing. In Washington, CNN said so.";
        with_actors(t, |a| {
            let cue = |n: usize| t.match_indices("said").nth(n).unwrap().0;
            let sent = |n: usize| t[..cue(n)].rfind(". ").unwrap() + 2;
            assert_eq!(names(a.subject_before(sent(0)..cue(0))), ["Friedrich Merz"]);
            assert_eq!(names(a.subject_before(sent(1)..cue(1))), ["Friedrich Merz"]);
            assert_eq!(
                names(a.subject_before(sent(2)..cue(2))),
                ["Israel's foreign ministry"]
            );
            assert_eq!(names(a.subject_before(sent(3)..cue(3))), ["CNN"]);
        });
    }

    #[test]
    fn subject_after_cue() {
        let t = "\"No,\" said Mr. Rahami. \"Yes,\" said the minister.";
        with_actors(t, |a| {
            let first = t.find("said").unwrap() + 4;
            assert_eq!(
                names(a.subject_after(first..t.find(". \"").unwrap())),
                ["Rahami"]
            );
            let second = t.rfind("said").unwrap() + 4;
            assert_eq!(
                names(a.subject_after(second..t.len() - 1)),
                ["the minister"]
            );
        });
    }

    #[test]
    fn state_before_title_is_not_a_speaker() {
        let t = "US President Donald Trump said it.";
        with_actors(t, |a| {
            assert_eq!(
                names(a.subject_before(0..t.find("said").unwrap())),
                ["Donald Trump"]
            );
        });
    }
}
