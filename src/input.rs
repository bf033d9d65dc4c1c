//! Streaming input: JSONL files, standard input, or directories of `.txt` files.
//!
//! Records are read as raw bytes, one line at a time and never more than
//! `max_record_bytes` of a line, so no input can make memory grow without
//! bound; decoding (UTF-8, JSON) happens later, per record, where an error
//! can be reported for that record alone.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One input record before decoding.
#[derive(Debug)]
pub struct RawRecord {
    /// File name, or `-` for standard input (shared by a file's records).
    pub source: std::sync::Arc<str>,
    /// 1-based line number (0 for a `.txt` file record).
    pub line: usize,
    /// For `.txt` inputs, the id (file stem).
    pub txt_id: Option<String>,
    /// The record bytes, or why they could not be read whole.
    pub bytes: Result<Vec<u8>, String>,
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
}

enum Current {
    Lines {
        source: std::sync::Arc<str>,
        reader: Box<dyn BufRead + Send>,
        line: usize,
    },
    Txt {
        files: std::vec::IntoIter<PathBuf>,
    },
}

impl Records {
    pub fn new(inputs: Vec<Input>, max_record_bytes: usize) -> Self {
        Records {
            inputs: inputs.into_iter(),
            current: None,
            max_record_bytes,
        }
    }

    /// The next record, or an I/O error that stops the run (an unreadable file).
    pub fn next_record(&mut self) -> io::Result<Option<RawRecord>> {
        loop {
            match &mut self.current {
                None => {
                    let Some(input) = self.inputs.next() else {
                        return Ok(None);
                    };
                    self.current = Some(match input {
                        Input::Stdin => Current::Lines {
                            source: "-".into(),
                            reader: Box::new(BufReader::with_capacity(1 << 20, io::stdin())),
                            line: 0,
                        },
                        Input::Jsonl(p) => {
                            let f = File::open(&p).map_err(|e| {
                                io::Error::new(e.kind(), format!("{}: {e}", p.display()))
                            })?;
                            Current::Lines {
                                source: p.display().to_string().into(),
                                reader: Box::new(BufReader::with_capacity(1 << 20, f)),
                                line: 0,
                            }
                        }
                        Input::TxtDir(d) => Current::Txt {
                            files: txt_files(&d)
                                .map_err(|e| {
                                    io::Error::new(e.kind(), format!("{}: {e}", d.display()))
                                })?
                                .into_iter(),
                        },
                    });
                }
                Some(Current::Lines {
                    source,
                    reader,
                    line,
                }) => {
                    *line += 1;
                    match read_line_bounded(reader, self.max_record_bytes)? {
                        None => self.current = None,
                        // Blank lines are not records.
                        Some(Ok(v)) if v.trim_ascii().is_empty() => continue,
                        Some(bytes) => {
                            let bytes = bytes.map(|mut v| {
                                if v.last() == Some(&b'\r') {
                                    v.pop(); // CRLF line ends
                                }
                                v
                            });
                            return Ok(Some(RawRecord {
                                source: source.clone(),
                                line: *line,
                                txt_id: None,
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
                    let bytes = read_file_bounded(&path, self.max_record_bytes);
                    return Ok(Some(RawRecord {
                        source: path.display().to_string().into(),
                        line: 0,
                        txt_id: Some(id),
                        bytes,
                    }));
                }
            }
        }
    }
}

fn read_file_bounded(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    f.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() > max {
        return Err(format!(
            "record larger than the limit of {max} bytes (--max-article-bytes)"
        ));
    }
    Ok(buf)
}

/// Read one line without its `\n`. A line over `max` bytes is skipped to its
/// end and reported as an error; `None` at end of input.
fn read_line_bounded(
    r: &mut dyn BufRead,
    max: usize,
) -> io::Result<Option<Result<Vec<u8>, String>>> {
    let mut buf = Vec::new();
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
            if buf.len() + take > max {
                too_long = true;
                buf = Vec::new();
            } else {
                if done && buf.is_empty() {
                    buf.reserve_exact(take); // the whole line, in one allocation
                }
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
        Err(format!(
            "record larger than the limit of {max} bytes (--max-article-bytes)"
        ))
    } else {
        Ok(buf)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines() {
        let mut r = io::Cursor::new(b"short\r\nthis line is too long\nok".to_vec());
        assert_eq!(
            read_line_bounded(&mut r, 8).unwrap(),
            Some(Ok(b"short\r".to_vec()))
        );
        assert!(read_line_bounded(&mut r, 8).unwrap().unwrap().is_err());
        assert_eq!(
            read_line_bounded(&mut r, 8).unwrap(),
            Some(Ok(b"ok".to_vec()))
        );
        assert_eq!(read_line_bounded(&mut r, 8).unwrap(), None);
    }
}
