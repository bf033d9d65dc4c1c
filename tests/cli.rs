//! The `stance` binary: formats, determinism across threads, errors and exit codes.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Start the binary with piped standard streams, from the repository root.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(args)
        .env_remove("STANCE_MODEL")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stance(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = spawn(args);
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A corpus of many articles: the sample articles repeated under new ids.
fn corpus(copies: usize) -> Vec<u8> {
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample_articles.jsonl"),
    )
    .unwrap();
    let mut out = Vec::new();
    for i in 0..copies {
        for line in sample.lines() {
            let mut v: Value = serde_json::from_str(line).unwrap();
            v["id"] = format!("{}-{i}", v["id"].as_str().unwrap()).into();
            serde_json::to_writer(&mut out, &v).unwrap();
            out.push(b'\n');
        }
    }
    out
}

#[test]
fn help_documents_formats() {
    let out = stance(&["score", "--help"], None);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "article_id",
        "stance_scores",
        "--threads",
        "--errors",
        "--fail-fast",
        "byte offsets",
    ] {
        assert!(help.contains(needle), "score --help lacks {needle}");
    }
    for cmd in ["classify", "train", "eval", "rebuild"] {
        assert!(
            stance(&[cmd, "--help"], None).status.success(),
            "{cmd} --help"
        );
    }
}

#[test]
fn score_output_fields_and_offsets() {
    let input = std::fs::read(common::fixture("seed_article.jsonl")).unwrap();
    let article: Value = serde_json::from_slice(&input).unwrap();
    let text = article["text"].as_str().unwrap();
    let out = stance(&["score", "-q"], Some(&input));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = lines(&out.stdout);
    assert!(rows.len() >= 7);
    let mut last_start = 0;
    for r in &rows {
        let (s, e) = (
            r["start"].as_u64().unwrap() as usize,
            r["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[s..e], r["text"].as_str().unwrap());
        assert!(s >= last_start, "statements in text order");
        last_start = s;
        assert_eq!(r["article_id"], article["id"]);
        assert_eq!(r["date"], article["date"]);
        assert!(["conciliatory", "hardline", "neutral"].contains(&r["stance"].as_str().unwrap()));
        assert!(["positive", "negative", "neutral"].contains(&r["sentiment"].as_str().unwrap()));
        let total: f64 = r["stance_scores"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        assert_eq!(r["speaker"], r["speakers"][0]);
    }
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let input = corpus(40);
    let one = stance(&["score", "-q", "--threads", "1"], Some(&input));
    let two = stance(&["score", "-q", "--threads", "2"], Some(&input));
    assert!(one.status.success() && two.status.success());
    assert!(one.stdout.len() > 1000);
    assert_eq!(one.stdout, two.stdout);
    let c1 = stance(&["classify", "-q", "-j", "1"], Some(&one.stdout));
    let c2 = stance(&["classify", "-q", "-j", "2"], Some(&one.stdout));
    assert_eq!(c1.stdout, c2.stdout);
}

#[test]
fn classify_keeps_fields_and_adds_predictions() {
    let input = b"{\"text\": \"We will answer every provocation with force.\", \"id\": 7, \"extra\": [1, 2]}\n";
    let out = stance(&["classify", "-q"], Some(input));
    assert!(out.status.success());
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["extra"], serde_json::json!([1, 2]));
    assert_eq!(rows[0]["id"], 7);
    let keys: Vec<_> = rows[0].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "text",
            "id",
            "extra",
            "stance",
            "stance_scores",
            "sentiment",
            "sentiment_scores"
        ]
    );
}

