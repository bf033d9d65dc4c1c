#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use stance::extract::Limits;
use stance::model::Model;
use stance::pipeline::Pipeline;

pub fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default")
}

/// The shipped default model, loaded once per test binary.
pub fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        Pipeline::new(
            Model::load(&model_dir()).expect("shipped model loads"),
            None,
            Limits::default(),
        )
        .unwrap()
    })
}

/// (speakers, text) of each statement found in `text`.
pub fn statements(text: &str) -> Vec<(Vec<String>, String)> {
    pipeline()
        .statements(text)
        .into_iter()
        .map(|s| {
            (
                s.speakers.into_iter().map(|sp| sp.name).collect(),
                text[s.range].to_string(),
            )
        })
        .collect()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
