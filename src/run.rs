//! Parallel, ordered, streaming processing of records.
//!
//! Records are read in bounded batches; each batch is processed on a rayon
//! pool and its output written in input order before the next is read. Memory
//! is bounded by the batch, and the output does not depend on the number of
//! threads.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::input::{RawRecord, Records};
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
            batch_bytes: 8 << 20,
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

/// Per chunk of records: each one's outcome and its span of the shared output.
type Chunk = (
    Vec<(Result<usize, RecordError>, std::ops::Range<usize>)>,
    Vec<u8>,
);

/// Process every record with `f`, writing outputs to `out` and one JSON error
/// line per failed record to `errors`. `progress` receives input bytes done.
/// `interrupted` is polled between batches.
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
    F: Fn(&RawRecord, &mut Scratch, &mut Vec<u8>) -> Result<usize, RecordError> + Sync,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut batch: Vec<RawRecord> = Vec::new();
    'outer: loop {
        batch.clear();
        let mut batch_bytes = 0;
        while batch.len() < opts.batch_records && batch_bytes < opts.batch_bytes {
            match records.next_record()? {
                Some(r) => {
                    batch_bytes += r.bytes.as_ref().map_or(0, Vec::len);
                    batch.push(r);
                }
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        // Records go to the workers in small chunks that share one output
        // buffer, so a record costs no allocation of its own; the chunks come
        // back in input order.
        let chunk = (batch.len() / (pool.current_num_threads() * 8)).clamp(1, 64);
        let results: Vec<Chunk> = pool.install(|| {
            batch
                .par_chunks(chunk)
                .map_init(Scratch::default, |scratch, recs| {
                    let mut buf = Vec::with_capacity(recs.len() * 512);
                    let results = recs
                        .iter()
                        .map(|rec| {
                            let start = buf.len();
                            let r = f(rec, scratch, &mut buf);
                            if r.is_err() {
                                buf.truncate(start);
                            }
                            (r, start..buf.len())
                        })
                        .collect();
                    (results, buf)
                })
                .collect()
        });
        let outcomes = results
            .iter()
            .flat_map(|(rs, buf)| rs.iter().map(move |(r, span)| (r, &buf[span.clone()])));
        for (rec, (result, bytes)) in batch.iter().zip(outcomes) {
            summary.records += 1;
            summary.bytes += rec.bytes.as_ref().map_or(0, |b| b.len() as u64);
            match result {
                Ok(n) => {
                    summary.ok += 1;
                    summary.outputs += *n as u64;
                    out.write_all(bytes)?;
                }
                Err(e) => {
                    summary.failed += 1;
                    let line = ErrorOut {
                        source: &rec.source,
                        line: rec.line,
                        id: e.id.as_deref(),
                        error: &e.message,
                    };
                    serde_json::to_writer(&mut *errors, &line)?;
                    errors.write_all(b"\n")?;
                    if opts.fail_fast {
                        summary.stopped = true;
                        break 'outer;
                    }
                }
            }
        }
        progress(batch_bytes as u64);
        if interrupted.load(Ordering::Relaxed) {
            summary.stopped = true;
            break;
        }
    }
    out.flush()?;
    errors.flush()?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
