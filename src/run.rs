//! Parallel, ordered, streaming processing of records.
//!
//! Records are read in bounded batches; each batch is processed on a rayon
//! pool while the next is read and the previous one's output is written, in
//! input order. Memory is bounded by three batches, and the output does not
//! depend on the number of threads.

use std::cell::RefCell;
use std::io::{self, IoSlice, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Instant;

use serde::Serialize;

use crate::input::{RawRecord, ReadRecord, Records};
use crate::pipeline::{RecordError, Scratch};

#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// At most this many records per batch.
    pub batch_records: usize,
    /// At most about this many input bytes per batch.
    pub batch_bytes: usize,
    /// Stop at the first record error.
    pub fail_fast: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 0,
            batch_records: 4096,
            batch_bytes: 1 << 20,
            fail_fast: false,
        }
    }
}

/// What a run did; `records == ok + failed` always.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub records: u64,
    pub ok: u64,
    pub failed: u64,
    pub outputs: u64,
    pub bytes: u64,
    pub seconds: f64,
    /// The run stopped early (fail-fast or interrupted).
    pub stopped: bool,
}

impl Summary {
    /// Add the counts of `other`.
    fn add(&mut self, other: &Summary) {
        self.records += other.records;
        self.ok += other.ok;
        self.failed += other.failed;
        self.outputs += other.outputs;
        self.bytes += other.bytes;
    }

    pub fn mb_per_s(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes as f64 / 1e6 / self.seconds
        } else {
            0.0
        }
    }
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    source: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    error: &'a str,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A chunk of a batch, processed: its records' outputs one after the other,
/// their counts, and the records that failed (they leave no output). The
/// writer's work is then per chunk and per failure, not per record.
struct Chunk {
    out: Vec<u8>,
    tally: Summary,
    failures: Vec<Failure>,
}

/// A failed record of a chunk.
struct Failure {
    /// Its index in the chunk.
    index: usize,
    /// The chunk's counts and output length before it.
    before: Summary,
    out_len: usize,
    error: RecordError,
}

/// Process every record with `f`, writing outputs to `out` and one JSON error
/// line per failed record to `errors`. `progress` receives input bytes done.
/// `interrupted` is polled between batches.
///
/// While the pool works on a batch, this thread reads the next one, queues it
/// behind, and writes the one before: the workers never wait for reading,
/// writing or the last chunk of a batch. At most three batches are in memory.
pub fn run<F>(
    records: &mut Records,
    f: F,
    out: &mut dyn Write,
    errors: &mut dyn Write,
    opts: RunOptions,
    interrupted: &AtomicBool,
    mut progress: impl FnMut(u64),
) -> io::Result<Summary>
where
    F: Fn(&RawRecord<'_>, &mut Scratch, &mut Vec<u8>) -> Result<usize, RecordError> + Sync,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let started = Instant::now();
    let mut summary = Summary::default();
    let threads = pool.current_num_threads();
    let f = &f;
    pool.in_place_scope(|scope| -> io::Result<()> {
        // Batches being processed, oldest first.
        let mut in_flight = std::collections::VecDeque::new();
        // The buffers of the last batch written, for the next one to reuse
        // (fresh ones cost page faults on the thread that keeps the workers fed).
        let mut spare = Batch::default();
        loop {
            let batch = read_batch(records, &opts, std::mem::take(&mut spare))?;
            let end = batch.records.is_empty();
            // Standard input paused: write everything read so far before
            // waiting for more.
            let idle = records.idle();
            if !end {
                in_flight.push_back(Queued::spawn(scope, batch, f, threads));
            }
            // Keep one batch queued while reading the next, so that the
            // pool never waits for the end of a batch.
            while in_flight.len() > usize::from(!end && !idle) {
                let Some(p) = in_flight
                    .pop_front()
                    .expect("the loop runs while batches are queued")
                    .wait()
                else {
                    // A chunk job panicked; the scope re-raises its panic.
                    return Ok(());
                };
                if !write_batch(&p, records, &mut summary, out, errors, opts.fail_fast)? {
                    summary.stopped = true;
                    return Ok(());
                }
                progress(p.batch.bytes as u64);
                // Not one that a huge record made huge.
                if p.batch.data.capacity() <= 2 * opts.batch_bytes {
                    spare = p.batch;
                }
                if interrupted.load(Ordering::Relaxed) {
                    summary.stopped = true;
                    return Ok(());
                }
            }
            if end {
                return Ok(());
            }
            if idle {
                out.flush()?;
                errors.flush()?;
            }
        }
    })?;
    out.flush()?;
    errors.flush()?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Records read together into one buffer, and their input bytes.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    records: Vec<ReadRecord>,
    bytes: usize,
}

