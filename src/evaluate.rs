//! Classification metrics: accuracy, macro-F1, per-class precision/recall/F1,
//! confusion matrix.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: Vec<ClassMetrics>,
    /// `confusion[gold][predicted]`, in label order.
    pub confusion: Vec<Vec<usize>>,
    pub labels: Vec<String>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Metrics of predictions against gold label indices.
pub fn metrics(labels: &[String], gold: &[usize], pred: &[usize]) -> Metrics {
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (&g, &p) in gold.iter().zip(pred) {
        confusion[g][p] += 1;
    }
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let per_class: Vec<ClassMetrics> = (0..k)
        .map(|c| {
            let tp = confusion[c][c];
            let predicted: usize = (0..k).map(|g| confusion[g][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassMetrics {
                label: labels[c].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let macro_f1 = per_class.iter().map(|c| c.f1).sum::<f64>() / k.max(1) as f64;
    Metrics {
        n: gold.len(),
        accuracy: ratio(correct, gold.len()),
        macro_f1,
        per_class,
        confusion,
        labels: labels.to_vec(),
    }
}

impl Metrics {
    /// A readable table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "n = {}   accuracy = {:.3}   macro-F1 = {:.3}\n\n",
            self.n, self.accuracy, self.macro_f1
        );
        s.push_str(&format!(
            "{:<14} {:>9} {:>9} {:>9} {:>9}\n",
            "label", "precision", "recall", "f1", "support"
        ));
        for c in &self.per_class {
            s.push_str(&format!(
                "{:<14} {:>9.3} {:>9.3} {:>9.3} {:>9}\n",
                c.label, c.precision, c.recall, c.f1, c.support
            ));
        }
        s.push_str("\nconfusion (rows gold, columns predicted)\n");
        s.push_str(&format!("{:<14}", ""));
        for l in &self.labels {
            s.push_str(&format!(" {:>12}", l));
        }
        s.push('\n');
        for (l, row) in self.labels.iter().zip(&self.confusion) {
            s.push_str(&format!("{l:<14}"));
            for v in row {
                s.push_str(&format!(" {v:>12}"));
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let labels = vec!["a".to_string(), "b".to_string()];
        // gold a a b b, pred a b b b: a P=1 R=.5 F=.667; b P=.667 R=1 F=.8
        let m = metrics(&labels, &[0, 0, 1, 1], &[0, 1, 1, 1]);
        assert_eq!(m.accuracy, 0.75);
        assert!((m.per_class[0].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.per_class[1].f1 - 0.8).abs() < 1e-12);
        assert!((m.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-12);
        assert_eq!(m.confusion, vec![vec![1, 1], vec![0, 2]]);
        assert!(m.table().contains("macro-F1 = 0.733"));
    }
}
