//! The whole path for one record: decode, segment, extract, attribute,
//! tokenize, classify, and serialise the output lines.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use smallvec::SmallVec;

use crate::attribute::{Actors, WordBufs};
use crate::classify::{argmax, softmax};
use crate::error::{Error, Result};
use crate::extract::{extract, Limits, Statement};
use crate::featurize::{FeatureBuf, JointBuf, JointIndex, JointLinear, SparseVec};
use crate::gazetteer::Gazetteer;
use crate::input::RawRecord;
use crate::model::Model;
use crate::segment::segment;

/// A model plus the run's settings.
pub struct Pipeline {
    pub model: Model,
    gazetteer: Gazetteer,
    pub limits: Limits,
    /// Output fragments per task, escaped once: see [`Pipeline::write_predictions`].
    fragments: [Fragments; 2],
    /// Both tasks' n-grams in one table, when their featurizers allow it.
    joint: Option<JointIndex>,
    /// Both tasks' linear models folded into `joint`, when both have three labels.
    linear: Option<JointLinear>,
}

/// Per-thread buffers reused across records.
#[derive(Default)]
pub struct Scratch {
    ids: Vec<u32>,
    features: [FeatureBuf; 2],
    joint: JointBuf,
    probs: Vec<f32>,
    words: WordBufs,
}

/// Probabilities per label of one task.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub label: usize,
    /// One per label; inline up to four labels (no allocation per prediction).
    pub probs: SmallVec<[f32; 4]>,
}

/// A statement with its predictions.
#[derive(Debug, Clone)]
pub struct Scored {
    pub statement: Statement,
    pub stance: Prediction,
    pub sentiment: Prediction,
}

/// An input article.
#[derive(Debug, Deserialize)]
pub struct Article<'a> {
    #[serde(default, deserialize_with = "id_string")]
    pub id: Option<String>,
    #[serde(borrow)]
    pub text: Cow<'a, str>,
    #[serde(default, borrow)]
    pub date: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub title: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub source: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub url: Option<Cow<'a, str>>,
}

/// Ids may be strings or numbers in the wild; both become strings.
fn id_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    match v {
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        serde_json::Value::Null => Ok(None),
        other => Err(serde::de::Error::custom(format!(
            "`id` must be a string or number, not {other}"
        ))),
    }
}

/// Why a record produced no output.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    pub id: Option<String>,
    pub message: String,
}

impl Pipeline {
    /// A pipeline over `model`, with an optional user gazetteer that adds to
    /// (and overrides aliases of) the shipped one.
    pub fn new(model: Model, user_actors: Option<&Path>, limits: Limits) -> Result<Self> {
        let shipped = model.resources["actors.tsv"].clone();
        let shipped_path = model.dir.join("actors.tsv");
        let gazetteer = match user_actors {
            None => model.gazetteer.clone(),
            Some(p) => {
                let user = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                Gazetteer::from_sources(&[(&shipped_path, &shipped), (p, &user)])?
            }
        };
        let joint = JointIndex::new(&model.stance.featurizer, &model.sentiment.featurizer);
        let linear = joint.as_ref().and_then(|j| {
            j.linear([&model.stance, &model.sentiment].map(|t| t.classifier.parts()))
        });
        let fragments = [
            Fragments::new("stance", &model.stance.labels),
            Fragments::new("sentiment", &model.sentiment.labels),
        ];
        Ok(Pipeline {
            model,
            gazetteer,
            limits,
            fragments,
            joint,
            linear,
        })
    }

    /// Statements of an article, without classification.
    pub fn statements(&self, text: &str) -> Vec<Statement> {
        self.statements_with(text, &mut Scratch::default())
    }

    /// [`Pipeline::statements`] with buffers kept in `scratch`.
    pub fn statements_with(&self, text: &str, scratch: &mut Scratch) -> Vec<Statement> {
        let seg = segment(text);
        let bufs = std::mem::take(&mut scratch.words);
        let actors = Actors::analyse_with(text, &seg, &self.gazetteer, &self.model.names, bufs);
        let found = extract(text, &seg, &actors, &self.model.cues, self.limits);
        scratch.words = actors.into_bufs();
        found
    }

