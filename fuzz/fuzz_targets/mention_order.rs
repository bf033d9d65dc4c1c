//! Ordering invariants of actor mentions that lookups rely on: `Actors::items`
//! binary-searches `mentions` by `full.end`, and `last_actor_before` stops at the
//! first mention whose `full.start` is not before the position.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stance::attribute::Actors;
use stance::model::Model;
use stance::segment::segment;

const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default");

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| Model::load(Path::new(MODEL_DIR)).expect("loading models/default"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let m = model();
    let seg = segment(text);
    let actors = Actors::analyse(text, &seg, &m.gazetteer, &m.names);
    for w in actors.mentions.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(a.full.start <= b.full.start, "mentions not sorted by full.start: {a:?} then {b:?}");
        assert!(a.full.end <= b.full.end, "mentions not sorted by full.end: {a:?} then {b:?}");
    }
    for m in &actors.mentions {
        assert!(m.full.start <= m.name_range.start && m.name_range.end <= m.full.end, "{m:?}");
        assert!(text.is_char_boundary(m.full.start) && text.is_char_boundary(m.full.end), "{m:?}");
    }
});