/// A batch with its outcomes, chunk by chunk.
struct Processed {
    batch: Batch,
    chunks: Vec<Chunk>,
}

/// A batch handed to the pool as independent chunk jobs.
///
/// Each chunk is its own job rather than a leaf of one parallel iterator:
/// a worker that waits on a join runs whatever job is queued, so with a
/// join tree per batch it would run the next batch inside the wait and
/// report both at once, and the pool would then idle while this thread
/// reads. Flat jobs taken in order never wait on one another.
struct Queued {
    shared: Arc<Shared>,
    /// Sent once, by the last chunk to finish: one wake-up per batch.
    done: mpsc::Receiver<()>,
}

/// What the chunk jobs of a batch share: its records, and a slot for the
/// outcome of each chunk.
struct Shared {
    batch: Batch,
    chunks: Vec<OnceLock<Chunk>>,
}

impl Queued {
    fn spawn<'s, F>(scope: &rayon::Scope<'s>, batch: Batch, f: &'s F, threads: usize) -> Queued
    where
        F: Fn(&RawRecord<'_>, &mut Scratch, &mut Vec<u8>) -> Result<usize, RecordError> + Sync,
    {
        // Enough chunks for a fair share each near the end of a batch,
        // few enough that a job costs nothing next to its records.
        let len = (batch.records.len() / (threads * 8)).clamp(1, 64);
        let n = batch.records.len().div_ceil(len);
        let shared = Arc::new(Shared {
            batch,
            chunks: (0..n).map(|_| OnceLock::new()).collect(),
        });
        let left = Arc::new(AtomicUsize::new(n));
        let (tx, done) = mpsc::sync_channel(1);
        for i in 0..n {
            let (shared, left, tx) = (shared.clone(), left.clone(), tx.clone());
            scope.spawn(move |_| {
                let recs = &shared.batch.records;
                let recs = &recs[i * len..((i + 1) * len).min(recs.len())];
                let chunk = process(&shared.batch.data, recs, f);
                assert!(shared.chunks[i].set(chunk).is_ok(), "one job per chunk");
                // Let go of the batch before counting this chunk done, so
                // that the batch is the waiting thread's alone once all are.
                drop(shared);
                if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                    // The receiver is gone only when the run stopped early.
                    let _ = tx.send(());
                }
            });
        }
        Queued { shared, done }
    }

    /// Block until every chunk is done; the outcomes in input order, or
    /// `None` when a chunk job panicked (it never counted itself done).
    fn wait(self) -> Option<Processed> {
        self.done.recv().ok()?;
        let Shared { batch, chunks } =
            Arc::into_inner(self.shared).expect("chunks let go of their batch before reporting");
        Some(Processed {
            batch,
            chunks: chunks
                .into_iter()
                .map(|c| c.into_inner().expect("every chunk was processed"))
                .collect(),
        })
    }
}

/// Read the next batch into the buffers of `batch` (emptied first).
fn read_batch(records: &mut Records, opts: &RunOptions, mut batch: Batch) -> io::Result<Batch> {
    batch.data.clear();
    batch.records.clear();
    batch.bytes = records.next_records(
        &mut batch.data,
        &mut batch.records,
        opts.batch_records,
        opts.batch_bytes,
    )?;
    Ok(batch)
}

