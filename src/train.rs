//! Training data readers, validation, and model-directory building.
//!
//! Formats:
//! - `jsonl`: one object per line with `text` and `label` (optional `id`, `speaker`);
//! - `tsv` / `csv`: columns chosen by name or index, header optional;
//! - `conflibert`: `sentence<TAB>label` without header (labels 0-4);
//! - `quadclass`: UN QuadClass TSV with header `en<TAB>QuadClass`;
//! - `newsmtsc`: NewsMTSC JSONL (polarity 2 negative, 4 neutral, 6 positive):
//!   one example per sentence and polarity, with the mentions of the targets
//!   that have it as [`Example::targets`], so a sentence whose targets
//!   disagree yields one example per side instead of a conflict.
//!
//! Label mappings (`--map 1=conciliatory,3=hardline`) rename raw labels;
//! a raw label mapped to `-` is dropped.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::classify::{fit, TaskModel, ValidTrainParams};
use crate::error::{Error, Result};
use crate::featurize::Valence;
use crate::tokenize::Tokenizer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    Jsonl,
    Tsv,
    Csv,
    Conflibert,
    Quadclass,
    Newsmtsc,
}

/// One labelled example with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub label: String,
    /// Byte ranges of the mentions the label is about (sorted, disjoint);
    /// each is marked with [`crate::tokenize::TARGET_ID`] when encoded. Empty:
    /// the label is about the whole text.
    pub targets: Spans,
    pub path: PathBuf,
    pub line: usize,
}

/// How to read one data file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataSpec {
    pub path: PathBuf,
    pub format: DataFormat,
    /// Raw label -> task label; `-` drops the example.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    /// TSV/CSV text column (name or 0-based index).
    #[serde(default)]
    pub text_col: Option<String>,
    #[serde(default)]
    pub label_col: Option<String>,
    /// Only records whose `split` field equals this (JSONL).
    #[serde(default)]
    pub split: Option<String>,
    /// JSONL field holding the label (default `label`).
    #[serde(default)]
    pub label_field: Option<String>,
}

/// Parse `a=b,c=d`.
pub fn parse_map(s: &str) -> std::result::Result<BTreeMap<String, String>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                .ok_or_else(|| format!("mapping {p:?} is not RAW=LABEL"))
        })
        .collect()
}

/// Read the examples of one data file. Errors carry file and line.
pub fn read_examples(spec: &DataSpec) -> Result<Vec<Example>> {
    let path = &spec.path;
    let content = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let content = String::from_utf8(content).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Error::data(path, line, "invalid UTF-8")
    })?;
    let mut out = Vec::new();
    let mut push = |text: String, raw: String, targets: Spans, line: usize| -> Result<()> {
        let label = match spec.map.get(&raw) {
            Some(l) if l == "-" => return Ok(()),
            Some(l) => l.clone(),
            None => raw,
        };
        if text.trim().is_empty() {
            return Err(Error::data(path, line, "empty text"));
        }
        if label.is_empty() {
            return Err(Error::data(path, line, "missing label"));
        }
        out.push(Example {
            text,
            label,
            targets,
            path: path.clone(),
            line,
        });
        Ok(())
    };
    let delim = if spec.format == DataFormat::Csv {
        ','
    } else {
        '\t'
    };
    let mut cols: Option<(usize, usize)> = None;
    for (i, line) in content.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match spec.format {
            DataFormat::Jsonl | DataFormat::Newsmtsc => {
                let v: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| Error::data(path, n, format!("malformed JSON: {e}")))?;
                if let (Some(want), Some(split)) =
                    (&spec.split, v.get("split").and_then(|s| s.as_str()))
                {
                    if want != split {
                        continue;
                    }
                }
                if spec.format == DataFormat::Newsmtsc {
                    let text = v["sentence_normalized"]
                        .as_str()
                        .ok_or_else(|| Error::data(path, n, "missing `sentence_normalized`"))?;
                    let by_polarity = newsmtsc_targets(text, &v["targets"])
                        .map_err(|m| Error::data(path, n, m))?;
                    for (polarity, targets) in by_polarity {
                        push(text.to_string(), polarity, targets, n)?;
                    }
                    continue;
                }
                let text = match v.get("text") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(_) => return Err(Error::data(path, n, "`text` must be a string")),
                    None => return Err(Error::data(path, n, "missing `text`")),
                };
                let field = spec.label_field.as_deref().unwrap_or("label");
                let label = match v.get(field) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(x)) => x.to_string(),
                    Some(_) => {
                        return Err(Error::data(
                            path,
                            n,
                            format!("`{field}` must be a string or number"),
                        ))
                    }
                    None => return Err(Error::data(path, n, format!("missing `{field}`"))),
                };
                push(text, label, Vec::new(), n)?;
            }
            DataFormat::Conflibert | DataFormat::Quadclass | DataFormat::Tsv | DataFormat::Csv => {
                let fields: Vec<&str> = line.split(delim).collect();
                let (tc, lc) = match cols {
                    Some(c) => c,
                    None => {
                        let header = spec.format == DataFormat::Quadclass
                            || (matches!(spec.format, DataFormat::Tsv | DataFormat::Csv)
                                && (spec
                                    .text_col
                                    .as_deref()
                                    .is_some_and(|c| c.parse::<usize>().is_err())));
                        let find = |want: &Option<String>, default: usize| -> Result<usize> {
                            match want {
                                None => Ok(default),
                                Some(w) => match w.parse::<usize>() {
                                    Ok(i) => Ok(i),
                                    Err(_) => {
                                        fields.iter().position(|f| f.trim() == w).ok_or_else(|| {
                                            Error::data(
                                                path,
                                                n,
                                                format!("no column {w:?} in header"),
                                            )
                                        })
                                    }
                                },
                            }
                        };
                        let c = (find(&spec.text_col, 0)?, find(&spec.label_col, 1)?);
                        cols = Some(c);
                        if header {
                            continue;
                        }
                        c
                    }
                };
                let (Some(t), Some(l)) = (fields.get(tc), fields.get(lc)) else {
                    return Err(Error::data(
                        path,
                        n,
                        format!("expected at least {} columns", tc.max(lc) + 1),
                    ));
                };
                push(t.trim().to_string(), l.trim().to_string(), Vec::new(), n)?;
            }
        }
    }
    Ok(out)
}