    /// Stance and sentiment of one text.
    pub fn classify(&self, text: &str, scratch: &mut Scratch) -> Result<(Prediction, Prediction)> {
        self.classify_targeted(text, &[], scratch)
    }

    /// [`Pipeline::classify`] with target mentions (byte ranges, sorted,
    /// disjoint, on character boundaries), encoded as in training.
    pub fn classify_targeted(
        &self,
        text: &str,
        targets: &[Range<usize>],
        scratch: &mut Scratch,
    ) -> Result<(Prediction, Prediction)> {
        scratch.ids.clear();
        self.model
            .tokenizer
            .encode_with_targets(text, targets, &mut scratch.ids)?;
        let (m, valence) = (&self.model, &self.model.valence);
        let tasks = [&m.stance, &m.sentiment];
        let Scratch {
            ids,
            features,
            joint,
            probs,
            ..
        } = scratch;
        if let (Some(j), Some(lin)) = (&self.joint, &self.linear) {
            return Ok(j
                .scores(lin, ids, valence, joint)
                .map(|mut scores| {
                    softmax(&mut scores);
                    Prediction {
                        label: argmax(&scores),
                        probs: SmallVec::from_slice(&scores),
                    }
                })
                .into());
        }
        let vecs: [&SparseVec; 2] = match &self.joint {
            Some(j) => {
                j.transform(ids, valence, joint);
                [&joint.vecs[0], &joint.vecs[1]]
            }
            None => {
                for (t, f) in tasks.iter().zip(features.iter_mut()) {
                    t.featurizer.transform(ids, valence, f);
                }
                [&features[0].vec, &features[1].vec]
            }
        };
        let [stance, sentiment] = [0, 1].map(|t| {
            tasks[t].classifier.predict_proba(vecs[t], probs);
            Prediction {
                label: argmax(probs),
                probs: SmallVec::from_slice(probs),
            }
        });
        Ok((stance, sentiment))
    }

    /// Statements of an article with their stance and sentiment.
    pub fn score(&self, text: &str, scratch: &mut Scratch) -> Result<Vec<Scored>> {
        self.statements_with(text, scratch)
            .into_iter()
            .map(|statement| {
                let (stance, sentiment) = self.classify(&text[statement.range.clone()], scratch)?;
                Ok(Scored {
                    statement,
                    stance,
                    sentiment,
                })
            })
            .collect()
    }

    /// `score` for one raw input record: JSONL output lines, or an error.
    pub fn score_record(
        &self,
        rec: &RawRecord<'_>,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<usize, RecordError> {
        let bytes = decode(rec)?;
        let article: Article = match rec.txt_id {
            Some(id) => Article {
                id: Some(id.to_string()),
                text: Cow::Borrowed(bytes),
                date: None,
                title: None,
                source: None,
                url: None,
            },
            None => serde_json::from_str(bytes).map_err(|e| RecordError {
                id: sniff_id(bytes),
                message: json_message(&e),
            })?,
        };
        let id = article.id.clone().ok_or_else(|| RecordError {
            id: None,
            message: "missing field `id`".into(),
        })?;
        let err = |message: String| RecordError {
            id: Some(id.clone()),
            message,
        };
        if article.text.trim().is_empty() {
            return Err(err("empty `text`".into()));
        }
        let scored = self
            .score(&article.text, scratch)
            .map_err(|e| err(e.to_string()))?;
        for s in &scored {
            self.write_statement(&id, &article, s, out);
        }
        Ok(scored.len())
    }

