//! The fast WordPiece path must give exactly the `tokenizers` crate's ids.

mod common;

use stance::tokenize::Tokenizer;

fn check(tok: &Tokenizer, text: &str) {
    let (mut fast, mut reference) = (Vec::new(), Vec::new());
    tok.encode_into(text, &mut fast).unwrap();
    tok.encode_with_crate(text, &mut reference).unwrap();
    assert_eq!(fast, reference, "token ids differ for {text:?}");
}

#[test]
fn fast_path_matches_crate_token_for_token() {
    let tok = Tokenizer::from_file(&common::model_dir().join("tokenizer.json")).unwrap();
    assert!(
        tok.is_fast(),
        "the shipped tokenizer must use the fast path"
    );
    let mut n = 0;
    for name in ["seed_article.jsonl"] {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(common::fixture(name)).unwrap()).unwrap();
        let text = v["text"].as_str().unwrap();
        check(&tok, text);
        for para in text.split('\n') {
            check(&tok, para);
            n += 1;
        }
    }
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample_articles.jsonl"),
    )
    .unwrap();
    for line in sample.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        check(&tok, v["text"].as_str().unwrap());
        n += 1;
    }
    let adversarial = [
        "",
        " ",
        "Émilie Gourd née Müller’s café — ça coûte 3,50 €",
        "北京市 東京 서울 and mixed中文text",
        "emoji 🇪🇺🇺🇦 👍🏽 family 👨‍👩‍👧",
        "tab\tnew\nline\r\u{0}\u{7}\u{1b}ctrl",
        "combining e\u{301} a\u{308} ñ",
        &"x".repeat(100),
        &"y".repeat(101),
        "[UNK] literal [UNK]",
        "U.S.-China trade: 25%! (really?) #hashtag @handle http://example.com/a?b=c",
        "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ",
        "Ελληνικά Русский текст العربية",
    ];
    for t in adversarial {
        check(&tok, t);
    }
    assert!(n > 10);
}

/// Words of every length around the packed-key limit (15 bytes) and the word
/// limit (100 chars), glued to punctuation, control chars and non-ASCII, at
/// every position relative to the end of the text (the 16-byte loads).
fn wordy() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let frag = prop_oneof![
        "[a-zA-Z0-9]{1,18}",
        "[a-z]{95,105}",
        Just(" ".to_string()),
        Just("\t".to_string()),
        "[.,;:!?'\"()#@\\[`{_~-]",
        "[\u{1}\u{b}\u{c}\u{7f}\u{0}]",
        "[éÉñü’“”—€中\u{301}\u{a0}\u{200b}]",
        "the|said|unaffable|government|Ministers|[UNK]|##ing",
    ];
    prop::collection::vec(frag, 0..40).prop_map(|v| v.concat())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_path_matches_crate_on_generated_text(text in wordy()) {
        static TOK: std::sync::OnceLock<Tokenizer> = std::sync::OnceLock::new();
        let tok = TOK.get_or_init(|| {
            Tokenizer::from_file(&common::model_dir().join("tokenizer.json")).unwrap()
        });
        check(tok, &text);
    }
}
