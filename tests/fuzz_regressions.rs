//! Inputs found by `cargo fuzz` (fuzz/), kept as regression tests: every one must
//! keep the invariants the fuzz targets check.

mod common;

use stance::attribute::Actors;
use stance::segment::segment;

#[test]
fn fuzz_findings_keep_their_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let p = common::pipeline();
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let seg = segment(text);
        let actors = Actors::analyse(text, &seg, &p.model.gazetteer, &p.model.names);
        for w in actors.mentions.windows(2) {
            assert!(
                w[0].full.start <= w[1].full.start && w[0].full.end <= w[1].full.end,
                "{:?} then {:?} in {text:?}",
                w[0],
                w[1]
            );
        }
        for m in &actors.mentions {
            assert!(m.full.start <= m.name_range.start && m.name_range.end <= m.full.end);
        }
        for s in p.statements(text) {
            assert!(
                s.range.end <= text.len()
                    && text.is_char_boundary(s.range.start)
                    && text.is_char_boundary(s.range.end)
            );
            assert!(!s.speakers.is_empty());
        }
        n += 1;
    }
    assert!(n > 0, "no regression inputs found");
}
