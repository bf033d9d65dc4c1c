//! The fast WordPiece path against the `tokenizers` crate, id for id.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stance::model::Model;

const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default");

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let m = Model::load(Path::new(MODEL_DIR)).expect("loading models/default");
        assert!(m.tokenizer.is_fast(), "models/default does not use the fast tokenizer");
        m
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let t = &model().tokenizer;
    let (mut fast, mut reference) = (Vec::new(), Vec::new());
    t.encode_into(text, &mut fast).expect("fast encode");
    t.encode_with_crate(text, &mut reference).expect("crate encode");
    assert_eq!(fast, reference, "fast and crate tokenizers disagree on {text:?}");
});
