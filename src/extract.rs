//! Stage 2: statement extraction.
//!
//! Statements are found around speech cues read from `cues.tsv` (`said`,
//! `warned`, `according to`, ...): a quote next to an attributed cue is a
//! direct statement, the clause a cue governs is indirect speech, `Name: ...`
//! at the start of a paragraph is a colon statement, and an unattributed
//! quote that continues an attributed one keeps its speaker.
//!
//! Cue file format (UTF-8 TSV, `#` comments): `phrase<TAB>verb` for speech
//! verbs (`SPEAKER said ...`, `..., said SPEAKER`) and `phrase<TAB>source` for
//! phrases followed by their source (`according to SPEAKER`).

use std::ops::Range;
use std::path::Path;

use serde::Serialize;

use crate::attribute::{Actors, Speaker};
use crate::error::{Error, Result};
use crate::gazetteer::ActorKind;
use crate::segment::{trim_range, Segmented};
use crate::trie::Trie;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueType {
    Verb,
    Source,
}

/// The speech cue lexicon.
#[derive(Debug, Clone)]
pub struct Cues {
    types: Vec<CueType>,
    /// ASCII case-insensitive, whole words, longest first.
    matcher: Trie,
}

impl Cues {
    pub fn parse(path: &Path, content: &str) -> Result<Self> {
        let mut phrases = Vec::new();
        let mut types = Vec::new();
        for (n, line) in content.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (phrase, ty) = line
                .split_once('\t')
                .ok_or_else(|| Error::data(path, n + 1, "expected phrase<TAB>verb|source"))?;
            let ty = match ty.trim() {
                "verb" => CueType::Verb,
                "source" => CueType::Source,
                other => {
                    return Err(Error::data(
                        path,
                        n + 1,
                        format!("unknown cue type {other:?} (verb, source)"),
                    ))
                }
            };
            let phrase = phrase.trim();
            // An empty phrase would match between any two non-word characters.
            if phrase.is_empty() {
                return Err(Error::data(path, n + 1, "empty cue phrase"));
            }
            phrases.push(phrase.to_string());
            types.push(ty);
        }
        if phrases.is_empty() {
            return Err(Error::model(path, "no cues"));
        }
        let matcher = Trie::new(&phrases, true).map_err(|e| Error::model(path, e.to_string()))?;
        Ok(Cues { types, matcher })
    }

    /// Whole-word cue matches in `text` at its word `starts` ([`Actors::starts`]).
    fn find(&self, text: &str, starts: &[usize]) -> Vec<(Range<usize>, CueType)> {
        let mut out = Vec::new();
        self.matcher
            .for_each_word_match(text, starts, |r, p| out.push((r, self.types[p])));
        out
    }
}

/// How a statement is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    /// Quoted words.
    Direct,
    /// Reported speech, possibly with quoted fragments.
    Indirect,
    /// `Speaker: words` at the start of a paragraph.
    Colon,
}

impl StatementKind {
    /// The name used in output, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Direct => "direct",
            StatementKind::Indirect => "indirect",
            StatementKind::Colon => "colon",
        }
    }
}

/// A statement found in an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub range: Range<usize>,
    pub kind: StatementKind,
    pub speakers: Vec<Speaker>,
    /// The cue phrase as written (`said`, `according to`), empty for continuations.
    pub cue: String,
}

/// Limits that keep pathological input cheap.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Statements longer than this many bytes are not reported.
    pub max_statement_bytes: usize,
    /// Sentences longer than this are not searched for cues.
    pub max_sentence_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_statement_bytes: 4_000,
            max_sentence_bytes: 20_000,
        }
    }
}