#[test]
fn classify_uses_target_marks_and_rejects_bad_ones() {
    let text = "Critics attacked Merkel over the deal.";
    let input = format!(
        "{}\n{}\n{}\n",
        serde_json::json!({"id": "plain", "text": text}),
        serde_json::json!({"id": "marked", "text": text, "targets": [[17, 23]]}),
        serde_json::json!({"id": "bad", "text": text, "targets": [[17, 99]]}),
    );
    let out = stance(
        &["classify", "-q", "--errors", "/dev/stdout"],
        Some(input.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(3), "finished with record errors");
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 3);
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap();
    let negative = |id: &str| row(id)["sentiment_scores"]["negative"].as_f64().unwrap();
    // The sentiment model was trained with marked NewsMTSC targets, so the
    // mark is a feature: the same text scores differently with it.
    assert_ne!(negative("plain"), negative("marked"));
    assert_eq!(row("marked")["targets"], serde_json::json!([[17, 23]]));
    assert_eq!(row("bad")["line"], 3);
    let message = row("bad")["error"].as_str().unwrap();
    assert!(message.contains("target [17, 99]"), "{message}");
}

#[test]
fn bad_records_get_one_error_each_and_the_run_goes_on() {
    let good = std::fs::read(common::fixture("seed_article.jsonl")).unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(b"\xEF\xBB\xBF{\"id\": \"bom\", \"text\": \"\\\"We are ready,\\\" Angela Merkel said.\"}\r\n");
    input.extend_from_slice(b"{\"id\": \"a\", \"text\": \n"); // truncated JSON
    input.extend_from_slice(b"{\"id\": \"b\", \"text\": \"caf\xE9\"}\n"); // invalid UTF-8
    input.extend_from_slice(b"{\"id\": \"c\"}\n"); // missing text
    input.extend_from_slice(b"{\"id\": \"d\", \"text\": 5}\n"); // non-string text
    input.extend_from_slice(b"{\"id\": \"e\", \"text\": \"   \"}\n"); // empty text
    input.extend_from_slice(b"\x00\x01\x02\xFF garbage\n");
    input.extend_from_slice(b"\n"); // blank line: not a record
    input.extend_from_slice(&good);
    let out = stance(&["score"], Some(&input));
    assert_eq!(out.status.code(), Some(3), "finished with record errors");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, Option<&str>)> = errors
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["id"].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (2, None),
            (3, None),
            (4, Some("c")),
            (5, Some("d")),
            (6, Some("e")),
            (7, None)
        ]
    );
    assert!(errors[1]["error"]
        .as_str()
        .unwrap()
        .contains("invalid UTF-8 at byte 24"));
    assert!(errors[2]["error"]
        .as_str()
        .unwrap()
        .contains("missing field `text`"));
    assert!(
        stderr.contains("8 records read = 2 scored + 6 failed"),
        "{stderr}"
    );
    let rows = lines(&out.stdout);
    assert_eq!(rows[0]["article_id"], "bom");
    assert!(rows.iter().any(|r| r["article_id"] == "seed-2025-05-17"));
}

#[test]
fn errors_name_their_input_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, txt) = (
        dir.path().join("one.jsonl"),
        dir.path().join("two.jsonl"),
        dir.path().join("texts"),
    );
    std::fs::write(&one, "{\"id\": \"a\", \"text\": \"x\"}\nnot json\n").unwrap();
    std::fs::write(&two, "\n{\"id\": \"b\"}\n").unwrap();
    std::fs::create_dir(&txt).unwrap();
    std::fs::write(txt.join("empty.txt"), "").unwrap();
    let paths = [&one, &two, &txt].map(|p| p.to_str().unwrap().to_string());
    let args = ["score", "-q", &paths[0], &paths[1], &paths[2]];
    let out = stance(&args, None);
    assert_eq!(out.status.code(), Some(3));
    let got: Vec<(String, Option<u64>, Option<String>)> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|e| {
            let source = e["source"].as_str().unwrap().to_string();
            (
                source,
                e["line"].as_u64(),
                e["id"].as_str().map(String::from),
            )
        })
        .collect();
    let empty = txt.join("empty.txt").to_str().unwrap().to_string();
    assert_eq!(
        got,
        [
            (paths[0].clone(), Some(2), None),
            (paths[1].clone(), Some(2), Some("b".into())),
            (empty, None, Some("empty".into())),
        ]
    );
}

#[test]
fn fail_fast_stops_at_first_bad_record() {
    let input = b"{\"id\": \"a\", \"text\": \"x\"}\nnot json\n{\"id\": \"b\", \"text\": \"y\"}\n";
    let out = stance(&["score", "--fail-fast"], Some(input));
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 records read = 1 scored + 1 failed (stopped early)"),
        "{stderr}"
    );
}