    /// `classify` for one raw record: the input object plus predictions.
    ///
    /// The input line is kept byte for byte and the four fields are appended
    /// before its closing brace; only when the object already has one of them
    /// is it rebuilt (so the old values are replaced, not duplicated).
    pub fn classify_record(
        &self,
        rec: &RawRecord<'_>,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<usize, RecordError> {
        let decoded = decode(rec)?;
        let owned;
        let line = match rec.txt_id {
            Some(id) => {
                owned = serde_json::json!({"id": id, "text": decoded}).to_string();
                owned.as_str()
            }
            None => decoded.trim(),
        };
        let parsed = match ClassifyIn::parse_plain(line) {
            Some(parsed) => parsed,
            None => serde_json::from_str(line).map_err(|e| RecordError {
                id: sniff_id(line),
                message: json_message(&e),
            })?,
        };
        let err = |message: &str| RecordError {
            id: parsed.id.clone(),
            message: message.to_string(),
        };
        if !line.starts_with('{') {
            return Err(err("invalid record: expected a JSON object"));
        }
        let text = match &parsed.text {
            None => return Err(err("missing field `text`")),
            Some(t) if t.trim().is_empty() => return Err(err("empty `text`")),
            Some(t) if t.len() > self.limits.max_statement_bytes * 16 => {
                return Err(err(
                    "`text` longer than the classify limit (16 × --max-statement-bytes)",
                ))
            }
            Some(t) => t,
        };
        let targets =
            check_targets(text, parsed.targets.as_deref().unwrap_or(&[])).map_err(|m| err(&m))?;
        let (stance, sentiment) = self
            .classify_targeted(text, &targets, scratch)
            .map_err(|e| err(&e.to_string()))?;
        if parsed.stance.is_none()
            && parsed.stance_scores.is_none()
            && parsed.sentiment.is_none()
            && parsed.sentiment_scores.is_none()
        {
            let body = line
                .strip_suffix('}')
                .expect("a parsed JSON object ends with }");
            out.extend_from_slice(body.as_bytes());
            self.write_predictions(&stance, &sentiment, out);
            out.push(b'}');
        } else {
            let added = Added {
                stance: &self.model.stance.labels[stance.label],
                stance_scores: Scores(&self.model.stance.labels, &stance.probs),
                sentiment: &self.model.sentiment.labels[sentiment.label],
                sentiment_scores: Scores(&self.model.sentiment.labels, &sentiment.probs),
            };
            let mut obj: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).map_err(|e| err(&json_message(&e)))?;
            if let serde_json::Value::Object(fields) =
                serde_json::to_value(&added).expect("serialises")
            {
                obj.extend(fields);
            }
            serde_json::to_writer(&mut *out, &obj).expect("serialising to memory");
        }
        out.push(b'\n');
        Ok(1)
    }
}

/// What `classify` reads of a record; other fields are skipped unparsed.
#[derive(Deserialize)]
struct ClassifyIn<'a> {
    #[serde(default, deserialize_with = "id_string")]
    id: Option<String>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    /// Byte offsets `[start, end]` of the mentions the sentiment is about.
    #[serde(default)]
    targets: Option<Vec<[usize; 2]>>,
    stance: Option<serde::de::IgnoredAny>,
    stance_scores: Option<serde::de::IgnoredAny>,
    sentiment: Option<serde::de::IgnoredAny>,
    sentiment_scores: Option<serde::de::IgnoredAny>,
}

impl<'a> ClassifyIn<'a> {
    /// The common record, `{"text": "…"}` with an optional string `id`
    /// (either order, no `\u` escapes), parsed without serde_json's
    /// per-field machinery; `None` for any other line, which serde_json then
    /// parses (and reports errors for). Where this gives `Some`, serde_json
    /// gives the same.
    fn parse_plain(line: &'a str) -> Option<Self> {
        let ws = |s: &'a str| s.trim_start_matches([' ', '\t', '\n', '\r']);
        let (mut id, mut text) = (None, None);
        let mut rest = ws(line.strip_prefix('{')?);
        loop {
            let (key, r) = json_string(rest)?;
            let (value, r) = json_string(ws(ws(r).strip_prefix(':')?))?;
            match &*key {
                "text" if text.is_none() => text = Some(value),
                "id" if id.is_none() => id = Some(value.into_owned()),
                _ => return None,
            }
            rest = ws(r);
            match rest.strip_prefix(',') {
                Some(r) => rest = ws(r),
                None => break,
            }
        }
        ws(rest.strip_prefix('}')?)
            .is_empty()
            .then_some(ClassifyIn {
                id,
                text,
                targets: None,
                stance: None,
                stance_scores: None,
                sentiment: None,
                sentiment_scores: None,
            })
    }
}

