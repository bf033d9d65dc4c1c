//! Stage 6: classification.
//!
//! Training fits linfa-logistic's multinomial logistic regression objective
//! over sparse rows ([`crate::logistic`]; linfa's own dense `fit` and linfa's
//! multinomial naive Bayes are the other backends); the fitted parameters are
//! kept as a plain linear model, so inference is a sparse dot product over
//! the features a text actually has, followed by a softmax.

use linfa::prelude::*;
use linfa::ParamGuard;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::featurize::{FeatureBuf, Featurizer, FeaturizerParams, SparseVec, Valence};
use crate::logistic::{self, SparseRows};

/// The learning algorithm behind a linear model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Multinomial logistic regression (L2): linfa-logistic's objective and
    /// L-BFGS solver, evaluated over the non-zero features only.
    Logistic,
    /// The same model through linfa-logistic's own `fit` on a dense matrix
    /// (memory and time grow with rows × features; for cross-checking).
    LogisticDense,
    /// linfa multinomial naive Bayes (its log-probabilities form a linear model).
    NaiveBayes,
}

/// A multi-class linear model: scores = x · W + b, then softmax.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinearModel {
    pub backend: Backend,
    /// Row-major, `dim × labels.len()`.
    weights: Vec<f32>,
    intercept: Vec<f32>,
}

impl LinearModel {
    pub fn n_classes(&self) -> usize {
        self.intercept.len()
    }

    /// The row-major weights (features × classes) and the intercepts.
    pub fn parts(&self) -> (&[f32], &[f32]) {
        (&self.weights, &self.intercept)
    }

    pub fn dim(&self) -> usize {
        self.weights.len() / self.intercept.len().max(1)
    }

    /// Class probabilities for a sparse feature vector, written into `out`.
    pub fn predict_proba(&self, x: &SparseVec, out: &mut Vec<f32>) {
        let k = self.intercept.len();
        out.clear();
        out.extend_from_slice(&self.intercept);
        if let [a, b, c] = out[..] {
            // Three labels (both shipped tasks): scores in registers.
            let (mut a, mut b, mut c) = (a, b, c);
            for &(i, v) in x {
                let row = &self.weights[i as usize * 3..i as usize * 3 + 3];
                a += v * row[0];
                b += v * row[1];
                c += v * row[2];
            }
            out.copy_from_slice(&[a, b, c]);
        } else {
            for &(i, v) in x {
                let row = &self.weights[i as usize * k..(i as usize + 1) * k];
                for (o, w) in out.iter_mut().zip(row) {
                    *o += v * w;
                }
            }
        }
        softmax(out);
    }

    pub fn validate(&self, dim: usize, n_labels: usize) -> std::result::Result<(), String> {
        if self.intercept.len() != n_labels {
            return Err(format!(
                "{} intercepts for {} labels",
                self.intercept.len(),
                n_labels
            ));
        }
        if self.weights.len() != dim * n_labels {
            return Err(format!(
                "{} weights, expected {} features × {} labels",
                self.weights.len(),
                dim,
                n_labels
            ));
        }
        if self
            .weights
            .iter()
            .chain(&self.intercept)
            .any(|v| !v.is_finite())
        {
            return Err("non-finite weight".into());
        }
        Ok(())
    }
}

/// Index of the largest value; the first one wins ties, so results never
/// depend on anything but the scores.
pub fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold(0, |best, (i, &x)| if x > v[best] { i } else { best })
}

pub fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    v.iter_mut().for_each(|x| *x /= sum);
}

/// A classifier for one task: labels, featurizer and linear model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskModel {
    pub task: String,
    pub labels: Vec<String>,
    pub featurizer: Featurizer,
    pub classifier: LinearModel,
}

impl TaskModel {
    pub fn validate(&self) -> std::result::Result<(), String> {
        self.featurizer.validate()?;
        self.classifier
            .validate(self.featurizer.dim(), self.labels.len())
    }

    /// Probabilities per label for a tokenized text.
    pub fn predict(
        &self,
        ids: &[u32],
        valence: &Valence,
        scratch: &mut FeatureBuf,
        out: &mut Vec<f32>,
    ) {
        self.featurizer.transform(ids, valence, scratch);
        self.classifier.predict_proba(&scratch.vec, out);
    }
}

/// Unchecked training hyperparameters (linfa's `ParamGuard` pattern): only
/// [`ValidTrainParams`] reach [`fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams(pub ValidTrainParams);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidTrainParams {
    pub backend: Backend,
    pub featurizer: FeaturizerParams,
    /// L2 penalty (logistic) or additive smoothing (naive Bayes).
    pub alpha: f64,
    pub max_iterations: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams(ValidTrainParams {
            backend: Backend::Logistic,
            featurizer: FeaturizerParams::default(),
            alpha: 0.05,
            max_iterations: 200,
        })
    }
}

