//! Segmentation + extraction + attribution (+ classification) of arbitrary text.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stance::extract::Limits;
use stance::model::Model;
use stance::pipeline::{Pipeline, Scratch};

const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default");

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        let model = Model::load(Path::new(MODEL_DIR)).expect("loading models/default");
        Pipeline::new(model, None, Limits::default()).expect("building the pipeline")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let p = pipeline();

    let statements = p.statements(text);
    for s in &statements {
        let r = &s.range;
        assert!(r.start < r.end, "empty or reversed range {r:?}: {s:?}");
        assert!(r.end <= text.len(), "range {r:?} past end {}: {s:?}", text.len());
        assert!(text.is_char_boundary(r.start), "start {} not on a char boundary: {s:?}", r.start);
        assert!(text.is_char_boundary(r.end), "end {} not on a char boundary: {s:?}", r.end);
        assert!(!s.speakers.is_empty(), "statement without speakers: {s:?}");
        assert!(
            r.len() <= p.limits.max_statement_bytes,
            "statement of {} bytes over the {} limit: {s:?}",
            r.len(),
            p.limits.max_statement_bytes
        );
    }

    let mut scratch = Scratch::default();
    let scored = p.score(text, &mut scratch).expect("score failed");
    assert_eq!(scored.len(), statements.len(), "score and statements disagree");
    for (sc, st) in scored.iter().zip(&statements) {
        assert_eq!(sc.statement.range, st.range, "score and statements disagree");
        for (pred, labels) in [
            (&sc.stance, &p.model.stance.labels),
            (&sc.sentiment, &p.model.sentiment.labels),
        ] {
            assert_eq!(pred.probs.len(), labels.len(), "probs/labels length: {pred:?}");
            assert!(pred.label < labels.len(), "label out of range: {pred:?}");
            assert!(
                pred.probs.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
                "non-finite or out-of-range probability: {pred:?}"
            );
            let sum: f32 = pred.probs.iter().sum();
            assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}: {pred:?}");
        }
    }
});
