//! The model directory: one versioned manifest plus the files it lists.
//!
//! ```text
//! models/default/
//!   manifest.json    format, version, files with SHA-256 and size, tasks, training record
//!   tokenizer.json   HuggingFace tokenizers pipeline
//!   stance.json      featurizer + linear model for stance
//!   sentiment.json   featurizer + linear model for sentiment
//!   valence.tsv      word<TAB>valence (lexicon features)
//!   cues.tsv         speech cues (extraction)
//!   names.tsv        titles, roles, organisation heads... (attribution)
//!   actors.tsv       actor gazetteer (attribution)
//! ```
//!
//! Loading checks the format name and version first, then every file's size
//! and checksum, so a truncated or edited file is reported by name before any
//! of it is parsed. Saving writes a sibling temporary directory and renames
//! it into place, so a reader never sees a half-written model.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::attribute::NameVocab;
use crate::classify::TaskModel;
use crate::error::{Error, Result};
use crate::extract::Cues;
use crate::featurize::Valence;
use crate::gazetteer::Gazetteer;
use crate::tokenize::Tokenizer;

pub const FORMAT: &str = "stance-model";
pub const VERSION: u32 = 1;
pub const TASKS: [&str; 2] = ["stance", "sentiment"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub sha256: String,
    pub bytes: u64,
}

/// What a task model was trained on and how well it did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TaskRecord {
    pub file: String,
    pub labels: Vec<String>,
    /// Training recipe details: data files, label mappings, hyperparameters, seed.
    #[serde(default)]
    pub training: serde_json::Value,
    /// Held-out metrics, when measured.
    #[serde(default)]
    pub metrics: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub description: String,
    pub files: BTreeMap<String, FileEntry>,
    pub tasks: BTreeMap<String, TaskRecord>,
    /// Data sources and their licences.
    #[serde(default)]
    pub sources: Vec<serde_json::Value>,
}

