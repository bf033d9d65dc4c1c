//! The `stance` command line: a thin layer over the library.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use linfa::ParamGuard;

use stance::classify::{Backend, TrainParams, ValidTrainParams};
use stance::extract::Limits;
use stance::featurize::FeaturizerParams;
use stance::input::{Input, RawRecord, Records};
use stance::model::{Model, ModelFiles, TaskRecord};
use stance::pipeline::Pipeline;
use stance::run::{run, RunOptions, Summary};
use stance::train::{DataFormat, DataSpec};

// Scoring allocates many short-lived strings and vectors per article; mimalloc
// serves them in fewer instructions than glibc (README, "Throughput and memory").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys
/// names it only for v2); the test below pins it by its documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Return freed pages to the OS at once. mimalloc v3 keeps them for a second
/// by default; `score`, whose working memory varies with each article, then
/// ended with a peak RSS that grew with the corpus (40 MB: 58 MB, 400 MB:
/// 67 MB) and stays flat with this. `classify` is flat either way and would
/// only pay the page faults (README, "Throughput and memory").
fn purge_freed_memory_at_once() {
    // SAFETY: sets a plain option value; called before the workers start.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

/// Exit codes (documented in README.md).
const EXIT_OK: u8 = 0;
const EXIT_FATAL: u8 = 1;
const EXIT_RECORD_ERRORS: u8 = 3;
const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser)]
#[command(
    name = "stance",
    version,
    about = "Who said what in news text, and was it conciliatory or hardline?"
)]
#[command(
    after_help = "Exit codes: 0 success; 1 fatal error (bad model, unreadable input, bad flags for training); \
2 usage error; 3 finished, but some records failed (see --errors); 130 interrupted."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract actor statements from articles, with speaker, stance and sentiment.
    #[command(long_about = SCORE_HELP)]
    Score(ScoreArgs),
    /// Add stance and sentiment to JSONL records that have a `text` field.
    #[command(long_about = CLASSIFY_HELP)]
    Classify(ScoreArgs),
    /// Train one task's classifier and write a complete model directory.
    Train(TrainArgs),
    /// Evaluate a model's classifier on labelled data.
    Eval(EvalArgs),
    /// Evaluate statement extraction, attribution and labels against gold statements.
    #[command(name = "eval-extraction", long_about = EVAL_EXTRACTION_HELP)]
    EvalExtraction(EvalExtractionArgs),
    /// Rebuild a model directory from a recipe (default: models/recipe.json -> models/default).
    Rebuild(RebuildArgs),
}

const SCORE_HELP: &str =
    "Extract actor statements from articles, with speaker, stance and sentiment.

INPUT is a JSONL file of articles, `-` for standard input (the default), or a directory of .txt
files (id = file stem). An article record needs `id` (string or number) and `text`; `date`,
`title`, `source`, `url` are optional and copied to the output. Standard input may be a live
feed: when it pauses for 50 ms, what it sent so far is scored and written out at once.

Output: JSONL, one line per statement, articles in input order, statements in text order:
  article_id, speaker (main speaker), speakers (all speakers of a joint statement),
  speaker_kind (person|organisation|state|media|group|unknown), text,
  start, end (byte offsets: text == article.text[start..end] in UTF-8 bytes),
  kind (direct|indirect|colon), cue (the speech cue), stance (conciliatory|hardline|neutral),
  stance_scores, sentiment (positive|negative|neutral), sentiment_scores,
  and date/title/source/url when given.

A record that cannot be scored (malformed JSON, invalid UTF-8, missing or empty text, over the
size limit) produces one JSON line on the error stream: {source, line, id, error}. Every record
yields its statements or exactly one error line.";

const CLASSIFY_HELP: &str = "Add stance and sentiment to JSONL records that have a `text` field.

Each input line is a JSON object with a string `text`; all its other fields are kept.
An optional `targets` field, [[start, end], ...] in bytes of `text`, marks the mentions the
sentiment is about, as NewsMTSC targets are marked in training. Output: the same object with
`stance`, `stance_scores`, `sentiment`, `sentiment_scores` added, one line per input line, in
input order. Errors go to the error stream as in `stance score`.";

#[derive(Args)]
struct ModelArg {
    /// Model directory [default: models/default, or $STANCE_MODEL]
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
}