#[test]
fn oversized_records_are_errors_not_memory() {
    let big = format!(
        "{{\"id\": \"big\", \"text\": \"{}\"}}\n{{\"id\": \"ok\", \"text\": \"fine\"}}\n",
        "a".repeat(5000)
    );
    let out = stance(
        &["score", "--max-article-bytes", "1000"],
        Some(big.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("larger than the limit of 1000 bytes"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 records read = 1 scored + 1 failed"),
        "{stderr}"
    );
}

#[test]
fn txt_directory_input_uses_file_stems() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("b-article.txt"),
        "\"We will win,\" said Boris Johnson.",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a-article.txt"),
        "The Kremlin said the talks were over.",
    )
    .unwrap();
    std::fs::write(dir.path().join("ignored.md"), "\"No,\" said Trump.").unwrap();
    let out = stance(&["score", "-q", dir.path().to_str().unwrap()], None);
    assert!(out.status.success());
    let ids: Vec<_> = lines(&out.stdout)
        .iter()
        .map(|r| r["article_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a-article", "b-article"]);
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.jsonl");
    let input = corpus(2);
    let out = stance(
        &["score", "-q", "-o", out_path.to_str().unwrap()],
        Some(&input),
    );
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let written = std::fs::read(&out_path).unwrap();
    assert_eq!(
        lines(&written).len(),
        lines(&stance(&["score", "-q"], Some(&input)).stdout).len()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
}

#[test]
fn a_paused_input_stream_gets_its_output_before_it_ends() {
    use std::io::BufRead;
    let article = std::fs::read(common::fixture("seed_article.jsonl")).unwrap();
    let mut child = spawn(&["score", "-q"]);
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    stdin.write_all(&article).unwrap();
    stdin.flush().unwrap();
    // Standard input stays open: a live feed that has paused. The wait is
    // only a guard against hanging; the output comes as soon as it is made.
    let first = rx.recv_timeout(std::time::Duration::from_secs(120));
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    let first: Value =
        serde_json::from_str(&first.expect("output before the input ended")).unwrap();
    assert_eq!(first["article_id"], "seed-2025-05-17");
    let rest = rx.try_iter().count();
    assert_eq!(
        rest + 1,
        lines(&stance(&["score", "-q"], Some(&article)).stdout).len()
    );
}

#[test]
fn a_signal_ends_a_run_that_waits_for_input() {
    use std::io::BufRead;
    let article = std::fs::read(common::fixture("seed_article.jsonl")).unwrap();
    let mut child = spawn(&["score", "-q"]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&article).unwrap();
    stdin.flush().unwrap();
    // Once output comes, the run is waiting for more input, signal handler installed.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("seed-2025-05-17"), "{first}");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    // Standard input is still open: only the signal can end the run.
    let mut status = None;
    for _ in 0..1200 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let Some(status) = status else {
        child.kill().unwrap();
        panic!("still waiting for input after the signal");
    };
    assert_eq!(status.code(), Some(130));
    drop(stdin);
}

#[test]
fn output_to_a_pipe_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    // A FIFO stands in for `-o /dev/null`: renaming over it would make it a regular file.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let input = corpus(1);
    let out = stance(&["score", "-q", "-o", fifo.to_str().unwrap()], Some(&input));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Checked before joining the reader, which would wait forever on a replaced FIFO.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let written = reader.join().unwrap();
    assert_eq!(written, stance(&["score", "-q"], Some(&input)).stdout);
}