type Spans = Vec<std::ops::Range<usize>>;

/// NewsMTSC targets grouped by polarity: `(raw label, byte ranges)`, ranges
/// sorted and merged. Offsets in the file count characters; each mention must
/// match the text it points at.
fn newsmtsc_targets(
    text: &str,
    targets: &serde_json::Value,
) -> std::result::Result<Vec<(String, Spans)>, String> {
    let targets = targets
        .as_array()
        .filter(|t| !t.is_empty())
        .ok_or("no `targets`")?;
    // char offset -> byte offset, with one past the end.
    let bytes: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain([text.len()])
        .collect();
    let mut groups: BTreeMap<String, Spans> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        let polarity = t["polarity"]
            .as_f64()
            .ok_or_else(|| format!("target {i}: missing `polarity`"))?;
        let span = (t["from"].as_u64(), t["to"].as_u64());
        let (Some(from), Some(to)) = span else {
            return Err(format!("target {i}: missing `from`/`to`"));
        };
        let range = match (bytes.get(from as usize), bytes.get(to as usize)) {
            (Some(&a), Some(&b)) if a < b => a..b,
            _ => {
                return Err(format!(
                    "target {i}: offsets {from}..{to} outside the sentence"
                ))
            }
        };
        if let Some(m) = t["mention"].as_str() {
            if text[range.clone()] != *m {
                return Err(format!(
                    "target {i}: offsets {from}..{to} hold {:?}, not the mention {m:?}",
                    &text[range]
                ));
            }
        }
        groups.entry(format!("{polarity}")).or_default().push(range);
    }
    Ok(groups
        .into_iter()
        .map(|(polarity, mut ranges)| {
            ranges.sort_by_key(|r| (r.start, r.end));
            let mut merged: Spans = Vec::new();
            for r in ranges {
                match merged.last_mut() {
                    Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                    _ => merged.push(r),
                }
            }
            (polarity, merged)
        })
        .collect())
}

impl Example {
    /// What makes two examples the same input: the text, and the targets when it has any.
    fn key(&self) -> String {
        if self.targets.is_empty() {
            self.text.trim().to_string()
        } else {
            format!("{}\u{0}{:?}", self.text, self.targets)
        }
    }
}