impl ModelArg {
    fn dir(&self) -> PathBuf {
        if let Some(d) = &self.model {
            return d.clone();
        }
        if let Some(d) = std::env::var_os("STANCE_MODEL") {
            return d.into();
        }
        let local = PathBuf::from("models/default");
        if local.join("manifest.json").exists() {
            local
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default")
        }
    }
}

#[derive(Args)]
struct ScoreArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Worker threads (default: all cores); reading and writing run beside them on the main thread
    #[arg(long, short = 'j', default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Write output here (a file atomically: a temporary file renamed at the end) instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write per-record error lines here instead of standard error
    #[arg(long, value_name = "FILE")]
    errors: Option<PathBuf>,
    /// Stop at the first bad record
    #[arg(long)]
    fail_fast: bool,
    /// Extra actor gazetteer (canonical<TAB>kind<TAB>alias|alias), added to the model's
    #[arg(long, value_name = "FILE")]
    actors: Option<PathBuf>,
    /// Largest input record in bytes; larger records are reported as errors
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    max_article_bytes: usize,
    /// Sentences longer than this are not searched for statements
    #[arg(long, default_value_t = Limits::default().max_sentence_bytes, value_name = "BYTES")]
    max_sentence_bytes: usize,
    /// Statements longer than this are not reported
    #[arg(long, default_value_t = Limits::default().max_statement_bytes, value_name = "BYTES")]
    max_statement_bytes: usize,
    /// Do not print the progress bar and closing summary
    #[arg(long, short)]
    quiet: bool,
    /// JSONL files, `-` for standard input, or directories of .txt files
    #[arg(value_name = "INPUT", default_value = "-")]
    inputs: Vec<String>,
}

#[derive(Args)]
struct DataArgs {
    /// Labelled data files
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    data: Vec<PathBuf>,
    /// Data format
    #[arg(long, value_enum, default_value = "jsonl")]
    format: DataFormat,
    /// Label mapping RAW=LABEL,... (`-` drops), e.g. 1=conciliatory,2=conciliatory,3=hardline,4=hardline,0=neutral
    #[arg(long, value_name = "MAP", value_parser = stance::train::parse_map)]
    map: Option<std::collections::BTreeMap<String, String>>,
    /// TSV/CSV text column (header name or 0-based index)
    #[arg(long, value_name = "COL")]
    text_col: Option<String>,
    /// TSV/CSV label column (header name or 0-based index)
    #[arg(long, value_name = "COL")]
    label_col: Option<String>,
    /// Only JSONL records whose `split` field has this value
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// JSONL field that holds the label [default: label]
    #[arg(long, value_name = "NAME")]
    label_field: Option<String>,
}

impl DataArgs {
    fn specs(&self) -> Vec<DataSpec> {
        self.data
            .iter()
            .map(|p| DataSpec {
                path: p.clone(),
                format: self.format,
                map: self.map.clone().unwrap_or_default(),
                text_col: self.text_col.clone(),
                label_col: self.label_col.clone(),
                split: self.split.clone(),
                label_field: self.label_field.clone(),
            })
            .collect()
    }
}

