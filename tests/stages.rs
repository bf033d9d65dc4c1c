//! Table tests of extraction and attribution with the shipped resources.

mod common;

use common::statements;

fn one(text: &str) -> (Vec<String>, String) {
    let s = statements(text);
    assert_eq!(s.len(), 1, "expected one statement in {text:?}, got {s:#?}");
    s.into_iter().next().unwrap()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn direct_quotes() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "\"We will not bow to pressure,\" the minister wrote.",
            &["the minister"],
            "We will not bow to pressure",
        ),
        (
            "“We will not bow to pressure,” Mr. Lavrov said.",
            &["Sergei Lavrov"],
            "We will not bow to pressure",
        ),
        (
            "The spokesman said: \"The border stays closed.\"",
            &["The spokesman"],
            "The border stays closed.",
        ),
        (
            "\"Talks will go on,\" said Jens Stoltenberg.",
            &["Jens Stoltenberg"],
            "Talks will go on",
        ),
        (
            "\"We are ready. We have always been ready,\" Angela Merkel told reporters.",
            &["Angela Merkel"],
            "We are ready. We have always been ready",
        ),
    ];
    for (text, who, what) in cases {
        assert_eq!(one(text), (names(who), what.to_string()), "{text}");
    }
}

#[test]
fn split_quote_keeps_speaker() {
    let text = "\"We are ready,\" she said, \"but not at any price.\"";
    let pre = "Finnish President Sauli Niinisto spoke on Monday. ";
    let full = format!("{pre}{text}");
    let s = statements(&full);
    let got: Vec<_> = s.iter().map(|(w, t)| (w.clone(), t.as_str())).collect();
    assert_eq!(
        got,
        [
            (names(&["Sauli Niinisto"]), "We are ready"),
            (names(&["Sauli Niinisto"]), "but not at any price.")
        ]
    );
}

#[test]
fn indirect_speech() {
    let text = "The premier said her country was willing to reopen the border crossing.";
    assert_eq!(
        one(text),
        (
            names(&["The premier"]),
            "her country was willing to reopen the border crossing".into()
        )
    );
    let text = "The talks had failed, the White House said.";
    assert_eq!(
        one(text),
        (names(&["the White House"]), "The talks had failed".into())
    );
}

#[test]
fn pronouns_and_roles_resolve_to_named_actors() {
    let text = "French President Emmanuel Macron arrived in Berlin. He said the EU stood united. The president added that sanctions would stay.";
    let s = statements(text);
    assert_eq!(s.len(), 2, "{s:#?}");
    assert!(
        s.iter().all(|(w, _)| w == &names(&["Emmanuel Macron"])),
        "{s:#?}"
    );
}

#[test]
fn joint_statements_list_every_signatory() {
    let text =
        "Starmer, Macron, Merz and Tusk said in a statement that the position was unacceptable.";
    assert_eq!(
        one(text).0,
        names(&[
            "Keir Starmer",
            "Emmanuel Macron",
            "Friedrich Merz",
            "Donald Tusk"
        ])
    );
}

#[test]
fn organisations_and_states() {
    let cases: &[(&str, &str)] = &[
        (
            "The Kremlin said the proposal was a provocation.",
            "the Kremlin",
        ),
        (
            "Japan's foreign ministry said it had lodged a protest.",
            "Japan's foreign ministry",
        ),
        (
            "The African Union said it would send mediators.",
            "the African Union",
        ),
        (
            "The White House called on both sides to stop the fighting.",
            "the White House",
        ),
    ];
    for (text, who) in cases {
        assert_eq!(one(text).0, names(&[who]), "{text}");
    }
}

#[test]
fn surnames_resolve_to_full_names_seen_earlier() {
    let text = "Ahmad Khan Rahami was arrested on Monday. \"I did nothing,\" Mr. Rahami said.";
    assert_eq!(one(text).0, names(&["Ahmad Khan Rahami"]));
}

#[test]
fn relays_and_unknown_speakers() {
    // A news agency after "according to" relays; the speech verb's subject speaks.
    let text = "Putin said the offer stood, according to Reuters.";
    assert_eq!(one(text).0, names(&["Vladimir Putin"]));
    // A speaker in no gazetteer is reported by the name the text gives.
    let text = "\"The plant will close,\" said Maria Oyelaran-Whitfield.";
    assert_eq!(one(text).0, names(&["Maria Oyelaran-Whitfield"]));
    // Scare quotes without a speaker are not statements.
    assert!(statements("The so-called \"peace plan\" was published on Friday.").is_empty());
}

#[test]
fn quotes_before_an_attributed_quote_share_its_speaker() {
    let text = "Producer Kevin Wallace spoke on Monday. \"It will be like nothing they have ever seen before.\" \"We could not get a theatre in time,\" added the British producer.";
    let s = statements(text);
    let got: Vec<_> = s.iter().map(|(w, t)| (w.clone(), t.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                names(&["Kevin Wallace"]),
                "It will be like nothing they have ever seen before."
            ),
            (
                names(&["Kevin Wallace"]),
                "We could not get a theatre in time"
            ),
        ]
    );
}

#[test]
fn participle_cues_attribute_to_the_clause_subject() {
    let text = "Secretary of State John Kerry defended the plan on Tuesday, saying the hope is to change the calculation.";
    assert_eq!(
        one(text),
        (
            names(&["John Kerry"]),
            "the hope is to change the calculation".into()
        )
    );
}