/// Check examples before any training: every label known, no conflicting
/// duplicates, enough examples per class.
pub fn validate(examples: &[Example], labels: &[String], min_per_class: usize) -> Result<()> {
    let mut seen: HashMap<String, &Example> = HashMap::new();
    for ex in examples {
        if !labels.contains(&ex.label) {
            return Err(Error::data(
                &ex.path,
                ex.line,
                format!(
                    "unknown label {:?} (expected one of {})",
                    ex.label,
                    labels.join(", ")
                ),
            ));
        }
        if let Some(prev) = seen.insert(ex.key(), ex) {
            if prev.label != ex.label {
                return Err(Error::data(
                    &ex.path,
                    ex.line,
                    format!(
                        "same text as {}:{} but label {:?} there, {:?} here",
                        prev.path.display(),
                        prev.line,
                        prev.label,
                        ex.label
                    ),
                ));
            }
        }
    }
    for l in labels {
        let n = examples.iter().filter(|e| &e.label == l).count();
        if n < min_per_class {
            let path = examples
                .first()
                .map_or(PathBuf::from("<data>"), |e| e.path.clone());
            return Err(Error::data(
                path,
                0,
                format!("class {l:?} has {n} examples; at least {min_per_class} are needed"),
            ));
        }
    }
    Ok(())
}

/// Drop every example whose text also appears with another label, and exact
/// repeats of a text; returns the number of examples removed. For public data
/// sets with known annotation conflicts, where [`validate`] would refuse them.
pub fn drop_conflicts(examples: &mut Vec<Example>) -> usize {
    let mut labels_of: HashMap<String, Option<String>> = HashMap::new();
    for ex in examples.iter() {
        labels_of
            .entry(ex.key())
            .and_modify(|l| {
                if l.as_deref() != Some(ex.label.as_str()) {
                    *l = None;
                }
            })
            .or_insert_with(|| Some(ex.label.clone()));
    }
    let before = examples.len();
    let mut kept = std::collections::HashSet::new();
    examples.retain(|ex| {
        let key = ex.key();
        labels_of[&key].is_some() && kept.insert(key)
    });
    before - examples.len()
}

/// Tokenize and fit one task.
pub fn train_task(
    tokenizer: &Tokenizer,
    valence: &Valence,
    params: &ValidTrainParams,
    task: &str,
    labels: &[String],
    examples: &[Example],
) -> Result<TaskModel> {
    let (docs, targets) = encode(tokenizer, labels, examples)?;
    fit(params, task, labels, &docs, &targets, valence)
}

/// Token ids and label indices of examples.
pub fn encode(
    tokenizer: &Tokenizer,
    labels: &[String],
    examples: &[Example],
) -> Result<(Vec<Vec<u32>>, Vec<usize>)> {
    use rayon::prelude::*;
    let docs = examples
        .par_iter()
        .map(|e| {
            let mut ids = Vec::new();
            tokenizer
                .encode_with_targets(&e.text, &e.targets, &mut ids)
                .map(|_| ids)
        })
        .collect::<Result<Vec<_>>>()?;
    let targets = examples
        .iter()
        .map(|e| {
            labels
                .iter()
                .position(|l| l == &e.label)
                .expect("validated label")
        })
        .collect();
    Ok((docs, targets))
}

/// Deterministic stratified K-fold assignment: fold index per example.
pub fn stratified_folds(targets: &[usize], k: usize, seed: u64) -> Vec<usize> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut folds = vec![0; targets.len()];
    let n_classes = targets.iter().copied().max().map_or(0, |m| m + 1);
    for c in 0..n_classes {
        let mut idx: Vec<usize> = (0..targets.len()).filter(|&i| targets[i] == c).collect();
        idx.shuffle(&mut rng);
        for (j, i) in idx.into_iter().enumerate() {
            folds[i] = j % k;
        }
    }
    folds
}

