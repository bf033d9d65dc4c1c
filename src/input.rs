//! Streaming input: JSONL files, standard input, or directories of `.txt` files.
//!
//! Records are read as raw bytes, one line at a time and never more than
//! `max_record_bytes` of a line, so no input can make memory grow without
//! bound; decoding (UTF-8, JSON) happens later, per record, where an error
//! can be reported for that record alone.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One input record before decoding: a view of its bytes in the buffer of
/// the batch it was read into.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// For `.txt` inputs, the id (file stem).
    pub txt_id: Option<&'a str>,
    /// The record bytes, or why they could not be read whole.
    pub bytes: Result<&'a [u8], &'a str>,
}

/// A record as read: where it came from, and where its bytes went in the
/// buffer given to [`Records::next_record`]. A batch of records shares one
/// buffer, so reading a record costs no allocation of its own.
///
/// A JSONL record names its input by number ([`Records::source`] gives the
/// name): the thread that reads for the workers makes hundreds of thousands
/// of records a second, and a shared name would cost two atomic operations each.
#[derive(Debug)]
pub struct ReadRecord {
    /// The input it came from, in the order of [`Records::new`]'s inputs.
    pub input: usize,
    /// 1-based line number (0 for a `.txt` file record).
    pub line: usize,
    /// For a record of a `.txt` directory, its file.
    pub file: Option<Box<TxtFile>>,
    /// The record's bytes in the buffer, or why they could not be read whole.
    pub bytes: Result<std::ops::Range<usize>, String>,
}

/// The file of a record read from a directory of `.txt` files.
#[derive(Debug)]
pub struct TxtFile {
    pub path: String,
    /// The record's id: the file stem.
    pub id: String,
}

impl ReadRecord {
    /// Bytes read (0 for a record that could not be read).
    pub fn len(&self) -> usize {
        self.bytes.as_ref().map_or(0, |r| r.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record, given the buffer it was read into.
    pub fn view<'a>(&'a self, buf: &'a [u8]) -> RawRecord<'a> {
        RawRecord {
            txt_id: self.file.as_ref().map(|f| f.id.as_str()),
            bytes: match &self.bytes {
                Ok(r) => Ok(&buf[r.clone()]),
                Err(m) => Err(m),
            },
        }
    }
}

/// Where records come from.
#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    Jsonl(PathBuf),
    TxtDir(PathBuf),
}

impl Input {
    pub fn from_arg(arg: &str) -> io::Result<Input> {
        if arg == "-" {
            return Ok(Input::Stdin);
        }
        let p = PathBuf::from(arg);
        let meta = std::fs::metadata(&p)?;
        Ok(if meta.is_dir() {
            Input::TxtDir(p)
        } else {
            Input::Jsonl(p)
        })
    }

    /// Total size in bytes, when known (for progress).
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::Stdin => None,
            Input::Jsonl(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::TxtDir(d) => txt_files(d).ok().map(|fs| {
                fs.iter()
                    .filter_map(|f| std::fs::metadata(f).ok())
                    .map(|m| m.len())
                    .sum()
            }),
        }
    }
}

fn txt_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Reads records from a sequence of inputs.
pub struct Records {
    inputs: std::vec::IntoIter<Input>,
    current: Option<Current>,
    max_record_bytes: usize,
    /// Read buffer size for JSONL inputs.
    read_buffer: usize,
    /// The names of the inputs opened so far (file name, or `-` for standard input).
    names: Vec<String>,
    /// The last [`Records::next_records`] stopped because standard input paused.
    idle: bool,
    /// Set (by a signal handler) to end a wait for standard input.
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// How long a batch waits for standard input to send more before it goes to
/// the workers short: long enough that a producer writing steadily never
/// looks idle, short enough for a live feed (`tail -f feed.jsonl | stance score`).
const IDLE_WAIT_MS: i32 = 50;

/// Whether standard input has bytes to read (or has ended) within `ms`.
#[cfg(unix)]
fn stdin_ready(ms: i32) -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `fd` is one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut fd, 1, ms) };
    // A signal interrupts the wait (the caller looks at its flag); another
    // error counts as ready, for the read that follows to report.
    n > 0 || (n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted)
}