/// The JSON string `s` starts with, decoded, and the rest of `s`; `None`
/// when `s` does not start with one, or it has a control char or a `\u`
/// escape (left to serde_json).
fn json_string(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let s = s.strip_prefix('"')?;
    let b = s.as_bytes();
    let mut decoded: Option<String> = None;
    let mut from = 0;
    loop {
        let at = from + find_special(&b[from..])?;
        if b[at] < 0x20 {
            return None;
        }
        if b[at] == b'"' {
            let text = match decoded {
                None => Cow::Borrowed(&s[..at]),
                Some(mut d) => {
                    d.push_str(&s[from..at]);
                    Cow::Owned(d)
                }
            };
            return Some((text, &s[at + 1..]));
        }
        let d = decoded.get_or_insert_with(String::new);
        d.push_str(&s[from..at]);
        d.push(match b.get(at + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            _ => return None,
        });
        from = at + 2;
    }
}

/// Where `b` has its first `"`, `\` or control char, 8 bytes at a time.
fn find_special(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte below `n` (n <= 0x80); bits above the lowest
    // may be spurious (borrows), the lowest is exact.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let special = |x: u64| {
        below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1)
            | below(x, 0x20)
    };
    let mut chunks = b.chunks_exact(8);
    for (k, c) in chunks.by_ref().enumerate() {
        let m = special(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        if m != 0 {
            return Some(k * 8 + m.trailing_zeros() as usize / 8);
        }
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| b.len() - tail.len() + i)
}

/// Target offsets as sorted ranges, or why they cannot be used.
fn check_targets(
    text: &str,
    targets: &[[usize; 2]],
) -> std::result::Result<Vec<Range<usize>>, String> {
    let mut ranges: Vec<Range<usize>> = targets.iter().map(|&[s, e]| s..e).collect();
    ranges.sort_by_key(|r| (r.start, r.end));
    for (i, r) in ranges.iter().enumerate() {
        if r.start >= r.end || !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
            return Err(format!(
                "target [{}, {}] is not a non-empty span of `text` on character boundaries",
                r.start, r.end
            ));
        }
        if i > 0 && ranges[i - 1].end > r.start {
            return Err(format!("targets overlap at byte {}", r.start));
        }
    }
    Ok(ranges)
}

/// The fields `classify` adds.
#[derive(Serialize)]
struct Added<'a> {
    stance: &'a str,
    stance_scores: Scores<'a>,
    sentiment: &'a str,
    sentiment_scores: Scores<'a>,
}

/// Pre-rendered JSON pieces of one task's predictions.
struct Fragments {
    /// Per predicted label: `,"task":"label","task_scores":{`.
    head: Vec<Vec<u8>>,
    /// Per label: `"label":`, with a leading comma after the first.
    keys: Vec<Vec<u8>>,
}

impl Fragments {
    fn new(task: &str, labels: &[String]) -> Self {
        let json: Vec<String> = labels
            .iter()
            .map(|l| serde_json::to_string(l).expect("a string serialises"))
            .collect();
        Fragments {
            head: json
                .iter()
                .map(|l| format!(",\"{task}\":{l},\"{task}_scores\":{{").into_bytes())
                .collect(),
            keys: json
                .iter()
                .enumerate()
                .map(|(i, l)| format!("{}{l}:", if i > 0 { "," } else { "" }).into_bytes())
                .collect(),
        }
    }
}

impl Pipeline {
    /// `,"stance":…,"stance_scores":{…},"sentiment":…,"sentiment_scores":{…}`,
    /// byte for byte what serialising [`Added`] gives, without serde's
    /// per-field machinery (a fifth of `classify`'s time before).
    fn write_predictions(&self, stance: &Prediction, sentiment: &Prediction, out: &mut Vec<u8>) {
        for (f, p) in self.fragments.iter().zip([stance, sentiment]) {
            out.extend_from_slice(&f.head[p.label]);
            for (key, &prob) in f.keys.iter().zip(&p.probs) {
                out.extend_from_slice(key);
                write_round4(prob, out);
            }
            out.push(b'}');
        }
    }