/// Run `f` over `recs`, whose bytes are in `data`. The records share one
/// output buffer, so a record costs no allocation of its own.
fn process<F>(data: &[u8], recs: &[ReadRecord], f: &F) -> Chunk
where
    F: Fn(&RawRecord<'_>, &mut Scratch, &mut Vec<u8>) -> Result<usize, RecordError> + Sync,
{
    // Room for the usual output (score: 1.35 bytes per input byte;
    // classify: the record and ~190 bytes), so that the buffer is
    // not moved to fresh pages as it grows.
    let input: usize = recs.iter().map(ReadRecord::len).sum();
    let mut chunk = Chunk {
        out: Vec::with_capacity(input * 3 / 2 + recs.len() * 256),
        tally: Summary::default(),
        failures: Vec::new(),
    };
    with_scratch(|scratch| {
        for (index, rec) in recs.iter().enumerate() {
            let start = chunk.out.len();
            match f(&rec.view(data), scratch, &mut chunk.out) {
                Ok(n) => {
                    chunk.tally.ok += 1;
                    chunk.tally.outputs += n as u64;
                }
                Err(error) => {
                    chunk.out.truncate(start);
                    chunk.failures.push(Failure {
                        index,
                        before: chunk.tally.clone(),
                        out_len: start,
                        error,
                    });
                    chunk.tally.failed += 1;
                }
            }
            chunk.tally.records += 1;
            chunk.tally.bytes += rec.len() as u64;
        }
    });
    chunk
}

thread_local! {
    /// The worker's buffers, kept from chunk to chunk and batch to batch: a
    /// fresh [`Scratch`] zeroes ~100 KB of counting slots on first use, and a
    /// batch is cut into dozens of chunk jobs.
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Run `work` with this thread's [`Scratch`] (a fresh one if it is in use).
fn with_scratch<R>(work: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => work(&mut s),
        Err(_) => work(&mut Scratch::default()),
    })
}

/// Write a processed batch in input order and count it; `false` when
/// `fail_fast` stopped at an error.
fn write_batch(
    p: &Processed,
    records: &Records,
    summary: &mut Summary,
    out: &mut dyn Write,
    errors: &mut dyn Write,
    fail_fast: bool,
) -> io::Result<bool> {
    // The outputs of a batch are its chunks' buffers, handed over in one
    // call (a batch's output outgrows the output buffer, which then passes
    // it on uncopied).
    let mut outputs = Vec::with_capacity(p.chunks.len());
    // The index in the batch of the chunk's first record.
    let mut first = 0;
    for chunk in &p.chunks {
        for failure in &chunk.failures {
            let rec = &p.batch.records[first + failure.index];
            let line = ErrorOut {
                source: records.source(rec),
                line: rec.line,
                id: failure.error.id.as_deref(),
                error: &failure.error.message,
            };
            serde_json::to_writer(&mut *errors, &line)?;
            errors.write_all(b"\n")?;
            if fail_fast {
                summary.add(&failure.before);
                summary.add(&Summary {
                    records: 1,
                    failed: 1,
                    bytes: rec.len() as u64,
                    ..Summary::default()
                });
                outputs.push(IoSlice::new(&chunk.out[..failure.out_len]));
                write_all_vectored(out, &mut outputs)?;
                return Ok(false);
            }
        }
        summary.add(&chunk.tally);
        outputs.push(IoSlice::new(&chunk.out));
        first += chunk.tally.records as usize;
    }
    write_all_vectored(out, &mut outputs)?;
    Ok(true)
}

