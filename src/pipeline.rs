//! The whole path for one record: decode, segment, extract, attribute,
//! tokenize, classify, and serialise the output lines.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use smallvec::SmallVec;

use crate::attribute::Actors;
use crate::classify::argmax;
use crate::error::{Error, Result};
use crate::extract::{extract, Limits, Statement, StatementKind};
use crate::featurize::{FeatureBuf, JointBuf, JointIndex, SparseVec};
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
}

/// Per-thread buffers reused across records.
#[derive(Default)]
pub struct Scratch {
    ids: Vec<u32>,
    features: [FeatureBuf; 2],
    joint: JointBuf,
    probs: Vec<f32>,
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
        })
    }

    /// Statements of an article, without classification.
    pub fn statements(&self, text: &str) -> Vec<Statement> {
        let seg = segment(text);
        let actors = Actors::analyse(text, &seg, &self.gazetteer, &self.model.names);
        extract(text, &seg, &actors, &self.model.cues, self.limits)
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
        } = scratch;
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
        self.statements(text)
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
        rec: &RawRecord,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<usize, RecordError> {
        let bytes = decode(rec)?;
        let article: Article = match &rec.txt_id {
            Some(id) => Article {
                id: Some(id.clone()),
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
            let line = StatementOut {
                article_id: &id,
                speaker: s
                    .statement
                    .speakers
                    .first()
                    .map_or("", |sp| sp.name.as_str()),
                speakers: s
                    .statement
                    .speakers
                    .iter()
                    .map(|sp| sp.name.as_str())
                    .collect(),
                speaker_kind: s
                    .statement
                    .speakers
                    .first()
                    .map_or("unknown", |sp| sp.kind.as_str()),
                text: &article.text[s.statement.range.clone()],
                start: s.statement.range.start,
                end: s.statement.range.end,
                kind: s.statement.kind,
                cue: &s.statement.cue,
                stance: &self.model.stance.labels[s.stance.label],
                stance_scores: Scores(&self.model.stance.labels, &s.stance.probs),
                sentiment: &self.model.sentiment.labels[s.sentiment.label],
                sentiment_scores: Scores(&self.model.sentiment.labels, &s.sentiment.probs),
                date: article.date.as_deref(),
                title: article.title.as_deref(),
                source: article.source.as_deref(),
                url: article.url.as_deref(),
            };
            serde_json::to_writer(&mut *out, &line).expect("serialising to memory");
            out.push(b'\n');
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
        rec: &RawRecord,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<usize, RecordError> {
        let decoded = decode(rec)?;
        let owned;
        let line = match &rec.txt_id {
            Some(id) => {
                owned = serde_json::json!({"id": id, "text": decoded}).to_string();
                owned.as_str()
            }
            None => decoded.trim(),
        };
        let parsed: ClassifyIn = serde_json::from_str(line).map_err(|e| RecordError {
            id: sniff_id(line),
            message: json_message(&e),
        })?;
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
}

/// A probability as serde_json prints [`round4`] of it: `0.0`, `0.0445`, `1.0`.
fn write_round4(v: f32, out: &mut Vec<u8>) {
    let k = (f64::from(v) * 10_000.0).round().clamp(0.0, 10_000.0) as u32;
    let (int, mut frac) = (k / 10_000, k % 10_000);
    let mut buf = [b'0', b'.', b'0', b'0', b'0', b'0'];
    buf[0] += int as u8;
    if frac == 0 {
        out.extend_from_slice(&buf[..3]);
        return;
    }
    let mut len = 6;
    while frac % 10 == 0 {
        frac /= 10;
        len -= 1;
    }
    for d in buf[2..len].iter_mut().rev() {
        *d = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    out.extend_from_slice(&buf[..len]);
}

fn round4(v: f32) -> f64 {
    (f64::from(v) * 10_000.0).round() / 10_000.0
}

/// UTF-8 text of a record, without a byte-order mark.
fn decode(rec: &RawRecord) -> Result<&str, RecordError> {
    let bytes = rec.bytes.as_deref().map_err(|m| RecordError {
        id: rec.txt_id.clone(),
        message: m.clone(),
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| RecordError {
        id: rec.txt_id.clone(),
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

#[derive(Serialize)]
struct StatementOut<'a> {
    article_id: &'a str,
    speaker: &'a str,
    speakers: Vec<&'a str>,
    speaker_kind: &'a str,
    text: &'a str,
    start: usize,
    end: usize,
    kind: StatementKind,
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