/// Merge a VADER lexicon (`token<TAB>mean<TAB>...`) and opinion word lists
/// into `word<TAB>valence` lines; VADER values win, opinion words get ±1.5.
pub fn build_valence(
    vader: &Path,
    positive: Option<&Path>,
    negative: Option<&Path>,
) -> Result<String> {
    let mut table: BTreeMap<String, f32> = BTreeMap::new();
    let read = |p: &Path| {
        std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| Error::io(p, e))
    };
    for (lex, value) in [(negative, -1.5f32), (positive, 1.5)] {
        if let Some(p) = lex {
            for w in read(p)?
                .lines()
                .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
            {
                table.insert(w.trim().to_string(), value);
            }
        }
    }
    for (n, line) in read(vader)?.lines().enumerate() {
        let mut cols = line.split('\t');
        let (Some(w), Some(v)) = (cols.next(), cols.next()) else {
            continue;
        };
        let v: f32 = v
            .trim()
            .parse()
            .map_err(|_| Error::data(vader, n + 1, format!("bad valence {v:?}")))?;
        table.insert(w.to_string(), v);
    }
    let mut out = String::from("# word<TAB>valence: VADER (MIT) mean ratings, else Hu & Liu opinion words (CC BY 4.0) at ±1.5\n");
    for (w, v) in table {
        if !w.contains(char::is_whitespace) {
            out.push_str(&format!("{w}\t{v}\n"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(content: &str) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("data");
        std::fs::write(&p, content).unwrap();
        (d, p)
    }

    fn spec(path: PathBuf, format: DataFormat, map: &str) -> DataSpec {
        DataSpec {
            path,
            format,
            map: parse_map(map).unwrap(),
            text_col: None,
            label_col: None,
            split: None,
            label_field: None,
        }
    }

    #[test]
    fn conflibert_mapping() {
        let (_d, p) = write("We welcome talks.\t1\nThey shelled the town.\t4\nNothing.\t0\n");
        let ex = read_examples(&spec(
            p,
            DataFormat::Conflibert,
            "0=neutral,1=conciliatory,4=hardline",
        ))
        .unwrap();
        let labels: Vec<_> = ex.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["conciliatory", "hardline", "neutral"]);
        assert_eq!(ex[1].line, 2);
    }

    #[test]
    fn newsmtsc_targets_become_byte_ranges_per_polarity() {
        // "é" is two bytes: character offsets 9..13 are bytes 10..14.
        let line = r#"{"sentence_normalized": "Café: ok Kohl met Merkel", "targets": [
            {"from": 9, "to": 13, "mention": "Kohl", "polarity": 6.0},
            {"from": 18, "to": 24, "mention": "Merkel", "polarity": 2.0}]}"#
            .replace('\n', " ");
        let (_d, p) = write(&format!("{line}\n"));
        let ex = read_examples(&spec(
            p.clone(),
            DataFormat::Newsmtsc,
            "2=negative,4=neutral,6=positive",
        ))
        .unwrap();
        let got: Vec<_> = ex
            .iter()
            .map(|e| (e.label.as_str(), &e.text[e.targets[0].clone()]))
            .collect();
        assert_eq!(got, [("negative", "Merkel"), ("positive", "Kohl")]);
        // One sentence, two labels: not a conflict, because the targets differ.
        let labels = vec!["negative".into(), "neutral".into(), "positive".into()];
        validate(&ex, &labels, 0).unwrap();

        let (_d, p) = write(
            "{\"sentence_normalized\": \"Kohl met Merkel\", \"targets\": \
             [{\"from\": 0, \"to\": 3, \"mention\": \"Kohl\", \"polarity\": 4.0}]}\n",
        );
        let err = read_examples(&spec(p.clone(), DataFormat::Newsmtsc, ""))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "{}:1: target 0: offsets 0..3 hold \"Koh\", not the mention \"Kohl\"",
                p.display()
            )
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let (_d, p) =
            write("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"\", \"label\": \"x\"}\n");
        let err = read_examples(&spec(p.clone(), DataFormat::Jsonl, ""))
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("{}:2: empty text", p.display()));
        let (_d2, p2) = write("{\"text\": \"a\"}\n");
        let err = read_examples(&spec(p2.clone(), DataFormat::Jsonl, ""))
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("{}:1: missing `label`", p2.display()));
    }

    #[test]
    fn validation_catches_conflicts_and_unknown_labels() {
        let ex = |t: &str, l: &str, line| Example {
            text: t.into(),
            label: l.into(),
            targets: Vec::new(),
            path: "d".into(),
            line,
        };
        let labels = vec!["a".to_string(), "b".to_string()];
        let err = validate(&[ex("x", "a", 1), ex("x", "b", 2)], &labels, 1)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("d:2: same text as d:1"), "{err}");
        let err = validate(&[ex("x", "c", 1)], &labels, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown label \"c\""), "{err}");
        let err = validate(&[ex("x", "a", 1)], &labels, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("class \"b\" has 0 examples"), "{err}");
    }

    #[test]
    fn conflicts_are_dropped() {
        let ex = |t: &str, l: &str| Example {
            text: t.into(),
            label: l.into(),
            targets: Vec::new(),
            path: "d".into(),
            line: 1,
        };
        let mut v = vec![
            ex("x", "a"),
            ex("x", "b"),
            ex("y", "a"),
            ex("y ", "a"),
            ex("z", "b"),
        ];
        assert_eq!(drop_conflicts(&mut v), 3);
        let texts: Vec<_> = v.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["y", "z"]);
    }

    #[test]
    fn folds_are_stratified_and_reproducible() {
        let targets: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let f = stratified_folds(&targets, 5, 7);
        assert_eq!(f, stratified_folds(&targets, 5, 7));
        for fold in 0..5 {
            for c in 0..3 {
                assert_eq!(
                    (0..30).filter(|&i| f[i] == fold && targets[i] == c).count(),
                    2
                );
            }
        }
    }
}