/// `Write::write_all` for several buffers (std's `write_all_vectored` is unstable).
fn write_all_vectored(out: &mut dyn Write, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match out.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echo each record on its own line; records that start with `x` fail.
    fn echo(rec: &RawRecord<'_>, _: &mut Scratch, out: &mut Vec<u8>) -> Result<usize, RecordError> {
        let bytes = rec.bytes.unwrap();
        if bytes.starts_with(b"x") {
            out.extend_from_slice(b"partial output, to be dropped");
            return Err(RecordError {
                id: None,
                message: String::from_utf8_lossy(bytes).into_owned(),
            });
        }
        out.extend_from_slice(bytes);
        out.push(b'\n');
        Ok(1)
    }

    /// Run `f` over `lines`: (summary, output, errors).
    fn run_lines<F>(lines: &[String], opts: RunOptions, f: F) -> (Summary, String, String)
    where
        F: Fn(&RawRecord<'_>, &mut Scratch, &mut Vec<u8>) -> Result<usize, RecordError> + Sync,
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, lines.concat()).unwrap();
        let mut records = Records::new(vec![crate::input::Input::Jsonl(path)], 1 << 20);
        let (mut out, mut errors) = (Vec::new(), Vec::new());
        let stop = AtomicBool::new(false);
        let summary = run(&mut records, f, &mut out, &mut errors, opts, &stop, |_| {}).unwrap();
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (summary, text(out), text(errors))
    }

    #[test]
    fn many_batches_of_many_chunks_come_out_in_order() {
        // Every 7th record fails; batches of 97 records are cut into chunks
        // of 4 (97 / (3 threads * 8)), so a batch has 25 chunk jobs.
        let lines: Vec<String> = (0..5_000)
            .map(|i| {
                if i % 7 == 3 {
                    format!("x{i}\n")
                } else {
                    format!("r{i}\n")
                }
            })
            .collect();
        let opts = RunOptions {
            threads: 3,
            batch_records: 97,
            ..RunOptions::default()
        };
        let (summary, out, errors) = run_lines(&lines, opts, echo);
        let want: String = lines
            .iter()
            .filter(|l| l.starts_with('r'))
            .cloned()
            .collect();
        assert_eq!(out, want);
        let failed: Vec<u64> = errors
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        let want_failed: Vec<u64> = (0..5_000).filter(|i| i % 7 == 3).map(|i| i + 1).collect();
        assert_eq!(failed, want_failed);
        assert_eq!(
            (summary.records, summary.failed),
            (5_000, want_failed.len() as u64)
        );
        assert_eq!(summary.ok + summary.failed, summary.records);
    }

    #[test]
    fn fail_fast_writes_what_came_before_the_first_error() {
        let mut lines: Vec<String> = (0..3_000).map(|i| format!("r{i}\n")).collect();
        lines[2_000] = "x2000\n".into();
        lines[2_500] = "x2500\n".into();
        let opts = RunOptions {
            threads: 2,
            batch_records: 64,
            fail_fast: true,
            ..RunOptions::default()
        };
        let (summary, out, errors) = run_lines(&lines, opts, echo);
        assert_eq!(out, lines[..2_000].concat());
        assert_eq!(errors.lines().count(), 1);
        assert!(errors.contains("x2000"), "{errors}");
        assert!(summary.stopped);
        // Counted up to the failed record, whatever the chunks around it.
        let (records, ok, failed) = (summary.records, summary.ok, summary.failed);
        assert_eq!((records, ok, failed), (2_001, 2_000, 1));
        assert_eq!(
            summary.bytes,
            lines[..=2_000]
                .iter()
                .map(|l| l.len() as u64 - 1)
                .sum::<u64>()
        );
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn a_panicking_record_ends_the_run_instead_of_hanging_it() {
        fn boom(
            rec: &RawRecord<'_>,
            s: &mut Scratch,
            out: &mut Vec<u8>,
        ) -> Result<usize, RecordError> {
            assert!(rec.bytes != Ok(b"r700"), "boom");
            echo(rec, s, out)
        }
        let lines: Vec<String> = (0..2_000).map(|i| format!("r{i}\n")).collect();
        let opts = RunOptions {
            threads: 2,
            batch_records: 50,
            ..RunOptions::default()
        };
        run_lines(&lines, opts, boom);
    }

    /// Takes at most three bytes a call, from the first non-empty buffer only.
    struct Trickle(Vec<u8>);

    impl Write for Trickle {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let n = b.len().min(3);
            self.0.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn vectored_writes_survive_partial_writes_and_empty_buffers() {
        let parts: [&[u8]; 5] = [b"", b"abcd", b"", b"efghijk", b"l"];
        let mut slices: Vec<IoSlice> = parts.iter().map(|p| IoSlice::new(p)).collect();
        let mut out = Trickle(Vec::new());
        write_all_vectored(&mut out, &mut slices).unwrap();
        assert_eq!(out.0, b"abcdefghijkl");
    }
}