impl ParamGuard for TrainParams {
    type Checked = ValidTrainParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&ValidTrainParams> {
        let p = &self.0;
        p.featurizer.check()?;
        if !(p.alpha.is_finite() && p.alpha > 0.0) {
            return Err(Error::Param {
                name: "alpha",
                value: p.alpha.to_string(),
                reason: "must be a positive number",
            });
        }
        if p.max_iterations == 0 {
            return Err(Error::Param {
                name: "max_iterations",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        Ok(p)
    }

    fn check(self) -> Result<ValidTrainParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

/// Fit a task model on tokenized documents with label indices into `labels`.
pub fn fit(
    params: &ValidTrainParams,
    task: &str,
    labels: &[String],
    docs: &[Vec<u32>],
    targets: &[usize],
    valence: &Valence,
) -> Result<TaskModel> {
    if docs.len() != targets.len() || docs.is_empty() {
        return Err(Error::Training(format!(
            "{} documents for {} labels",
            docs.len(),
            targets.len()
        )));
    }
    let featurizer = Featurizer::fit(params.featurizer.clone(), docs)?;
    let dim = featurizer.dim();
    let k = labels.len();
    let mut rows = SparseRows::new();
    let mut scratch = FeatureBuf::default();
    for ids in docs {
        featurizer.transform(ids, valence, &mut scratch);
        rows.push_row(scratch.vec.iter().copied());
    }
    let (weights, intercept, classes) = match params.backend {
        Backend::Logistic => {
            let f = logistic::fit(
                &rows,
                targets,
                dim,
                k,
                params.alpha,
                params.max_iterations,
                GRADIENT_TOLERANCE,
            )?;
            let w = Array2::from_shape_vec((dim, k), f.weights.iter().map(|&v| v as f32).collect())
                .expect("dim × k weights");
            let b = Array1::from_iter(f.intercept.iter().map(|&v| v as f32));
            // Absent classes keep zero weights here; the expansion below
            // still gives them the losing intercept.
            let mut present = vec![false; k];
            targets.iter().for_each(|&t| present[t] = true);
            let classes: Vec<usize> = (0..k).filter(|&c| present[c]).collect();
            let w = w.select(ndarray::Axis(1), &classes);
            let b = b.select(ndarray::Axis(0), &classes);
            (w, b, classes)
        }
        Backend::LogisticDense => {
            let model = linfa_logistic::MultiLogisticRegression::<f32>::default()
                .alpha(params.alpha as f32)
                .max_iterations(params.max_iterations)
                .gradient_tolerance(GRADIENT_TOLERANCE as f32)
                .fit(&Dataset::new(
                    dense(&rows, dim),
                    Array1::from(targets.to_vec()),
                ))
                .map_err(|e| Error::Training(e.to_string()))?;
            (
                model.params().clone(),
                model.intercept().clone(),
                model.classes().to_vec(),
            )
        }
        Backend::NaiveBayes => naive_bayes(
            params.alpha,
            dense(&rows, dim),
            Array1::from(targets.to_vec()),
        )?,
    };
    // linfa orders classes by value; expand to the full label set (absent classes never win).
    let mut w = vec![0.0f32; dim * k];
    let mut b = vec![-1e4f32; k];
    for (col, &class) in classes.iter().enumerate() {
        b[class] = intercept[col];
        for f in 0..dim {
            w[f * k + class] = weights[[f, col]];
        }
    }
    let model = TaskModel {
        task: task.to_string(),
        labels: labels.to_vec(),
        featurizer,
        classifier: LinearModel {
            backend: params.backend,
            weights: w,
            intercept: b,
        },
    };
    model.validate().map_err(Error::Training)?;
    Ok(model)
}

type Fitted = (Array2<f32>, Array1<f32>, Vec<usize>);

/// linfa-logistic's default gradient-norm tolerance.
const GRADIENT_TOLERANCE: f64 = 1e-4;

fn dense(rows: &SparseRows, dim: usize) -> Array2<f32> {
    let mut x = Array2::<f32>::zeros((rows.nrows(), dim));
    for r in 0..rows.nrows() {
        for (j, v) in rows.row(r) {
            x[[r, j]] = v as f32;
        }
    }
    x
}

/// Multinomial naive Bayes via linfa-bayes, read back as log-probabilities:
/// log P(c | x) = log P(c) + Σ x_i log P(i | c) + const, a linear model in x.
fn naive_bayes(alpha: f64, x: Array2<f32>, y: Array1<usize>) -> Result<Fitted> {
    use linfa_bayes::{MultinomialNbParams, NaiveBayes};
    let dim = x.ncols();
    let dataset = Dataset::new(x.mapv(f64::from), y);
    // linfa-bayes 0.8.1 leaves a `dbg!` in `fit_with` that prints every class's
    // statistics to stderr; silence stderr for the duration of the fit.
    let model = with_stderr_silenced(|| MultinomialNbParams::new().alpha(alpha).fit(&dataset))
        .map_err(|e| Error::Training(e.to_string()))?;
    // The joint log-likelihood is linear in x: its value at 0 is the log prior,
    // and at each unit vector e_f the prior plus log P(f | c). Probe in blocks.
    let jll = |x: &Array2<f64>| {
        let mut per_class: Vec<(usize, Array1<f64>)> = model
            .joint_log_likelihood(x.view())
            .into_iter()
            .map(|(c, v)| (*c, v))
            .collect();
        per_class.sort_by_key(|(c, _)| *c);
        per_class
    };
    let base = jll(&Array2::zeros((1, dim)));
    let classes: Vec<usize> = base.iter().map(|(c, _)| *c).collect();
    let b = Array1::from_iter(base.iter().map(|(_, v)| v[0] as f32));
    let mut w = Array2::<f32>::zeros((dim, classes.len()));
    const BLOCK: usize = 512;
    for start in (0..dim).step_by(BLOCK) {
        let rows = BLOCK.min(dim - start);
        let mut e = Array2::<f64>::zeros((rows, dim));
        for r in 0..rows {
            e[[r, start + r]] = 1.0;
        }
        for (col, (_, v)) in jll(&e).iter().enumerate() {
            for r in 0..rows {
                w[[start + r, col]] = (v[r] - f64::from(b[col])) as f32;
            }
        }
    }
    Ok((w, b, classes))
}

fn with_stderr_silenced<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain POSIX descriptor calls; fd 2 is restored before returning.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if saved >= 0 && null >= 0 {
            libc::dup2(null, 2);
        }
        let out = f();
        if saved >= 0 {
            libc::dup2(saved, 2);
            libc::close(saved);
        }
        if null >= 0 {
            libc::close(null);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<Vec<u32>>, Vec<usize>) {
        // class 0 uses tokens 1-2, class 1 uses tokens 3-4.
        let mut docs = Vec::new();
        let mut y = Vec::new();
        for i in 0..20u32 {
            docs.push(vec![1, 2, 1, 10 + i % 3]);
            y.push(0);
            docs.push(vec![3, 4, 4, 10 + i % 3]);
            y.push(1);
        }
        (docs, y)
    }

    #[test]
    fn logistic_learns_separable_classes() {
        let (docs, y) = toy();
        let p = TrainParams::default().check().unwrap();
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let m = fit(&p, "t", &labels, &docs, &y, &Valence::default()).unwrap();
        let (mut s, mut out) = (FeatureBuf::default(), Vec::new());
        m.predict(&[1, 2], &Valence::default(), &mut s, &mut out);
        assert!(out[0] > 0.5 && out[0] > out[1] && out[2] < 0.01, "{out:?}");
        m.predict(&[4, 3], &Valence::default(), &mut s, &mut out);
        assert!(out[1] > 0.5, "{out:?}");
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn sparse_and_dense_logistic_predict_alike() {
        let (docs, y) = toy();
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let mut p = TrainParams::default().check().unwrap();
        let sparse = fit(&p, "t", &labels, &docs, &y, &Valence::default()).unwrap();
        p.backend = Backend::LogisticDense;
        let dense = fit(&p, "t", &labels, &docs, &y, &Valence::default()).unwrap();
        let (mut s, mut a, mut b) = (FeatureBuf::default(), Vec::new(), Vec::new());
        for text in [&[1u32, 2][..], &[3, 4], &[1, 4, 11], &[12]] {
            sparse.predict(text, &Valence::default(), &mut s, &mut a);
            dense.predict(text, &Valence::default(), &mut s, &mut b);
            for (x, z) in a.iter().zip(&b) {
                assert!((x - z).abs() < 0.02, "{text:?}: {a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn naive_bayes_learns_separable_classes() {
        let (docs, y) = toy();
        let mut p = TrainParams::default().check().unwrap();
        p.backend = Backend::NaiveBayes;
        p.alpha = 1.0;
        let labels = vec!["a".to_string(), "b".to_string()];
        let m = fit(&p, "t", &labels, &docs, &y, &Valence::default()).unwrap();
        let (mut s, mut out) = (FeatureBuf::default(), Vec::new());
        m.predict(&[3, 4], &Valence::default(), &mut s, &mut out);
        assert!(out[1] > 0.5, "{out:?}");
    }

    #[test]
    fn params_are_checked_before_fit() {
        let mut p = TrainParams::default();
        p.0.alpha = -1.0;
        assert_eq!(
            p.check().unwrap_err().to_string(),
            "invalid hyperparameter alpha = -1: must be a positive number"
        );
    }
}