/// A loaded model: everything the pipeline needs.
pub struct Model {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub tokenizer: Tokenizer,
    pub stance: TaskModel,
    pub sentiment: TaskModel,
    pub valence: Valence,
    pub valence_table: Vec<(String, f32)>,
    pub cues: Cues,
    pub names: NameVocab,
    pub gazetteer: Gazetteer,
    /// Raw text of the extraction resources, kept so a retrained model can copy them.
    pub resources: BTreeMap<String, String>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Read and check the manifest alone (format, version, structure).
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::model(
            &path,
            format!("not valid JSON ({e}); the file is corrupt or truncated"),
        )
    })?;
    let format = value.get("format").and_then(|v| v.as_str()).unwrap_or("");
    if format != FORMAT {
        return Err(Error::model(
            &path,
            format!("not a stance model manifest (format {format:?}, expected {FORMAT:?})"),
        ));
    }
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(VERSION as u64) {
        let shown = version.map_or("missing".to_string(), |v| v.to_string());
        return Err(Error::model(
            &path,
            format!("unsupported model format version {shown}; this build of stance reads version {VERSION}"),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| Error::model(&path, format!("malformed manifest: {e}")))
}

impl Model {
    /// Load and verify a model directory.
    pub fn load(dir: &Path) -> Result<Model> {
        let manifest = read_manifest(dir)?;
        let read = |name: &str| -> Result<Vec<u8>> {
            let path = dir.join(name);
            let entry = manifest.files.get(name).ok_or_else(|| {
                Error::model(
                    dir.join("manifest.json"),
                    format!("lists no checksum for {name}"),
                )
            })?;
            let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
            if bytes.len() as u64 != entry.bytes {
                return Err(Error::model(
                    &path,
                    format!(
                        "size {} bytes, manifest says {}: the file is truncated or was replaced",
                        bytes.len(),
                        entry.bytes
                    ),
                ));
            }
            if sha256_hex(&bytes) != entry.sha256 {
                return Err(Error::model(
                    &path,
                    "checksum mismatch: the file is corrupt or was edited after training",
                ));
            }
            Ok(bytes)
        };
        let text = |name: &str| -> Result<String> {
            String::from_utf8(read(name)?)
                .map_err(|_| Error::model(dir.join(name), "not valid UTF-8"))
        };
        let tokenizer =
            Tokenizer::from_bytes(&dir.join("tokenizer.json"), &read("tokenizer.json")?)?;
        let mut resources = BTreeMap::new();
        for name in ["cues.tsv", "names.tsv", "actors.tsv", "valence.tsv"] {
            resources.insert(name.to_string(), text(name)?);
        }
        let cues = Cues::parse(&dir.join("cues.tsv"), &resources["cues.tsv"])?;
        let names = NameVocab::parse(&dir.join("names.tsv"), &resources["names.tsv"])?;
        let gazetteer =
            Gazetteer::from_sources(&[(&dir.join("actors.tsv"), &resources["actors.tsv"])])?;
        let valence_table = parse_valence(&dir.join("valence.tsv"), &resources["valence.tsv"])?;
        let valence = Valence::new(
            valence_table.iter().cloned(),
            |w| tokenizer.token_id(w),
            tokenizer.vocab_size(),
        );
        let task = |name: &str| -> Result<TaskModel> {
            let record = manifest.tasks.get(name).ok_or_else(|| {
                Error::model(dir.join("manifest.json"), format!("has no {name} task"))
            })?;
            let path = dir.join(&record.file);
            let mut m: TaskModel = serde_json::from_slice(&read(&record.file)?)
                .map_err(|e| Error::model(&path, format!("malformed task model: {e}")))?;
            m.validate().map_err(|e| Error::model(&path, e))?;
            if m.labels != record.labels || m.task != name {
                return Err(Error::model(
                    &path,
                    format!(
                        "task {:?} with labels {:?} does not match the manifest",
                        m.task, m.labels
                    ),
                ));
            }
            m.featurizer.build_index();
            Ok(m)
        };
        // The two task files are the bulk of loading (checksum and JSON parse): in parallel.
        let (stance, sentiment) = rayon::join(|| task("stance"), || task("sentiment"));
        let (stance, sentiment) = (stance?, sentiment?);
        Ok(Model {
            dir: dir.to_path_buf(),
            manifest,
            tokenizer,
            stance,
            sentiment,
            valence,
            valence_table,
            cues,
            names,
            gazetteer,
            resources,
        })
    }
}

/// Parse `word<TAB>valence` lines.
pub fn parse_valence(path: &Path, content: &str) -> Result<Vec<(String, f32)>> {
    let mut out = Vec::new();
    for (n, line) in content.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (w, v) = line
            .split_once('\t')
            .ok_or_else(|| Error::data(path, n + 1, "expected word<TAB>valence"))?;
        let v: f32 = v
            .trim()
            .parse()
            .map_err(|_| Error::data(path, n + 1, format!("bad valence {v:?}")))?;
        out.push((w.to_string(), v));
    }
    Ok(out)
}

/// The files of a model directory to be written, by name.
pub struct ModelFiles {
    pub files: BTreeMap<String, Vec<u8>>,
    pub description: String,
    pub tasks: BTreeMap<String, TaskRecord>,
    pub sources: Vec<serde_json::Value>,
}

impl ModelFiles {
    /// Write all files and the manifest into `dir` atomically: a temporary
    /// sibling is filled, then renamed over `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let files = self
            .files
            .iter()
            .map(|(n, b)| {
                (
                    n.clone(),
                    FileEntry {
                        sha256: sha256_hex(b),
                        bytes: b.len() as u64,
                    },
                )
            })
            .collect();
        let manifest = Manifest {
            format: FORMAT.to_string(),
            version: VERSION,
            description: self.description.clone(),
            files,
            tasks: self.tasks.clone(),
            sources: self.sources.clone(),
        };
        let mut manifest_json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        manifest_json.push(b'\n');
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let result = (|| {
            for (n, b) in self
                .files
                .iter()
                .map(|(n, b)| (n.as_str(), b.as_slice()))
                .chain([("manifest.json", manifest_json.as_slice())])
            {
                let p = tmp.join(n);
                fs::write(&p, b).map_err(|e| Error::io(&p, e))?;
            }
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            if dir.exists() {
                fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
            }
            fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))?;
            let _ = fs::remove_dir_all(&old);
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        result
    }
}
