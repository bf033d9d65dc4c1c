//! Property tests: arbitrary text never panics, every statement's offsets are exact, and a run's
//! output does not depend on the thread count or batching.

mod common;

use proptest::prelude::*;

/// Text built from news-like fragments, so that quotes, cues and names actually meet.
fn newsish() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        Just("\"".to_string()),
        Just("“".to_string()),
        Just("”".to_string()),
        Just("'".to_string()),
        Just(" said ".to_string()),
        Just(" told reporters ".to_string()),
        Just(" according to ".to_string()),
        Just("President Emmanuel Macron".to_string()),
        Just("Mr. Smith".to_string()),
        Just(" He ".to_string()),
        Just("the Kremlin".to_string()),
        Just(", ".to_string()),
        Just(". ".to_string()),
        Just(":".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just(" and ".to_string()),
        Just("’s ".to_string()),
        "[a-zA-Z ]{1,12}",
        "\\PC{1,6}",
    ];
    prop::collection::vec(frag, 0..60).prop_map(|v| v.concat())
}

fn check(text: &str) {
    let p = common::pipeline();
    for s in p.statements(text) {
        assert!(
            s.range.start < s.range.end && s.range.end <= text.len(),
            "range {:?} in {} bytes",
            s.range,
            text.len()
        );
        assert!(text.is_char_boundary(s.range.start) && text.is_char_boundary(s.range.end));
        assert!(!s.speakers.is_empty());
        assert!(s.speakers.iter().all(|sp| !sp.name.is_empty()));
    }
    let mut scratch = Default::default();
    for s in p.score(text, &mut scratch).unwrap() {
        for probs in [&s.stance.probs, &s.sentiment.probs] {
            assert!(probs.iter().all(|v| v.is_finite() && *v >= 0.0));
            assert!((probs.iter().sum::<f32>() - 1.0).abs() < 1e-3);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_strings_never_panic(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn newslike_strings_have_exact_offsets(text in newsish()) {
        check(&text);
    }

    #[test]
    fn statements_do_not_depend_on_other_articles(a in newsish(), b in newsish()) {
        // Scoring is per article: results for `a` are the same before and after scoring `b`.
        let p = common::pipeline();
        let first = p.statements(&a);
        let _ = p.statements(&b);
        prop_assert_eq!(first, p.statements(&a));
    }
}

/// A JSONL corpus: news-like articles, with now and then a broken line.
fn corpus() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        8 => newsish().prop_map(|t| serde_json::json!({"id": "a", "text": t}).to_string()),
        1 => "\\PC{0,40}",
    ];
    prop::collection::vec(line, 0..24).prop_map(|lines| {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{}\n", l.replacen("\"a\"", &format!("\"a{i}\""), 1)))
            .collect::<String>()
            .into_bytes()
    })
}

/// `score` over a corpus file with the given threads and batch size: (output, errors).
fn score_run(path: &std::path::Path, threads: usize, batch_records: usize) -> (Vec<u8>, Vec<u8>) {
    use stance::input::{Input, RawRecord, Records};
    use stance::run::{run, RunOptions};
    let p = common::pipeline();
    let mut records = Records::new(vec![Input::Jsonl(path.to_path_buf())], 1 << 20);
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let opts = RunOptions {
        threads,
        batch_records,
        ..RunOptions::default()
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let f = |rec: &RawRecord<'_>, scratch: &mut _, buf: &mut _| p.score_record(rec, scratch, buf);
    let summary = run(&mut records, f, &mut out, &mut errors, opts, &stop, |_| {}).unwrap();
    assert_eq!(summary.records, summary.ok + summary.failed);
    (out, errors)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn output_does_not_depend_on_threads_or_batches(corpus in corpus()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corpus.jsonl");
        std::fs::write(&path, &corpus).unwrap();
        let one = score_run(&path, 1, 4096);
        prop_assert_eq!(&one, &score_run(&path, 2, 1));
        prop_assert_eq!(&one, &score_run(&path, 2, 5));
        prop_assert_eq!(&one, &score_run(&path, 0, 3)); // 0: all cores
    }
}

#[test]
fn pathological_inputs() {
    let long_sentence = "word ".repeat(20_000); // 100,000 characters, no punctuation
    check(&long_sentence);
    let nested = format!(
        "{}He said it.{}",
        "\"“‘".repeat(2_000),
        "”\"’".repeat(1_500)
    );
    check(&nested);
    let unbalanced = "\"We will win, he said. \"No. ”Yes“ \" \" said Trump".repeat(200);
    check(&unbalanced);
    let quotes_only = "\"".repeat(10_001);
    check(&quotes_only);
}
