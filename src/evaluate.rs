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
    fn extraction_matching() {
        let text = "A said x y z. B said p q r. C said u v w.".to_string();
        let labels = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let st = labels(&["conciliatory", "hardline", "neutral"]);
        let se = labels(&["positive", "negative", "neutral"]);
        let gold: Vec<GoldStatement> = [
            ("x y z", "A", "hardline"),
            ("p q r", "B", "neutral"),
            ("not there", "Z", "neutral"),
        ]
        .iter()
        .map(|(cue, who, stance)| GoldStatement {
            article_id: Some("a1".into()),
            actors: vec![who.to_string()],
            cue: cue.to_string(),
            stance: stance.to_string(),
            sentiment: "neutral".into(),
        })
        .collect();
        let pred = |r: std::ops::Range<usize>, who: &str, stance: &str| PredictedStatement {
            range: r,
            speakers: vec![who.to_string()],
            stance: stance.into(),
            sentiment: "neutral".into(),
        };
        // Matches "x y z" with the right speaker, "p q r" with a wrong one; one spurious.
        let preds = vec![
            pred(7..12, "A", "hardline"),
            pred(21..26, "Q", "neutral"),
            pred(35..40, "C", "neutral"),
        ];
        let m = extraction_metrics(&[("a1".into(), text, preds)], &gold, &st, &se);
        assert_eq!(
            (
                m.gold,
                m.predicted,
                m.matched_gold,
                m.matched_predicted,
                m.cues_not_in_text
            ),
            (2, 3, 2, 2, 1)
        );
        assert_eq!(m.recall, 1.0);
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.speaker_exact, 0.5);
        assert_eq!(m.stance.accuracy, 1.0);
    }

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

/// One gold statement, as in `../shared/seed/expected.jsonl` (plus `article_id`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct GoldStatement {
    #[serde(default)]
    pub article_id: Option<String>,
    pub actors: Vec<String>,
    pub cue: String,
    pub stance: String,
    pub sentiment: String,
}

/// A predicted statement of an article, for matching against gold.
#[derive(Debug, Clone)]
pub struct PredictedStatement {
    pub range: std::ops::Range<usize>,
    pub speakers: Vec<String>,
    pub stance: String,
    pub sentiment: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExtractionMetrics {
    pub articles: usize,
    pub gold: usize,
    pub predicted: usize,
    pub matched_gold: usize,
    pub matched_predicted: usize,
    pub recall: f64,
    pub precision: f64,
    pub f1: f64,
    /// Matched statements whose speaker set equals the gold actors.
    pub speaker_exact: f64,
    /// Matched statements whose main speaker is one of the gold actors.
    pub speaker_main: f64,
    pub stance: Metrics,
    pub sentiment: Metrics,
    /// Gold cues not found verbatim in their article (not counted).
    pub cues_not_in_text: usize,
}

fn norm_name(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix("the ")
        .or_else(|| s.strip_prefix("The "))
        .unwrap_or(s);
    s.to_lowercase()
}

/// Match gold statements to predictions by position: a prediction matches a
/// gold statement when its span covers at least half of the gold cue's first
/// occurrence in the article text. Each prediction matches at most one gold
/// statement (the first unmatched one it covers).
pub fn extraction_metrics(
    articles: &[(String, String, Vec<PredictedStatement>)],
    gold: &[GoldStatement],
    stance_labels: &[String],
    sentiment_labels: &[String],
) -> ExtractionMetrics {
    let (mut n_gold, mut n_pred, mut matched_gold, mut missing) = (0, 0, 0, 0);
    let mut matched_pred = 0;
    let (mut sp_exact, mut sp_main) = (0, 0);
    let (mut st_gold, mut st_pred, mut se_gold, mut se_pred) = (vec![], vec![], vec![], vec![]);
    let mut n_articles = 0;
    for (id, text, preds) in articles {
        let golds: Vec<&GoldStatement> = gold
            .iter()
            .filter(|g| g.article_id.as_deref().is_none_or(|a| a == id))
            .collect();
        if golds.is_empty() {
            continue;
        }
        n_articles += 1;
        n_pred += preds.len();
        let mut used = vec![false; preds.len()];
        for g in golds {
            let Some(pos) = text.find(&g.cue) else {
                missing += 1;
                continue;
            };
            n_gold += 1;
            let cue = pos..pos + g.cue.len();
            let hit = (0..preds.len()).find(|&i| {
                let r = &preds[i].range;
                let overlap = r.end.min(cue.end).saturating_sub(r.start.max(cue.start));
                !used[i] && overlap * 2 >= cue.len()
            });
            let Some(i) = hit else { continue };
            used[i] = true;
            matched_gold += 1;
            let p = &preds[i];
            let mut want: Vec<String> = g.actors.iter().map(|a| norm_name(a)).collect();
            let mut got: Vec<String> = p.speakers.iter().map(|a| norm_name(a)).collect();
            if p.speakers
                .first()
                .is_some_and(|m| want.contains(&norm_name(m)))
            {
                sp_main += 1;
            }
            want.sort();
            got.sort();
            if want == got {
                sp_exact += 1;
            }
            let idx = |labels: &[String], l: &str| labels.iter().position(|x| x == l);
            if let (Some(a), Some(b)) =
                (idx(stance_labels, &g.stance), idx(stance_labels, &p.stance))
            {
                st_gold.push(a);
                st_pred.push(b);
            }
            if let (Some(a), Some(b)) = (
                idx(sentiment_labels, &g.sentiment),
                idx(sentiment_labels, &p.sentiment),
            ) {
                se_gold.push(a);
                se_pred.push(b);
            }
        }
        matched_pred += used.iter().filter(|&&u| u).count();
    }
    let recall = ratio(matched_gold, n_gold);
    let precision = ratio(matched_pred, n_pred);
    ExtractionMetrics {
        articles: n_articles,
        gold: n_gold,
        predicted: n_pred,
        matched_gold,
        matched_predicted: matched_pred,
        recall,
        precision,
        f1: if recall + precision > 0.0 {
            2.0 * recall * precision / (recall + precision)
        } else {
            0.0
        },
        speaker_exact: ratio(sp_exact, matched_gold),
        speaker_main: ratio(sp_main, matched_gold),
        stance: metrics(stance_labels, &st_gold, &st_pred),
        sentiment: metrics(sentiment_labels, &se_gold, &se_pred),
        cues_not_in_text: missing,
    }
}

impl ExtractionMetrics {
    pub fn table(&self) -> String {
        format!(
            "articles {}   gold statements {}   predicted {}\n\
             statement recall    {:.3} ({} of {})\n\
             statement precision {:.3} ({} of {})\n\
             statement F1        {:.3}\n\
             speaker exact       {:.3}   main speaker among gold actors {:.3}\n\
             stance macro-F1     {:.3}   sentiment macro-F1 {:.3}   (on matched statements)\n{}",
            self.articles,
            self.gold,
            self.predicted,
            self.recall,
            self.matched_gold,
            self.gold,
            self.precision,
            self.matched_predicted,
            self.predicted,
            self.f1,
            self.speaker_exact,
            self.speaker_main,
            self.stance.macro_f1,
            self.sentiment.macro_f1,
            if self.cues_not_in_text > 0 {
                format!(
                    "({} gold cues not found in their article text were skipped)\n",
                    self.cues_not_in_text
                )
            } else {
                String::new()
            }
        )
    }
}