/// Find the statements of one article.
pub fn extract(
    text: &str,
    seg: &Segmented,
    actors: &Actors,
    cues: &Cues,
    limits: Limits,
) -> Vec<Statement> {
    let mut ex = Extractor {
        text,
        seg,
        actors,
        out: Vec::new(),
        used: vec![false; seg.quotes.len()],
    };
    let all_cues: Vec<_> = cues
        .find(text, actors.starts())
        .into_iter()
        .filter(|(r, _)| !seg.in_quote(r.start))
        .collect();
    let mut c = 0;
    let mut para = 0;
    for s in &seg.sentences {
        while para + 1 < seg.paragraphs.len() && seg.paragraphs[para].end <= s.start {
            para += 1;
        }
        let first_in_para = seg.paragraphs[para].start == s.start;
        while c < all_cues.len() && all_cues[c].0.start < s.start {
            c += 1;
        }
        let mut k = c;
        while k < all_cues.len() && all_cues[k].0.end <= s.end {
            k += 1;
        }
        if s.len() > limits.max_sentence_bytes {
            continue;
        }
        if first_in_para {
            ex.colon(s.clone());
        }
        ex.sentence(s.clone(), &all_cues[c..k]);
    }
    ex.continuations();
    let mut out = ex.out;
    out.retain(|st| st.range.len() <= limits.max_statement_bytes && !st.range.is_empty());
    out.sort_by_key(|st| (st.range.start, st.range.end));
    out.dedup_by(|a, b| a.range == b.range);
    out
}

struct Extractor<'a> {
    text: &'a str,
    seg: &'a Segmented,
    actors: &'a Actors<'a>,
    out: Vec<Statement>,
    used: Vec<bool>,
}

