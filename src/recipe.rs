//! Reproducible model building from a recipe file (`models/recipe.json`).
//!
//! A recipe names the resources directory (tokenizer and extraction files),
//! the lexicons for valence features, and per task: labels, training data
//! with label mappings, held-out evaluation data, hyperparameters. Paths that
//! start with `$SHARED/` resolve against the shared data directory; others
//! against the current directory. The same recipe and data give a
//! byte-identical model directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

use crate::classify::{TaskModel, TrainParams};
use crate::error::{Error, Result};
use crate::evaluate::{metrics, Metrics};
use crate::featurize::Valence;
use crate::model::{parse_valence, ModelFiles, TaskRecord};
use crate::tokenize::Tokenizer;
use crate::train::{
    drop_conflicts, encode, read_examples, train_task, validate, DataSpec, Example,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub description: String,
    /// Directory with tokenizer.json, cues.tsv, names.tsv, actors.tsv.
    pub resources: PathBuf,
    pub valence: ValenceSpec,
    pub tasks: BTreeMap<String, TaskRecipe>,
    #[serde(default)]
    pub sources: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValenceSpec {
    pub vader: PathBuf,
    pub positive: Option<PathBuf>,
    pub negative: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRecipe {
    pub labels: Vec<String>,
    pub train: Vec<DataSpec>,
    #[serde(default)]
    pub eval: Vec<DataSpec>,
    pub params: TrainParams,
    #[serde(default = "default_min")]
    pub min_per_class: usize,
    /// Drop texts that occur with conflicting labels instead of refusing the data.
    #[serde(default)]
    pub drop_conflicts: bool,
}

fn default_min() -> usize {
    5
}

pub fn resolve(p: &Path, shared: &Path) -> PathBuf {
    match p.strip_prefix("$SHARED") {
        Ok(rest) => shared.join(rest),
        Err(_) => p.to_path_buf(),
    }
}

/// Read a task's examples from its data specs.
pub fn load_data(specs: &[DataSpec], shared: &Path) -> Result<Vec<Example>> {
    let mut all = Vec::new();
    for s in specs {
        let mut s = s.clone();
        s.path = resolve(&s.path, shared);
        all.extend(read_examples(&s)?);
    }
    Ok(all)
}

/// Predicted label indices of examples under a task model.
pub fn predict_all(
    tokenizer: &Tokenizer,
    valence: &Valence,
    model: &TaskModel,
    examples: &[Example],
) -> Result<(Vec<usize>, Vec<usize>)> {
    let (docs, gold) = encode(tokenizer, &model.labels, examples)?;
    let (mut s, mut p) = (crate::featurize::FeatureBuf::default(), Vec::new());
    let pred = docs
        .iter()
        .map(|ids| {
            model.predict(ids, valence, &mut s, &mut p);
            crate::classify::argmax(&p)
        })
        .collect();
    Ok((gold, pred))
}

/// Build a model directory from a recipe; returns held-out metrics per task.
pub fn build(
    recipe_path: &Path,
    shared: &Path,
    out: &Path,
    mut log: impl FnMut(&str),
) -> Result<BTreeMap<String, Metrics>> {
    let text = std::fs::read_to_string(recipe_path).map_err(|e| Error::io(recipe_path, e))?;
    let recipe: Recipe = serde_json::from_str(&text)
        .map_err(|e| Error::model(recipe_path, format!("malformed recipe: {e}")))?;
    let res = &recipe.resources;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for name in ["tokenizer.json", "cues.tsv", "names.tsv", "actors.tsv"] {
        let p = res.join(name);
        files.insert(
            name.into(),
            std::fs::read(&p).map_err(|e| Error::io(&p, e))?,
        );
    }
    let tokenizer = Tokenizer::from_bytes(&res.join("tokenizer.json"), &files["tokenizer.json"])?;
    let v = &recipe.valence;
    let valence_text = crate::train::build_valence(
        &resolve(&v.vader, shared),
        v.positive.as_deref().map(|p| resolve(p, shared)).as_deref(),
        v.negative.as_deref().map(|p| resolve(p, shared)).as_deref(),
    )?;
    let valence_table = parse_valence(Path::new("valence.tsv"), &valence_text)?;
    let valence = Valence::new(
        valence_table,
        |w| tokenizer.token_id(w),
        tokenizer.vocab_size(),
    );
    files.insert("valence.tsv".into(), valence_text.into_bytes());
    let mut tasks = BTreeMap::new();
    let mut all_metrics = BTreeMap::new();
    for (task, tr) in &recipe.tasks {
        let params = tr.params.clone().check()?;
        let mut train = load_data(&tr.train, shared)?;
        let mut eval = load_data(&tr.eval, shared)?;
        if tr.drop_conflicts {
            let (a, b) = (drop_conflicts(&mut train), drop_conflicts(&mut eval));
            log(&format!("{task}: dropped {a} training and {b} evaluation examples with conflicting or repeated texts"));
        }
        validate(&train, &tr.labels, tr.min_per_class)?;
        validate(&eval, &tr.labels, 0)?;
        log(&format!("{task}: training on {} examples", train.len()));
        let model = train_task(&tokenizer, &valence, &params, task, &tr.labels, &train)?;
        let mut metrics_json = serde_json::Value::Null;
        if !eval.is_empty() {
            let (gold, pred) = predict_all(&tokenizer, &valence, &model, &eval)?;
            let m = metrics(&tr.labels, &gold, &pred);
            log(&format!(
                "{task}: held-out accuracy {:.3}, macro-F1 {:.3} on {} examples",
                m.accuracy, m.macro_f1, m.n
            ));
            metrics_json = serde_json::to_value(&m).expect("metrics serialise");
            all_metrics.insert(task.clone(), m);
        }
        let file = format!("{task}.json");
        files.insert(
            file.clone(),
            serde_json::to_vec(&model).expect("model serialises"),
        );
        let counts: BTreeMap<&str, usize> = tr
            .labels
            .iter()
            .map(|l| (l.as_str(), train.iter().filter(|e| &e.label == l).count()))
            .collect();
        tasks.insert(
            task.clone(),
            TaskRecord {
                file,
                labels: tr.labels.clone(),
                training: serde_json::json!({
                    "train": tr.train, "eval": tr.eval, "params": params, "examples": train.len(), "per_label": counts,
                }),
                metrics: metrics_json,
            },
        );
    }
    ModelFiles {
        files,
        description: recipe.description.clone(),
        tasks,
        sources: recipe.sources.clone(),
    }
    .write(out)?;
    Ok(all_metrics)
}