#[derive(Args)]
struct TrainArgs {
    /// Which classifier to train
    #[arg(long, value_parser = ["stance", "sentiment"])]
    task: String,
    #[command(flatten)]
    data: DataArgs,
    /// Output model directory (written atomically)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Model directory providing the tokenizer, extraction files and the other task [default: models/default]
    #[arg(long, value_name = "DIR")]
    base: Option<PathBuf>,
    /// Labels, in order [default: the base model's labels for the task]
    #[arg(long, value_delimiter = ',')]
    labels: Option<Vec<String>>,
    /// Learning algorithm
    #[arg(long, value_enum, default_value = "logistic")]
    backend: Backend,
    /// L2 penalty (logistic) or smoothing (naive Bayes)
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    #[arg(long, default_value_t = 200)]
    max_iterations: u64,
    /// Longest token n-gram (1 or 2)
    #[arg(long, default_value_t = 2)]
    ngram_max: u8,
    /// Minimum document frequency of an n-gram
    #[arg(long, default_value_t = 2)]
    min_df: u32,
    /// Keep at most this many n-grams
    #[arg(long, default_value_t = 20_000)]
    max_features: usize,
    /// Fewest examples a class may have
    #[arg(long, default_value_t = 5)]
    min_per_class: usize,
    /// Drop texts that occur with conflicting labels (and repeats) instead of refusing the data
    #[arg(long)]
    drop_conflicts: bool,
    /// Stratified K-fold cross-validation before the final fit (K >= 2)
    #[arg(long, value_name = "K")]
    cv: Option<usize>,
    /// Seed for the cross-validation split
    #[arg(long, default_value_t = 13)]
    seed: u64,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Which classifier to evaluate
    #[arg(long, value_parser = ["stance", "sentiment"])]
    task: String,
    #[command(flatten)]
    data: DataArgs,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

const EVAL_EXTRACTION_HELP: &str = "Evaluate statement extraction, attribution and labels against gold statements.

--gold is JSONL, one line per statement a reader finds: {article_id, actors: [names], cue, stance,
sentiment}, where `cue` is a verbatim substring of the statement in the article text (the format of
the shared seed/expected.jsonl; `article_id` may be omitted when the corpus has one article).
--corpus is the articles' JSONL ({id, text, ...}). A predicted statement matches a gold one when its
span covers at least half of the cue's first occurrence. Reports statement recall and precision
(over the gold articles), speaker accuracy, and stance and sentiment macro-F1 on matched statements.";

#[derive(Args)]
struct EvalExtractionArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Gold statements (JSONL)
    #[arg(long, value_name = "FILE")]
    gold: PathBuf,
    /// Articles (JSONL with id and text); several files may be given
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    corpus: Vec<PathBuf>,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RebuildArgs {
    #[arg(long, default_value = "models/recipe.json")]
    recipe: PathBuf,
    /// The shared data directory ($SHARED in the recipe)
    #[arg(long, default_value = "../shared", env = "STANCE_SHARED")]
    shared: PathBuf,
    #[arg(long, default_value = "models/default")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run_command(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe downstream (`stance score | head`) is not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::from(EXIT_OK);
            }
            eprintln!("stance: error: {err:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

fn run_command(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Score(a) => {
            purge_freed_memory_at_once();
            score(a, false)
        }
        Command::Classify(a) => score(a, true),
        Command::Train(a) => train(a),
        Command::Eval(a) => eval(a),
        Command::EvalExtraction(a) => eval_extraction(a),
        Command::Rebuild(a) => {
            let metrics =
                stance::recipe::build(&a.recipe, &a.shared, &a.out, |m| eprintln!("stance: {m}"))?;
            for (task, m) in metrics {
                println!("{task} (held out)\n{}", m.table());
            }
            eprintln!("stance: wrote {}", a.out.display());
            Ok(EXIT_OK)
        }
    }
}

fn score(a: ScoreArgs, classify: bool) -> Result<u8> {
    let model = Model::load(&a.model.dir())?;
    let limits = Limits {
        max_statement_bytes: a.max_statement_bytes,
        max_sentence_bytes: a.max_sentence_bytes,
    };
    let pipeline = Pipeline::new(model, a.actors.as_deref(), limits)?;
    let inputs = a
        .inputs
        .iter()
        .map(|s| Input::from_arg(s).with_context(|| format!("input {s}")))
        .collect::<Result<Vec<_>>>()?;
    let total: Option<u64> = inputs.iter().map(Input::size).sum();
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&interrupted))
            .context("installing signal handler")?;
    }
    let mut records = Records::new(inputs, a.max_article_bytes).stop_on(Arc::clone(&interrupted));
    let mut out = Output::new(a.output.as_deref())?;
    let mut errors: Box<dyn Write> = match &a.errors {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("{}", p.display()))?,
        )),
        None => Box::new(io::stderr()),
    };
    let bar = progress_bar(total, a.quiet);
    let opts = RunOptions {
        threads: a.threads,
        fail_fast: a.fail_fast,
        ..RunOptions::default()
    };
    let f = |rec: &RawRecord<'_>, scratch: &mut _, buf: &mut _| {
        if classify {
            pipeline.classify_record(rec, scratch, buf)
        } else {
            pipeline.score_record(rec, scratch, buf)
        }
    };
    let summary = run(
        &mut records,
        f,
        out.writer(),
        &mut errors,
        opts,
        &interrupted,
        |n| bar.inc(n),
    )?;
    bar.finish_and_clear();
    let was_interrupted = interrupted.load(std::sync::atomic::Ordering::Relaxed);
    if was_interrupted {
        out.abandon();
        eprintln!(
            "stance: interrupted; {} left unchanged",
            a.output
                .as_ref()
                .map_or("output".into(), |p| p.display().to_string())
        );
        return Ok(EXIT_INTERRUPTED);
    }
    out.commit()?;
    if !a.quiet {
        print_summary(&summary, if classify { "texts" } else { "statements" });
    }
    Ok(if summary.failed > 0 {
        EXIT_RECORD_ERRORS
    } else {
        EXIT_OK
    })
}

