//! Training time: fitting the stance classifier (featurizer + logistic
//! regression) on 20,000 labelled sentences, the size issue 3 sets a one-minute
//! target for. Data: the project's statement corpus, then ConfliBERT, UN
//! QuadClass and NewsMTSC sentences from `$STANCE_SHARED/data` (default
//! `../shared`) when present (NewsMTSC as neutral filler: the labels only need
//! to be valid, the task is timing); reading and tokenizing stay outside the
//! timed part.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linfa::ParamGuard;
use stance::classify::{fit, TrainParams};
use stance::model::Model;
use stance::train::{read_examples, DataFormat, DataSpec};

const SENTENCES: usize = 20_000;

fn spec(path: PathBuf, format: DataFormat, map: &str, label_field: Option<&str>) -> DataSpec {
    let mut spec: DataSpec = serde_json::from_value(serde_json::json!({
        "path": path,
        "format": format,
    }))
    .expect("data spec");
    for pair in map.split(',').filter(|p| !p.is_empty()) {
        let (raw, label) = pair.split_once('=').expect("RAW=LABEL");
        spec.map.insert(raw.into(), label.into());
    }
    spec.label_field = label_field.map(String::from);
    spec
}

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared =
        std::env::var_os("STANCE_SHARED").map_or_else(|| root.join("../shared"), PathBuf::from);
    let mut specs: Vec<DataSpec> = ["train", "dev", "test", "extra_neutral"]
        .iter()
        .map(|s| {
            let path = root.join(format!("data/statements/{s}.jsonl"));
            spec(path, DataFormat::Jsonl, "", Some("stance"))
        })
        .collect();
    let conflibert = shared.join("data/stance/conflibert_cameo_train.tsv");
    let quadclass = shared.join("data/stance/un_quadclass_en.tsv");
    if conflibert.exists() && quadclass.exists() {
        let cb = "0=neutral,1=conciliatory,2=conciliatory,3=hardline,4=hardline";
        let uq = "0=neutral,1=hardline,2=hardline,3=conciliatory,4=conciliatory";
        specs.push(spec(conflibert, DataFormat::Conflibert, cb, None));
        specs.push(spec(quadclass, DataFormat::Quadclass, uq, None));
        for name in ["newsmtsc_train", "newsmtsc_devtest_rw"] {
            let path = shared.join(format!("data/sentiment/{name}.jsonl"));
            specs.push(spec(
                path,
                DataFormat::Newsmtsc,
                "2=neutral,4=neutral,6=neutral",
                None,
            ));
        }
    }
    let mut examples = Vec::new();
    for s in &specs {
        examples.extend(read_examples(s).expect("labelled data"));
    }
    examples.truncate(SENTENCES);

    let model = Model::load(&root.join("models/default")).expect("model");
    let labels = model.stance.labels.clone();
    let (docs, targets) =
        stance::train::encode(&model.tokenizer, &labels, &examples).expect("tokenized");
    let params = TrainParams::default().check().expect("default parameters");
    eprintln!("train bench: {} sentences", docs.len());

    let mut g = c.benchmark_group("train");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function(format!("stance, {} sentences", docs.len()), |b| {
        b.iter(|| fit(&params, "stance", &labels, &docs, &targets, &model.valence).unwrap())
    });
    g.finish();
}

criterion_group!(train, bench);
criterion_main!(train);