#[test]
fn broken_pipe_is_success() {
    let input = corpus(200);
    let mut child = spawn(&["score", "-q"]);
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_model(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(common::model_dir()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn model_error(dir: &Path) -> String {
    let out = stance(&["score", "--model", dir.to_str().unwrap()], Some(b""));
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn corrupt_truncated_missing_and_future_models_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");

    copy_model(&dir);
    let p = dir.join("stance.json");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let err = model_error(&dir);
    assert!(
        err.contains("stance.json") && err.contains("truncated"),
        "{err}"
    );

    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] = if flipped[mid] == b'1' { b'2' } else { b'1' };
    std::fs::write(&p, &flipped).unwrap();
    let err = model_error(&dir);
    assert!(
        err.contains("stance.json") && err.contains("checksum mismatch"),
        "{err}"
    );

    std::fs::write(&p, &bytes).unwrap();
    std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
    let err = model_error(&dir);
    assert!(err.contains("tokenizer.json"), "{err}");

    copy_model(&dir);
    let m = dir.join("manifest.json");
    let manifest =
        std::fs::read_to_string(&m)
            .unwrap()
            .replacen("\"version\": 1", "\"version\": 99", 1);
    std::fs::write(&m, manifest).unwrap();
    let err = model_error(&dir);
    assert!(
        err.contains("manifest.json") && err.contains("unsupported model format version 99"),
        "{err}"
    );

    std::fs::write(&m, "{\"format\": \"stance-model\", \"vers").unwrap();
    let err = model_error(&dir);
    assert!(
        err.contains("manifest.json") && err.contains("corrupt or truncated"),
        "{err}"
    );

    let err = model_error(&tmp.path().join("nowhere"));
    assert!(err.contains("nowhere/manifest.json"), "{err}");
}

#[test]
fn train_writes_a_loadable_model_and_rejects_bad_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d.jsonl");
    let mut s = String::new();
    for i in 0..12 {
        s.push_str(&format!("{{\"text\": \"We welcome the talks and hope for a deal {i}\", \"label\": \"conciliatory\"}}\n"));
        s.push_str(&format!("{{\"text\": \"We reject this and will retaliate with force {i}\", \"label\": \"hardline\"}}\n"));
        s.push_str(&format!(
            "{{\"text\": \"The meeting is on Tuesday at noon {i}\", \"label\": \"neutral\"}}\n"
        ));
    }
    std::fs::write(&data, &s).unwrap();
    let out_dir = tmp.path().join("model");
    let args = [
        "train",
        "--task",
        "stance",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--cv",
        "3",
    ];
    let out = stance(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3-fold cross-validation"));
    let read_dir = |d: &Path| -> Vec<(std::ffi::OsString, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.file_name(), std::fs::read(e.path()).unwrap()))
            .collect();
        v.sort();
        v
    };
    let first = read_dir(&out_dir);
    // Same data and settings: byte-identical model directory.
    assert!(stance(&args, None).status.success());
    assert_eq!(first, read_dir(&out_dir));
    let scored = stance(
        &["classify", "-q", "--model", out_dir.to_str().unwrap()],
        Some(b"{\"text\": \"We will retaliate with force\"}\n"),
    );
    assert_eq!(lines(&scored.stdout)[0]["stance"], "hardline");

    s.push_str("{\"text\": \"x\", \"label\": \"maybe\"}\n");
    std::fs::write(&data, &s).unwrap();
    let out = stance(&args, None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("d.jsonl:37: unknown label \"maybe\""), "{err}");

    let out = stance(
        &[
            "train",
            "--task",
            "stance",
            "--data",
            data.to_str().unwrap(),
            "--out",
            "x",
            "--alpha=-1",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid hyperparameter alpha = -1"));
}

#[test]
fn huge_article_is_scored_within_limits() {
    // A 50 MB article: many paragraphs with quotes, plus one 100,000-character sentence.
    let para = "\"We are ready to talk,\" Angela Merkel said on Monday. The Kremlin said the offer was a trick.\n\n";
    let mut text = para.repeat(50_000_000 / para.len());
    text.push_str(&"blah ".repeat(20_000));
    let line = serde_json::to_vec(&serde_json::json!({"id": "huge", "text": text})).unwrap();
    let out = stance(&["score", "-q"], Some(&line));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = out.stdout.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(n, 2 * (50_000_000 / para.len()));
}

#[test]
fn interrupted_run_leaves_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.jsonl");
    std::fs::write(&out_path, "previous\n").unwrap();
    let mut child = spawn(&["score", "-q", "-o", out_path.to_str().unwrap()]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&corpus(50)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    std::thread::sleep(std::time::Duration::from_millis(100));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), "previous\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "temporary file removed: {names:?}");
}