    /// One output line of `score`, as serde_json would print [`StatementOut`]
    /// (tested), without going through serde: it is a tenth of scoring time.
    fn write_statement(&self, id: &str, article: &Article, s: &Scored, out: &mut Vec<u8>) {
        let st = &s.statement;
        let first = st.speakers.first();
        out.extend_from_slice(b"{\"article_id\":");
        write_json_str(id, out);
        out.extend_from_slice(b",\"speaker\":");
        write_json_str(first.map_or("", |sp| sp.name.as_str()), out);
        out.extend_from_slice(b",\"speakers\":[");
        for (i, sp) in st.speakers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_str(&sp.name, out);
        }
        out.extend_from_slice(b"],\"speaker_kind\":");
        write_json_str(first.map_or("unknown", |sp| sp.kind.as_str()), out);
        out.extend_from_slice(b",\"text\":");
        write_json_str(&article.text[st.range.clone()], out);
        let mut num = itoa::Buffer::new();
        out.extend_from_slice(b",\"start\":");
        out.extend_from_slice(num.format(st.range.start).as_bytes());
        out.extend_from_slice(b",\"end\":");
        out.extend_from_slice(num.format(st.range.end).as_bytes());
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(st.kind.as_str().as_bytes());
        out.extend_from_slice(b"\",\"cue\":");
        write_json_str(&st.cue, out);
        self.write_predictions(&s.stance, &s.sentiment, out);
        let optional = [
            (&b",\"date\":"[..], &article.date),
            (b",\"title\":", &article.title),
            (b",\"source\":", &article.source),
            (b",\"url\":", &article.url),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                out.extend_from_slice(key);
                write_json_str(v, out);
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// `s` as a JSON string, exactly as serde_json writes it. Most strings need no
/// escape ([`find_special`] finds none) and are copied as they are; the others
/// go through serde_json.
fn write_json_str(s: &str, out: &mut Vec<u8>) {
    if find_special(s.as_bytes()).is_some() {
        serde_json::to_writer(&mut *out, s).expect("serialising to memory");
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// A probability as serde_json prints [`round4`] of it: `0.0`, `0.0445`, `1.0`.
fn write_round4(v: f32, out: &mut Vec<u8>) {
    let k = (f64::from(v) * 10_000.0).round().clamp(0.0, 10_000.0) as u32;
    let (int, frac) = (k / 10_000, k % 10_000);
    let digit = |d: u32| b'0' + d as u8;
    let text = [
        digit(int),
        b'.',
        digit(frac / 1000),
        digit(frac / 100 % 10),
        digit(frac / 10 % 10),
        digit(frac % 10),
    ];
    // Without trailing zeros, but at least one decimal.
    let len = 3 + [1000, 100, 10]
        .iter()
        .map(|&m| usize::from(frac % m != 0))
        .sum::<usize>();
    // A fixed-size copy, then a cut: cheaper than copying a variable length.
    out.extend_from_slice(&text);
    out.truncate(out.len() - (text.len() - len));
}

fn round4(v: f32) -> f64 {
    (f64::from(v) * 10_000.0).round() / 10_000.0
}

/// UTF-8 text of a record, without a byte-order mark.
fn decode<'a>(rec: &RawRecord<'a>) -> Result<&'a str, RecordError> {
    let bytes = rec.bytes.map_err(|m| RecordError {
        id: rec.txt_id.map(str::to_string),
        message: m.to_string(),
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The fast check first; std's finds where invalid input goes wrong.
    if let Ok(s) = simdutf8::basic::from_utf8(bytes) {
        return Ok(s);
    }
    std::str::from_utf8(bytes).map_err(|e| RecordError {
        id: rec.txt_id.map(str::to_string),
        message: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
    })
}

/// Best-effort id of a record that failed to parse, for the error message.
fn sniff_id(s: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(default, deserialize_with = "id_string")]
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(s).ok().and_then(|r| r.id)
}

fn json_message(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Data => "invalid record",
        serde_json::error::Category::Eof => "truncated JSON",
        _ => "malformed JSON",
    };
    format!("{what}: {e}")
}

/// Serialises as `{label: probability, ...}` in label order.
struct Scores<'a>(&'a [String], &'a [f32]);

impl Serialize for Scores<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (l, &p) in self.0.iter().zip(self.1) {
            m.serialize_entry(l, &round4(p))?;
        }
        m.end()
    }
}