impl Extractor<'_> {
    fn quotes_in(&self, r: Range<usize>) -> impl Iterator<Item = usize> + '_ {
        let first = self.seg.quotes.partition_point(|q| q.outer.end <= r.start);
        (first..self.seg.quotes.len()).take_while(move |&i| self.seg.quotes[i].outer.start < r.end)
    }

    fn word_count(&self, r: Range<usize>) -> usize {
        self.actors.words_in(r).len()
    }

    fn push(
        &mut self,
        range: Range<usize>,
        kind: StatementKind,
        speakers: Vec<Speaker>,
        cue: &str,
    ) {
        let range = trim_statement(self.text, range, kind == StatementKind::Direct);
        if self.word_count(range.clone()) < 2 {
            return;
        }
        for q in self.quotes_in(range.clone()).collect::<Vec<_>>() {
            self.used[q] = true;
        }
        self.out.push(Statement {
            range,
            kind,
            speakers,
            cue: cue.to_string(),
        });
    }

    fn push_quote(&mut self, q: usize, speakers: Vec<Speaker>, cue: &str) {
        self.used[q] = true;
        let inner = self.seg.quotes[q].inner.clone();
        self.push(inner, StatementKind::Direct, speakers, cue);
    }

    fn sentence(&mut self, s: Range<usize>, cues: &[(Range<usize>, CueType)]) {
        let quotes: Vec<usize> = self.quotes_in(s.clone()).collect();
        let mut attributed_verb = false;
        let mut pending_sources = Vec::new();
        let first_new = self.out.len();
        for (cue, ty) in cues {
            // A cue inside a statement already taken from this sentence is part of
            // its content ("said his government welcomed the progress").
            if self.out[first_new..]
                .iter()
                .any(|st| st.range.contains(&cue.start))
            {
                continue;
            }
            if *ty == CueType::Source {
                pending_sources.push(cue.clone());
                continue;
            }
            // The clause of the cue starts after the last quote or semicolon before it.
            let mut clause_start = s.start;
            for &q in &quotes {
                let qe = self.seg.quotes[q].outer.end;
                if qe <= cue.start {
                    clause_start = clause_start.max(qe);
                }
            }
            if let Some(p) = self.text[clause_start..cue.start].rfind(';') {
                clause_start += p + 1;
            }
            let before = self.actors.subject_before(clause_start..cue.start);
            let (speakers, subj, inverted) = match before {
                Some((sp, r)) => (sp, r, false),
                None => match self.actors.subject_after(cue.end..s.end) {
                    Some((sp, r)) => (sp, r, true),
                    None => continue,
                },
            };
            attributed_verb = true;
            let cue_text = self.text[cue.clone()].to_string();
            let attribution_start = subj.start.min(cue.start);
            let attribution_end = subj.end.max(cue.end);
            // Direct: `"...," SPEAKER said` or `"...," said SPEAKER`.
            // Only a comma and a short descriptor may stand between ("...," union president X said).
            let quote_before = quotes.iter().copied().rev().find(|&q| {
                let qr = &self.seg.quotes[q].outer;
                let gap = qr.end..attribution_start;
                qr.end <= attribution_start
                    && self.word_count(gap.clone()) <= 3
                    && self.text[gap]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c.is_whitespace() || c == ',')
            });
            if let Some(q) = quote_before {
                self.push_quote(q, speakers.clone(), &cue_text);
                // Split quote: `"...," she said, "but ..."`.
                if let Some(&next) = quotes
                    .iter()
                    .find(|&&n| self.seg.quotes[n].outer.start >= attribution_end)
                {
                    let gap = self.text[attribution_end..self.seg.quotes[next].outer.start].trim();
                    let short =
                        self.word_count(attribution_end..self.seg.quotes[next].outer.start) <= 3;
                    if short && (gap.ends_with(',') || gap.ends_with(':') || gap.ends_with('.')) {
                        self.push_quote(next, speakers, &cue_text);
                    }
                }
                continue;
            }
            // Direct: `SPEAKER said (in a statement) that "..."` / `SPEAKER said: "..."`.
            let after = if inverted { attribution_end } else { cue.end };
            let quote_after = quotes
                .iter()
                .copied()
                .find(|&q| self.seg.quotes[q].outer.start >= after);
            if let Some(q) = quote_after {
                let gap_range = after..self.seg.quotes[q].outer.start;
                let gap = self.text[gap_range.clone()].trim();
                let ends_ok = gap.is_empty()
                    || gap.ends_with("that")
                    || gap.ends_with(':')
                    || gap.ends_with(',');
                if ends_ok && self.word_count(gap_range) <= 10 {
                    self.push_quote(q, speakers, &cue_text);
                    continue;
                }
            }
            // Indirect speech after the cue: `SPEAKER said (that) ...`.
            let rest = after..s.end;
            let rest_words = self.actors.words_in(rest.clone());
            let parenthetical = self.text[attribution_end..s.end]
                .trim_start()
                .starts_with(',')
                && self.text[s.start..attribution_start]
                    .trim_end()
                    .ends_with(',');
            if parenthetical {
                // `The plan, he said, was dead.`: the whole sentence is the statement.
                self.push(s.clone(), StatementKind::Indirect, speakers, &cue_text);
            } else if rest_words.len() >= 3 && !inverted {
                let that = rest_words
                    .iter()
                    .take(15)
                    .position(|w| self.text[w.range.clone()].eq_ignore_ascii_case("that"));
                let start = match that {
                    Some(i) if i + 1 < rest_words.len() => rest_words[i + 1].range.start,
                    _ => rest_words[0].range.start,
                };
                self.push(start..s.end, StatementKind::Indirect, speakers, &cue_text);
            } else {
                // `The talks failed, the minister said.`
                let head = self.text[s.start..attribution_start].trim_end();
                if let Some(h) = head.strip_suffix(',') {
                    let start = s.start;
                    self.push(
                        start..start + h.len(),
                        StatementKind::Indirect,
                        speakers,
                        &cue_text,
                    );
                }
            }
        }
        // `..., according to SPEAKER.` attributes only when no speech verb did (else it is a relay).
        if attributed_verb {
            return;
        }
        for cue in pending_sources {
            let src_end = self.text[cue.end..s.end]
                .find(',')
                .map_or(s.end, |p| cue.end + p);
            let Some((speakers, _)) = self.actors.first_actor_in(cue.end..src_end) else {
                continue;
            };
            if speakers.iter().all(|sp| sp.kind == ActorKind::Media) {
                continue; // an outlet that relays is not the speaker
            }
            let cue_text = self.text[cue.clone()].to_string();
            let head = self.text[s.start..cue.start].trim_end();
            if let Some(h) = head.strip_suffix(',') {
                self.push(
                    s.start..s.start + h.len(),
                    StatementKind::Indirect,
                    speakers,
                    &cue_text,
                );
            } else if head.is_empty() && src_end < s.end {
                self.push(
                    src_end + 1..s.end,
                    StatementKind::Indirect,
                    speakers,
                    &cue_text,
                );
            }
        }
    }

    /// `Macron: Europe's sanctions ...` at the start of a paragraph.
    fn colon(&mut self, s: Range<usize>) {
        let Some(colon) = self.text[s.clone()].find(':') else {
            return;
        };
        let head = s.start..s.start + colon;
        let ws = self.actors.words_in(head.clone());
        if ws.is_empty()
            || ws.len() > 5
            || !ws.iter().all(|w| w.capitalized)
            || self.seg.in_quote(head.end)
        {
            return;
        }
        let Some((speakers, r)) = self.actors.first_actor_in(head) else {
            return;
        };
        if r.start != ws[0].range.start
            || speakers
                .iter()
                .any(|sp| sp.kind == ActorKind::Unknown && !sp.name.contains(' '))
                && ws.len() > 1
        {
            return;
        }
        self.push(
            s.start + colon + 1..s.end,
            StatementKind::Colon,
            speakers,
            ":",
        );
    }

    /// Unattributed quotes that continue the last direct statement of their paragraph
    /// (or of the previous paragraph when they open theirs) take its speakers.
    fn continuations(&mut self) {
        // Gaps longer than this are never bridged: it bounds the work on huge paragraphs.
        const MAX_GAP: usize = 2_000;
        for q in 0..self.seg.quotes.len() {
            let quote = &self.seg.quotes[q];
            if self.used[q] || self.word_count(quote.inner.clone()) < 4 {
                continue;
            }
            let para = &self.seg.paragraphs[quote.paragraph];
            let opens_para = quote.outer.start == para.start;
            // Statements are pushed in text order, so the last direct one ending before
            // the quote is found by a backward scan that stops at the gap limit.
            let prev = self
                .out
                .iter()
                .rev()
                .take_while(|st| {
                    st.range.end + MAX_GAP >= quote.outer.start || st.range.end > quote.outer.start
                })
                .filter(|st| st.kind == StatementKind::Direct && st.range.end <= quote.outer.start)
                .max_by_key(|st| st.range.end)
                .filter(|st| {
                    st.range.start >= para.start
                        || (opens_para
                            && quote.paragraph > 0
                            && st.range.start >= self.seg.paragraphs[quote.paragraph - 1].start)
                });
            // Only when nothing but quotes stands between: no other actor could be speaking.
            if let Some(prev) = prev.cloned() {
                let between = prev.range.end..quote.outer.start;
                let others = self
                    .actors
                    .first_actor_in(between)
                    .is_some_and(|(sp, _)| sp != prev.speakers);
                if !others {
                    self.push_quote(q, prev.speakers, "");
                }
            }
        }
        // `"A." "B," she added.`: a quote directly before an attributed one, with
        // nothing but punctuation between, shares its speaker. Right to left, so
        // chains of such quotes all reach the attribution.
        let mut direct: Vec<(usize, usize)> = (0..self.out.len())
            .filter(|&i| self.out[i].kind == StatementKind::Direct)
            .map(|i| (self.out[i].range.start, i))
            .collect();
        direct.sort_unstable();
        for q in (0..self.seg.quotes.len()).rev() {
            let quote = &self.seg.quotes[q];
            if self.used[q] || self.word_count(quote.inner.clone()) < 4 {
                continue;
            }
            let para_end = self.seg.paragraphs[quote.paragraph].end;
            let k = direct.partition_point(|&(start, _)| start < quote.outer.end);
            let next = direct
                .get(k)
                .map(|&(_, i)| &self.out[i])
                .filter(|st| st.range.end <= para_end && st.range.start - quote.outer.end <= 16)
                .filter(|st| {
                    !self.text[quote.outer.end..st.range.start]
                        .chars()
                        .any(char::is_alphanumeric)
                })
                .cloned();
            if let Some(next) = next {
                let at = self.out.len();
                self.push_quote(q, next.speakers, "");
                if self.out.len() > at {
                    let pos =
                        direct.partition_point(|&(start, _)| start < self.out[at].range.start);
                    direct.insert(pos, (self.out[at].range.start, at));
                }
            }
        }
    }
}

/// Trim white space and dangling punctuation. A quote keeps its own final
/// period; reported speech loses the sentence's.
fn trim_statement(text: &str, r: Range<usize>, keep_period: bool) -> Range<usize> {
    let r = trim_range(text, r);
    let s = &text[r.clone()];
    let edge = [',', ';', ':', ' ', '-', '—'];
    let start = r.start + (s.len() - s.trim_start_matches(edge).len());
    let trimmed = if keep_period {
        s.trim_start_matches(edge).trim_end_matches(edge)
    } else {
        s.trim_start_matches(edge)
            .trim_end_matches(['.', ',', ';', ':', ' ', '-', '—'])
    };
    if trimmed.is_empty() {
        r.start..r.start
    } else {
        start..start + trimmed.len()
    }
}