#[cfg(not(unix))]
fn stdin_ready(_ms: i32) -> bool {
    true
}

/// Wait for standard input to be readable: `true` once it is (or has
/// ended); `false` if it pauses while there are records to hand over, or
/// once `stop` is set. Waiting in slices keeps a signal from going unheeded
/// until the next input arrives.
fn wait_for_stdin(hand_over: bool, stop: Option<&std::sync::atomic::AtomicBool>) -> bool {
    loop {
        if stdin_ready(IDLE_WAIT_MS) {
            return true;
        }
        if hand_over || stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed)) {
            return false;
        }
    }
}

enum Current {
    Lines {
        reader: Box<dyn BufRead + Send>,
        line: usize,
        /// Reading standard input, which may pause.
        stdin: bool,
    },
    Txt {
        files: std::vec::IntoIter<PathBuf>,
    },
}

impl Records {
    pub fn new(inputs: Vec<Input>, max_record_bytes: usize) -> Self {
        Self::with_read_buffer(inputs, max_record_bytes, 1 << 20)
    }

    /// [`Records::new`] reading JSONL through a buffer of `read_buffer` bytes.
    pub fn with_read_buffer(
        inputs: Vec<Input>,
        max_record_bytes: usize,
        read_buffer: usize,
    ) -> Self {
        Records {
            inputs: inputs.into_iter(),
            current: None,
            max_record_bytes,
            read_buffer,
            names: Vec::new(),
            idle: false,
            stop: None,
        }
    }

    /// Make a wait for standard input end once `flag` is set: reading then
    /// stops as if the input had ended.
    pub fn stop_on(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.stop = Some(flag);
        self
    }

    /// Whether the last [`Records::next_records`] returned short because
    /// standard input had nothing more to read for a while: what was read
    /// is then worth processing and writing at once.
    pub fn idle(&self) -> bool {
        self.idle
    }

    /// Where `rec` came from: its file, or `-` for standard input.
    pub fn source<'a>(&'a self, rec: &'a ReadRecord) -> &'a str {
        match &rec.file {
            Some(f) => &f.path,
            None => &self.names[rec.input],
        }
    }

    /// Records appended to `out` (their bytes to `buf`) until there are
    /// `max_records` of them, their bytes reach `max_bytes`, or the input ends:
    /// the records [`Records::next_record`] would give one by one. The lines
    /// that lie whole in the read buffer are split there in one pass, which
    /// spares the thread that feeds the workers a call and a copy per line.
    /// Returns the bytes of the records in `out`.
    pub fn next_records(
        &mut self,
        buf: &mut Vec<u8>,
        out: &mut Vec<ReadRecord>,
        max_records: usize,
        max_bytes: usize,
    ) -> io::Result<usize> {
        let mut bytes: usize = out.iter().map(ReadRecord::len).sum();
        self.idle = false;
        // Whether the read buffer may be empty, so that the next fill may
        // wait for input.
        let mut may_wait = true;
        while out.len() < max_records && bytes < max_bytes {
            // Open the input here, so that its first read can wait like any other.
            if self.current.is_none() && !self.open_next()? {
                break;
            }
            if let Some(Current::Lines {
                reader,
                line,
                stdin,
            }) = &mut self.current
            {
                if may_wait && *stdin && !wait_for_stdin(!out.is_empty(), self.stop.as_deref()) {
                    self.idle = !out.is_empty();
                    break;
                }
                let input = self.names.len() - 1;
                let chunk = reader.fill_buf()?;
                let filled = chunk.len();
                let mut used = 0;
                for nl in memchr::memchr_iter(b'\n', chunk) {
                    if out.len() >= max_records || bytes >= max_bytes {
                        break;
                    }
                    let text = &chunk[used..nl];
                    used = nl + 1;
                    *line += 1;
                    let start = buf.len();
                    let read = if text.len() > self.max_record_bytes {
                        Err(too_long(self.max_record_bytes))
                    } else {
                        buf.extend_from_slice(text);
                        Ok(())
                    };
                    let Some(read) = line_record(buf, start, read) else {
                        continue;
                    };
                    bytes += buf.len() - start;
                    out.push(ReadRecord {
                        input,
                        line: *line,
                        file: None,
                        bytes: read,
                    });
                }
                reader.consume(used);
                may_wait = used == filled;
                if used > 0 {
                    continue;
                }
            }
            may_wait = true;
            // A line that runs past the read buffer, the end of an input, or `.txt` files.
            match self.next_record(buf)? {
                Some(r) => {
                    bytes += r.len();
                    out.push(r);
                }
                None => break,
            }
        }
        Ok(bytes)
    }

