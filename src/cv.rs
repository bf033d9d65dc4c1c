//! Stratified K-fold cross-validation.

use serde::Serialize;

use crate::classify::{fit, ValidTrainParams};
use crate::error::Result;
use crate::evaluate::{metrics, Metrics};
use crate::featurize::Valence;
use crate::tokenize::Tokenizer;
use crate::train::{encode, stratified_folds, Example};

#[derive(Debug, Clone, Serialize)]
pub struct CvReport {
    pub k: usize,
    pub folds: Vec<Metrics>,
    pub mean_accuracy: f64,
    pub mean_macro_f1: f64,
}

impl CvReport {
    pub fn table(&self) -> String {
        let mut s = format!(
            "{}-fold cross-validation\nfold  accuracy  macro-F1      n\n",
            self.k
        );
        for (i, m) in self.folds.iter().enumerate() {
            s.push_str(&format!(
                "{:>4}  {:>8.3}  {:>8.3}  {:>5}\n",
                i + 1,
                m.accuracy,
                m.macro_f1,
                m.n
            ));
        }
        s.push_str(&format!(
            "mean  {:>8.3}  {:>8.3}\n",
            self.mean_accuracy, self.mean_macro_f1
        ));
        s
    }
}

/// Train on K-1 folds and test on the remaining one, K times.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    tokenizer: &Tokenizer,
    valence: &Valence,
    params: &ValidTrainParams,
    task: &str,
    labels: &[String],
    examples: &[Example],
    k: usize,
    seed: u64,
) -> Result<CvReport> {
    let (docs, targets) = encode(tokenizer, labels, examples)?;
    let folds = stratified_folds(&targets, k, seed);
    let mut reports = Vec::new();
    for f in 0..k {
        let pick = |test: bool| -> (Vec<Vec<u32>>, Vec<usize>) {
            (0..docs.len())
                .filter(|&i| (folds[i] == f) == test)
                .map(|i| (docs[i].clone(), targets[i]))
                .unzip()
        };
        let (train_x, train_y) = pick(false);
        let (test_x, test_y) = pick(true);
        let model = fit(params, task, labels, &train_x, &train_y, valence)?;
        let (mut s, mut p) = (crate::featurize::FeatureBuf::default(), Vec::new());
        let pred: Vec<usize> = test_x
            .iter()
            .map(|ids| {
                model.predict(ids, valence, &mut s, &mut p);
                crate::classify::argmax(&p)
            })
            .collect();
        reports.push(metrics(labels, &test_y, &pred));
    }
    let mean = |f: fn(&Metrics) -> f64| reports.iter().map(f).sum::<f64>() / k as f64;
    Ok(CvReport {
        k,
        mean_accuracy: mean(|m| m.accuracy),
        mean_macro_f1: mean(|m| m.macro_f1),
        folds: reports,
    })
}
