//! The seed article: every statement a reader finds must come out with the right speakers.

mod common;

use serde_json::Value;

#[test]
fn seed_article_expected_statements_and_speakers() {
    let article: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("seed_article.jsonl")).unwrap(),
    )
    .unwrap();
    let text = article["text"].as_str().unwrap();
    let found = common::statements(text);
    let expected = std::fs::read_to_string(common::fixture("seed_expected.jsonl")).unwrap();
    let mut n = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let exp: Value = serde_json::from_str(line).unwrap();
        let cue = exp["cue"].as_str().unwrap();
        let actors: Vec<String> = exp["actors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let hit = found.iter().find(|(_, t)| t.contains(cue));
        let (speakers, _) =
            hit.unwrap_or_else(|| panic!("no statement contains {cue:?}; found {found:#?}"));
        assert_eq!(speakers, &actors, "speakers of the statement with {cue:?}");
        n += 1;
    }
    assert_eq!(n, 7);
}

#[test]
fn seed_offsets_are_exact() {
    let article: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("seed_article.jsonl")).unwrap(),
    )
    .unwrap();
    let text = article["text"].as_str().unwrap();
    let statements = common::pipeline().statements(text);
    assert!(statements.len() >= 7);
    for s in statements {
        assert!(text.is_char_boundary(s.range.start) && text.is_char_boundary(s.range.end));
        let t = &text[s.range.clone()];
        assert_eq!(t, t.trim(), "statement text is trimmed");
        assert!(!t.is_empty());
    }
}