    /// Open the next input; `false` when there is none.
    fn open_next(&mut self) -> io::Result<bool> {
        let Some(input) = self.inputs.next() else {
            return Ok(false);
        };
        self.names.push(match &input {
            Input::Stdin => "-".into(),
            Input::Jsonl(p) | Input::TxtDir(p) => p.display().to_string(),
        });
        self.current = Some(match input {
            Input::Stdin => Current::Lines {
                reader: Box::new(BufReader::with_capacity(self.read_buffer, io::stdin())),
                line: 0,
                stdin: true,
            },
            Input::Jsonl(p) => {
                let f = File::open(&p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
                Current::Lines {
                    reader: Box::new(BufReader::with_capacity(self.read_buffer, f)),
                    line: 0,
                    stdin: false,
                }
            }
            Input::TxtDir(d) => Current::Txt {
                files: txt_files(&d)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", d.display())))?
                    .into_iter(),
            },
        });
        Ok(true)
    }

    /// The next record, its bytes appended to `buf`; or an I/O error that
    /// stops the run (an unreadable file).
    pub fn next_record(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<ReadRecord>> {
        loop {
            match &mut self.current {
                None => {
                    if !self.open_next()? {
                        return Ok(None);
                    }
                }
                Some(Current::Lines { reader, line, .. }) => {
                    *line += 1;
                    let start = buf.len();
                    match read_line_bounded(reader, self.max_record_bytes, buf)? {
                        None => self.current = None,
                        Some(read) => {
                            let Some(bytes) = line_record(buf, start, read) else {
                                continue;
                            };
                            return Ok(Some(ReadRecord {
                                input: self.names.len() - 1,
                                line: *line,
                                file: None,
                                bytes,
                            }));
                        }
                    }
                }
                Some(Current::Txt { files }) => {
                    let Some(path) = files.next() else {
                        self.current = None;
                        continue;
                    };
                    let id = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let bytes = read_file_bounded(&path, self.max_record_bytes, buf);
                    return Ok(Some(ReadRecord {
                        input: self.names.len() - 1,
                        line: 0,
                        file: Some(Box::new(TxtFile {
                            path: path.display().to_string(),
                            id,
                        })),
                        bytes,
                    }));
                }
            }
        }
    }
}

/// Append the file at `path` to `buf`: its range there, or why it could not
/// be read whole (nothing is appended then).
fn read_file_bounded(
    path: &Path,
    max: usize,
    buf: &mut Vec<u8>,
) -> Result<std::ops::Range<usize>, String> {
    let start = buf.len();
    let read = File::open(path).and_then(|f| f.take(max as u64 + 1).read_to_end(buf));
    if let Err(e) = read {
        buf.truncate(start);
        return Err(e.to_string());
    }
    if buf.len() - start > max {
        buf.truncate(start);
        return Err(too_long(max));
    }
    Ok(start..buf.len())
}

/// Append one line without its `\n` to `buf`. A line over `max` bytes is
/// skipped to its end and reported as an error (nothing is appended then);
/// `None` at end of input.
fn read_line_bounded(
    r: &mut dyn BufRead,
    max: usize,
    buf: &mut Vec<u8>,
) -> io::Result<Option<Result<(), String>>> {
    let start = buf.len();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() - start + take > max {
                too_long = true;
                buf.truncate(start);
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        r.consume(take + usize::from(done));
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    Ok(Some(if too_long {
        Err(self::too_long(max))
    } else {
        Ok(())
    }))
}

/// The record of a line appended to `buf` from `start` (`Err`: too long,
/// nothing appended): `None` for a blank line, which is removed again (blank
/// lines are not records); else its range without the `\r` of a CRLF end.
fn line_record(
    buf: &mut Vec<u8>,
    start: usize,
    read: Result<(), String>,
) -> Option<Result<std::ops::Range<usize>, String>> {
    if read.is_ok() && buf[start..].trim_ascii().is_empty() {
        buf.truncate(start);
        return None;
    }
    if buf.len() > start && buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Some(read.map(|()| start..buf.len()))
}

fn too_long(max: usize) -> String {
    format!("record larger than the limit of {max} bytes (--max-article-bytes)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines() {
        let mut r = io::Cursor::new(b"short\r\nthis line is too long\nok".to_vec());
        let mut buf = b"kept".to_vec();
        assert_eq!(
            read_line_bounded(&mut r, 8, &mut buf).unwrap(),
            Some(Ok(()))
        );
        assert_eq!(buf, b"keptshort\r");
        assert!(read_line_bounded(&mut r, 8, &mut buf)
            .unwrap()
            .unwrap()
            .is_err());
        assert_eq!(buf, b"keptshort\r", "nothing of a line that is too long");
        assert_eq!(
            read_line_bounded(&mut r, 8, &mut buf).unwrap(),
            Some(Ok(()))
        );
        assert_eq!(buf, b"keptshort\rok");
        assert_eq!(read_line_bounded(&mut r, 8, &mut buf).unwrap(), None);
    }

    use proptest::prelude::*;

    /// (line, bytes or error) of every record, reading with `read`.
    fn all(
        path: &Path,
        max: usize,
        read_buffer: usize,
        mut read: impl FnMut(&mut Records, &mut Vec<u8>, &mut Vec<ReadRecord>) -> bool,
    ) -> Vec<(usize, Result<Vec<u8>, String>)> {
        let mut records =
            Records::with_read_buffer(vec![Input::Jsonl(path.into())], max, read_buffer);
        let mut got = Vec::new();
        loop {
            let (mut buf, mut recs) = (Vec::new(), Vec::new());
            let more = read(&mut records, &mut buf, &mut recs);
            for r in &recs {
                let v = r.view(&buf);
                got.push((r.line, v.bytes.map(<[u8]>::to_vec).map_err(str::to_string)));
            }
            if !more {
                return got;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn batches_are_the_records_one_by_one(
            lines in prop::collection::vec("( |\r|x|[{}]|abcdefghij){0,6}", 0..30),
            last_newline: bool,
            max in 1usize..40,
            read_buffer in 1usize..50,
            batch_records in 1usize..6,
            batch_bytes in 1usize..60,
        ) {
            let mut content = lines.join("\n");
            if last_newline {
                content.push('\n');
            }
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("in.jsonl");
            std::fs::write(&p, &content).unwrap();
            let one_by_one = all(&p, max, read_buffer, |r, buf, out| {
                match r.next_record(buf).unwrap() {
                    Some(rec) => { out.push(rec); true }
                    None => false,
                }
            });
            let batched = all(&p, max, read_buffer, |r, buf, out| {
                let bytes = r.next_records(buf, out, batch_records, batch_bytes).unwrap();
                assert_eq!(bytes, out.iter().map(ReadRecord::len).sum::<usize>());
                let full = out.len() >= batch_records || bytes >= batch_bytes;
                // A batch short of both limits means the input ended.
                assert!(full || r.next_record(&mut Vec::new()).unwrap().is_none());
                full
            });
            prop_assert_eq!(batched, one_by_one);
        }
    }

    #[test]
    fn records_share_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.jsonl");
        std::fs::write(&p, b"{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"too long\": true}\n").unwrap();
        let mut records = Records::new(vec![Input::Jsonl(p)], 8);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(rec) = records.next_record(&mut buf).unwrap() {
            let view = rec.view(&buf);
            got.push((
                rec.line,
                view.bytes.map(<[u8]>::to_vec).map_err(str::to_string),
            ));
        }
        assert_eq!(got[0], (1, Ok(b"{\"a\":1}".to_vec())));
        assert_eq!(got[1], (4, Ok(b"{\"b\":2}".to_vec())));
        assert_eq!(got[2].0, 5);
        assert!(got[2].1.as_ref().unwrap_err().contains("limit of 8 bytes"));
        assert_eq!(got.len(), 3);
        assert_eq!(buf, b"{\"a\":1}{\"b\":2}");
    }
}