/// The reference for [`Pipeline::write_statement`].
#[cfg(test)]
#[derive(Serialize)]
struct StatementOut<'a> {
    article_id: &'a str,
    speaker: &'a str,
    speakers: Vec<&'a str>,
    speaker_kind: &'a str,
    text: &'a str,
    start: usize,
    end: usize,
    kind: crate::extract::StatementKind,
    cue: &'a str,
    stance: &'a str,
    stance_scores: Scores<'a>,
    sentiment: &'a str,
    sentiment_scores: Scores<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `parse_plain`, where it answers, agrees with serde_json.
    fn check_plain(line: &str) -> bool {
        let Some(fast) = ClassifyIn::parse_plain(line) else {
            return false;
        };
        let serde: ClassifyIn = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("fast path accepted {line:?}, serde_json: {e}"));
        assert_eq!(fast.id, serde.id, "{line:?}");
        assert_eq!(fast.text, serde.text, "{line:?}");
        assert!(serde.targets.is_none() && serde.stance.is_none() && serde.sentiment.is_none());
        assert!(serde.stance_scores.is_none() && serde.sentiment_scores.is_none());
        true
    }

    #[test]
    fn plain_records_parse_as_serde_parses_them() {
        for line in [
            r#"{"text": "Plain words."}"#,
            r#"{"text":"café \"quoted\" a\\b\/c\n\t\r\b\f","id":"x"}"#,
            "{ \"id\" : \"7\" ,\t\"text\"\n:\r\"é ’ 中\" }",
            r#"{"text": ""}"#,
        ] {
            assert!(check_plain(line), "{line:?} takes the fast path");
        }
        for line in [
            r#"{"text": "a\u00e9"}"#,
            r#"{"text": "a", "text": "b"}"#,
            r#"{"text": "a", "id": 7}"#,
            r#"{"text": "a", "targets": [[0, 1]]}"#,
            r#"{"text": "a",}"#,
            r#"{"text": "a"} x"#,
            r#"{"text": "a"}}"#,
            r#"{"text": "a"#,
            r#"{"text": "a\x"}"#,
            "{\"text\": \"a\u{1}b\"}",
            r#"{"te\u0078t": "a"}"#,
            r#"{"text" "a"}"#,
            r#"{}"#,
            r#"["text", "a"]"#,
        ] {
            assert!(!check_plain(line), "{line:?} is left to serde_json");
        }
    }

    proptest! {
        #[test]
        fn special_bytes_are_found_first_to_last(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            let want = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            prop_assert_eq!(find_special(&b), want);
        }

        #[test]
        fn plain_parse_never_disagrees_with_serde(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("{"), Just("}"), Just("\""), Just(":"), Just(","), Just(" "),
                    Just("\n"), Just("\\"), Just("\\\""), Just("\\u0041"), Just("\\n"),
                    Just("text"), Just("id"), Just("\"text\": \""), Just("\"id\":\""),
                    Just("x y"), Just("é’"), Just("\u{1}"), Just("7"), Just("["),
                ],
                0..16,
            ),
        ) {
            check_plain(&parts.concat());
        }
    }

    #[test]
    fn probabilities_print_as_serde_prints_them() {
        let mut out = Vec::new();
        for k in 0..=10_000u32 {
            // the f32 nearest to k/10⁴, and values just off it
            let v = k as f32 / 10_000.0;
            for x in [v, v - 0.000_03, v + 0.000_03] {
                let x = x.clamp(0.0, 1.0);
                out.clear();
                write_round4(x, &mut out);
                let want = serde_json::to_string(&round4(x)).unwrap();
                assert_eq!(std::str::from_utf8(&out).unwrap(), want, "{x}");
            }
        }
    }

    #[test]
    fn json_strings_are_written_as_serde_writes_them() {
        let long = "no escape at all, but longer than one 32-byte chunk of the scan ".repeat(3);
        for t in [
            "",
            "plain",
            "say \"no\"",
            "back\\slash",
            "tab\tnew\nline\u{1}\u{1f}",
            "“curly” é 中 \u{7f}",
            &long,
        ] {
            let mut fast = Vec::new();
            write_json_str(t, &mut fast);
            assert_eq!(
                std::str::from_utf8(&fast).unwrap(),
                serde_json::to_string(t).unwrap()
            );
        }
    }

    #[test]
    fn written_statements_equal_serialised_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default");
        let p = Pipeline::new(Model::load(&dir).unwrap(), None, Limits::default()).unwrap();
        let text = "Emmanuel Macron said: \"We \\ want\ttalks.\"\n\"We will never give in,\" the Kremlin said.\n\
                    Chancellor Olaf Scholz and Xi Jinping said they welcomed the ceasefire.";
        let mut scratch = Scratch::default();
        let scored = p.score(text, &mut scratch).unwrap();
        assert!(scored.len() >= 3, "{scored:?}");
        for (date, url) in [(None, None), (Some("2024-01-02"), Some("http://x/\"y\""))] {
            let article = Article {
                id: Some("a\"1".into()),
                text: Cow::Borrowed(text),
                date: date.map(Into::into),
                title: Some("T\u{1}".into()),
                source: None,
                url: url.map(Into::into),
            };
            for s in &scored {
                let mut fast = Vec::new();
                p.write_statement("a\"1", &article, s, &mut fast);
                let st = &s.statement;
                let want = StatementOut {
                    article_id: "a\"1",
                    speaker: st.speakers.first().map_or("", |sp| sp.name.as_str()),
                    speakers: st.speakers.iter().map(|sp| sp.name.as_str()).collect(),
                    speaker_kind: st.speakers.first().map_or("unknown", |sp| sp.kind.as_str()),
                    text: &text[st.range.clone()],
                    start: st.range.start,
                    end: st.range.end,
                    kind: st.kind,
                    cue: &st.cue,
                    stance: &p.model.stance.labels[s.stance.label],
                    stance_scores: Scores(&p.model.stance.labels, &s.stance.probs),
                    sentiment: &p.model.sentiment.labels[s.sentiment.label],
                    sentiment_scores: Scores(&p.model.sentiment.labels, &s.sentiment.probs),
                    date: article.date.as_deref(),
                    title: article.title.as_deref(),
                    source: article.source.as_deref(),
                    url: article.url.as_deref(),
                };
                assert_eq!(
                    std::str::from_utf8(&fast).unwrap(),
                    serde_json::to_string(&want).unwrap() + "\n"
                );
            }
        }
    }

    #[test]
    fn written_predictions_equal_serialised_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default");
        let p = Pipeline::new(Model::load(&dir).unwrap(), None, Limits::default()).unwrap();
        let mut scratch = Scratch::default();
        for text in ["We welcome the talks.", "They shelled the town again."] {
            let (stance, sentiment) = p.classify(text, &mut scratch).unwrap();
            let mut fast = Vec::new();
            p.write_predictions(&stance, &sentiment, &mut fast);
            assert_eq!(fast[0], b',');
            fast[0] = b'{';
            fast.push(b'}');
            let added = Added {
                stance: &p.model.stance.labels[stance.label],
                stance_scores: Scores(&p.model.stance.labels, &stance.probs),
                sentiment: &p.model.sentiment.labels[sentiment.label],
                sentiment_scores: Scores(&p.model.sentiment.labels, &sentiment.probs),
            };
            assert_eq!(
                std::str::from_utf8(&fast).unwrap(),
                serde_json::to_string(&added).unwrap()
            );
        }
    }
}