fn progress_bar(total: Option<u64>, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta})")
            .expect("valid template"),
    );
    bar
}

fn print_summary(s: &Summary, what: &str) {
    eprintln!(
        "stance: {} records read = {} scored + {} failed{}; {} {}; {:.1} MB in {:.3} s ({:.1} MB/s)",
        s.records,
        s.ok,
        s.failed,
        if s.stopped { " (stopped early)" } else { "" },
        s.outputs,
        what,
        s.bytes as f64 / 1e6,
        s.seconds,
        s.mb_per_s()
    );
}

/// Standard output, a device or pipe, or a file written through a temporary sibling and
/// renamed on commit.
struct Output {
    target: Option<(PathBuf, PathBuf)>,
    writer: Box<dyn Write>,
}

impl Output {
    fn new(path: Option<&Path>) -> Result<Self> {
        match path {
            None => Ok(Output {
                target: None,
                writer: Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock())),
            }),
            // A device or pipe (`-o /dev/null`, a FIFO) is written in place: renaming
            // over it would replace it with a regular file.
            Some(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file()) => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .with_context(|| format!("{}", p.display()))?;
                Ok(Output {
                    target: None,
                    writer: Box::new(BufWriter::with_capacity(1 << 20, f)),
                })
            }
            Some(p) => {
                let name = p
                    .file_name()
                    .context("--output needs a file name")?
                    .to_string_lossy();
                let tmp = p.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
                let f =
                    std::fs::File::create(&tmp).with_context(|| format!("{}", tmp.display()))?;
                Ok(Output {
                    target: Some((p.to_path_buf(), tmp)),
                    writer: Box::new(BufWriter::with_capacity(1 << 20, f)),
                })
            }
        }
    }
    fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }
    fn commit(mut self) -> Result<()> {
        self.writer.flush()?;
        if let Some((path, tmp)) = self.target.take() {
            std::fs::rename(&tmp, &path).with_context(|| format!("{}", path.display()))?;
        }
        Ok(())
    }
    fn abandon(mut self) {
        if let Some((_, tmp)) = self.target.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Neither committed nor abandoned (an error): leave no temporary behind.
        if let Some((_, tmp)) = self.target.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

fn train(a: TrainArgs) -> Result<u8> {
    let base_dir = a
        .base
        .clone()
        .unwrap_or_else(|| ModelArg { model: None }.dir());
    let base = Model::load(&base_dir)?;
    let labels = match &a.labels {
        Some(l) => l.clone(),
        None => base.manifest.tasks[&a.task].labels.clone(),
    };
    let params: ValidTrainParams = TrainParams(ValidTrainParams {
        backend: a.backend,
        featurizer: FeaturizerParams {
            ngram_max: a.ngram_max,
            min_df: a.min_df,
            max_features: a.max_features,
        },
        alpha: a.alpha,
        max_iterations: a.max_iterations,
    })
    .check()?;
    if a.cv.is_some_and(|k| k < 2) {
        bail!("--cv must be at least 2");
    }
    let specs = a.data.specs();
    let mut examples = Vec::new();
    for s in &specs {
        examples.extend(stance::train::read_examples(s)?);
    }
    if a.drop_conflicts {
        let n = stance::train::drop_conflicts(&mut examples);
        eprintln!("stance: dropped {n} examples with conflicting or repeated texts");
    }
    stance::train::validate(&examples, &labels, a.min_per_class.max(a.cv.unwrap_or(0)))?;
    eprintln!("stance: {} examples for {}", examples.len(), a.task);
    let mut record = serde_json::json!({ "data": specs, "params": params, "examples": examples.len(), "seed": a.seed });
    if let Some(k) = a.cv {
        let cv = stance::cv::cross_validate(
            &base.tokenizer,
            &base.valence,
            &params,
            &a.task,
            &labels,
            &examples,
            k,
            a.seed,
        )?;
        println!("{}", cv.table());
        record["cross_validation"] = serde_json::to_value(&cv)?;
    }
    let model = stance::train::train_task(
        &base.tokenizer,
        &base.valence,
        &params,
        &a.task,
        &labels,
        &examples,
    )?;
    // Copy the base directory's files, replacing this task's.
    let mut files = std::collections::BTreeMap::new();
    for name in base.manifest.files.keys() {
        let p = base_dir.join(name);
        files.insert(
            name.clone(),
            std::fs::read(&p).with_context(|| format!("{}", p.display()))?,
        );
    }
    let file = format!("{}.json", a.task);
    files.insert(file.clone(), serde_json::to_vec(&model)?);
    let mut tasks = base.manifest.tasks.clone();
    tasks.insert(
        a.task.clone(),
        TaskRecord {
            file,
            labels,
            training: record,
            metrics: serde_json::Value::Null,
        },
    );
    ModelFiles {
        files,
        description: base.manifest.description.clone(),
        tasks,
        sources: base.manifest.sources.clone(),
    }
    .write(&a.out)?;
    eprintln!("stance: wrote {}", a.out.display());
    Ok(EXIT_OK)
}

fn eval(a: EvalArgs) -> Result<u8> {
    let model = Model::load(&a.model.dir())?;
    let task = if a.task == "stance" {
        &model.stance
    } else {
        &model.sentiment
    };
    let mut examples = Vec::new();
    for s in &a.data.specs() {
        examples.extend(stance::train::read_examples(s)?);
    }
    stance::train::validate(&examples, &task.labels, 0)?;
    let (gold, pred) =
        stance::recipe::predict_all(&model.tokenizer, &model.valence, task, &examples)?;
    let m = stance::evaluate::metrics(&task.labels, &gold, &pred);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print!("{}", m.table());
    }
    Ok(EXIT_OK)
}

