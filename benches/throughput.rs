//! Throughput of each stage and of the whole `score` path, in bytes of input text, with one
//! thread and with all of them.
//!
//! Data: the first ~4 MB of `$STANCE_SHARED/corpora/allsides_40mb.jsonl` (default
//! `../shared`) when present, else `examples/sample_articles.jsonl`. Loading the
//! model and the data happens outside the timed closures.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use stance::classify::{argmax, softmax};
use stance::extract::Limits;
use stance::featurize::{JointBuf, JointIndex};
use stance::model::Model;
use stance::pipeline::{Pipeline, Scratch};

// The allocator the `stance` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus() -> Vec<String> {
    let shared =
        std::env::var_os("STANCE_SHARED").map_or_else(|| PathBuf::from("../shared"), PathBuf::from);
    let real = shared.join("corpora/allsides_40mb.jsonl");
    let path = if real.exists() {
        real
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample_articles.jsonl")
    };
    let text = std::fs::read_to_string(&path).expect("bench corpus");
    let mut out = Vec::new();
    let mut bytes = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSONL");
        let t = v["text"].as_str().unwrap_or_default().to_string();
        bytes += t.len();
        out.push(t);
        if bytes > 4_000_000 {
            break;
        }
    }
    eprintln!(
        "bench corpus: {} articles, {:.1} MB from {}",
        out.len(),
        bytes as f64 / 1e6,
        path.display()
    );
    out
}

fn benches(c: &mut Criterion) {
    let model =
        Model::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default")).expect("model");
    let p = Pipeline::new(model, None, Limits::default()).unwrap();
    let docs = corpus();
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    // Statement texts, and their token ids, for the per-stage benchmarks.
    let statements: Vec<&str> = docs
        .iter()
        .flat_map(|d| p.statements(d).into_iter().map(move |s| &d[s.range]))
        .collect();
    let st_bytes: u64 = statements.iter().map(|s| s.len() as u64).sum();
    let ids: Vec<Vec<u32>> = statements
        .iter()
        .map(|s| {
            let mut v = Vec::new();
            p.model.tokenizer.encode_into(s, &mut v).unwrap();
            v
        })
        .collect();

    let joint = JointIndex::new(&p.model.stance.featurizer, &p.model.sentiment.featurizer)
        .expect("the shipped tasks share n-gram settings");
    let linear = joint
        .linear([&p.model.stance, &p.model.sentiment].map(|t| t.classifier.parts()))
        .expect("the shipped tasks have three labels");
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("stages");
    g.sample_size(10);
    for threads in [1, all] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let id = |stage: &str| BenchmarkId::new(stage, format!("{threads} threads"));
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(id("segment"), |b| {
            b.iter(|| {
                pool.install(|| {
                    docs.par_iter()
                        .map(|d| stance::segment::segment(d).sentences.len())
                        .sum::<usize>()
                })
            })
        });
        g.bench_function(id("segment+extract+attribute"), |b| {
            b.iter(|| {
                pool.install(|| {
                    docs.par_iter()
                        .map(|d| p.statements(d).len())
                        .sum::<usize>()
                })
            })
        });
        g.throughput(Throughput::Bytes(st_bytes));
        g.bench_function(id("tokenize statements"), |b| {
            b.iter(|| {
                pool.install(|| {
                    statements
                        .par_iter()
                        .map_init(Vec::new, |v, s| {
                            v.clear();
                            p.model.tokenizer.encode_into(s, v).unwrap();
                            v.len()
                        })
                        .sum::<usize>()
                })
            })
        });
        g.bench_function(id("featurize+classify statements (both tasks)"), |b| {
            b.iter(|| {
                pool.install(|| {
                    ids.par_iter()
                        .map_init(JointBuf::default, |buf, t| {
                            let scores = joint.scores(&linear, t, &p.model.valence, buf);
                            scores
                                .map(|mut s| {
                                    softmax(&mut s);
                                    argmax(&s)
                                })
                                .iter()
                                .sum::<usize>()
                        })
                        .sum::<usize>()
                })
            })
        });
        g.bench_function(
            id("classify statements (tokenize+features+both tasks)"),
            |b| {
                b.iter(|| {
                    pool.install(|| {
                        statements
                            .par_iter()
                            .map_init(Scratch::default, |s, t| p.classify(t, s).unwrap().0.label)
                            .sum::<usize>()
                    })
                })
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("score");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    for threads in [1, all] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_with_input(
            BenchmarkId::new("score articles", format!("{threads} threads")),
            &threads,
            |b, _| {
                b.iter(|| {
                    pool.install(|| {
                        docs.par_iter()
                            .map_init(Scratch::default, |s, d| p.score(d, s).unwrap().len())
                            .sum::<usize>()
                    })
                })
            },
        );
    }
    g.finish();
}

criterion_group!(throughput, benches);
criterion_main!(throughput);
