//! Property tests: arbitrary text never panics, and every statement's offsets are exact.

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