fn eval_extraction(a: EvalExtractionArgs) -> Result<u8> {
    use rayon::prelude::*;
    use stance::evaluate::{extraction_metrics, GoldStatement, PredictedStatement};
    let pipeline = Pipeline::new(Model::load(&a.model.dir())?, None, Limits::default())?;
    let read_lines = |p: &Path| -> Result<Vec<(usize, String)>> {
        let text = std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?;
        Ok(text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect())
    };
    let mut gold = Vec::new();
    for (n, line) in read_lines(&a.gold)? {
        let g: GoldStatement =
            serde_json::from_str(&line).with_context(|| format!("{}:{n}", a.gold.display()))?;
        gold.push(g);
    }
    #[derive(serde::Deserialize)]
    struct Art {
        id: serde_json::Value,
        text: String,
    }
    let mut articles = Vec::new();
    for path in &a.corpus {
        for (n, line) in read_lines(path)? {
            let art: Art =
                serde_json::from_str(&line).with_context(|| format!("{}:{n}", path.display()))?;
            let id = art
                .id
                .as_str()
                .map_or_else(|| art.id.to_string(), str::to_string);
            articles.push((id, art.text));
        }
    }
    if gold.iter().any(|g| g.article_id.is_none()) && articles.len() != 1 {
        bail!(
            "{}: gold lines without `article_id` need a corpus of exactly one article",
            a.gold.display()
        );
    }
    let wanted: std::collections::HashSet<&str> = gold
        .iter()
        .filter_map(|g| g.article_id.as_deref())
        .collect();
    let st = &pipeline.model.stance.labels;
    let se = &pipeline.model.sentiment.labels;
    let scored: Vec<(String, String, Vec<PredictedStatement>)> = articles
        .into_par_iter()
        .filter(|(id, _)| wanted.is_empty() || wanted.contains(id.as_str()))
        .map(|(id, text)| {
            let mut scratch = Default::default();
            let preds = pipeline
                .score(&text, &mut scratch)?
                .into_iter()
                .map(|s| PredictedStatement {
                    range: s.statement.range,
                    speakers: s.statement.speakers.into_iter().map(|sp| sp.name).collect(),
                    stance: st[s.stance.label].clone(),
                    sentiment: se[s.sentiment.label].clone(),
                })
                .collect();
            Ok((id, text, preds))
        })
        .collect::<Result<_>>()?;
    let m = extraction_metrics(&scored, &gold, st, se);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print!("{}", m.table());
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_option_index_is_the_purge_delay() {
        // v3 documents `purge_delay` as the only option defaulting to 1000 ms;
        // a shifted index would read another option's default.
        let before = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(before, 1000);
        purge_freed_memory_at_once();
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            0
        );
    }
}
