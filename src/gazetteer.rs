//! The actor gazetteer: canonical names, kinds and aliases.
//!
//! File format (UTF-8 TSV, `#` starts a comment line):
//!
//! ```text
//! canonical<TAB>kind<TAB>alias|alias|...
//! Emmanuel Macron<TAB>person<TAB>Macron|President Macron
//! the Kremlin<TAB>organisation<TAB>Kremlin
//! ```
//!
//! `kind` is one of `person`, `organisation`, `state`, `media`. Aliases are
//! matched case-sensitively on word boundaries; the longest match wins.

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::trie::Trie;

/// What sort of actor a speaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    Person,
    Organisation,
    State,
    /// A news outlet: a speaker when it gives its own assessment, a relay after "according to".
    Media,
    /// A collective the text names without a proper name ("Kiev's European allies").
    Group,
    /// A name whose kind the text does not reveal.
    Unknown,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Person => "person",
            ActorKind::Organisation => "organisation",
            ActorKind::State => "state",
            ActorKind::Media => "media",
            ActorKind::Group => "group",
            ActorKind::Unknown => "unknown",
        }
    }
}

impl FromStr for ActorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "person" => ActorKind::Person,
            "organisation" | "organization" => ActorKind::Organisation,
            "state" => ActorKind::State,
            "media" => ActorKind::Media,
            "group" => ActorKind::Group,
            other => {
                return Err(format!(
                    "unknown actor kind {other:?} (person, organisation, state, media, group)"
                ))
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub canonical: String,
    pub kind: ActorKind,
}

/// A match of a gazetteer alias in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub entry: usize,
}

#[derive(Debug, Clone)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    /// Pattern index -> entry index.
    pattern_entry: Vec<usize>,
    matcher: Trie,
}

impl Gazetteer {
    /// Parse gazetteer files; later files add to (and may shadow) earlier ones.
    pub fn from_sources(sources: &[(&Path, &str)]) -> Result<Self> {
        let mut entries = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_entry = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (path, content) in sources {
            for (n, line) in content.lines().enumerate() {
                let line = line.trim_end_matches('\r');
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let mut cols = line.split('\t');
                let canonical = cols.next().unwrap_or("").trim();
                let kind = cols.next().unwrap_or("").trim();
                let aliases = cols.next().unwrap_or("");
                if canonical.is_empty() {
                    return Err(Error::data(*path, n + 1, "empty canonical name"));
                }
                let kind = kind
                    .parse()
                    .map_err(|e: String| Error::data(*path, n + 1, e))?;
                let idx = entries.len();
                entries.push(Entry {
                    canonical: canonical.to_string(),
                    kind,
                });
                let bare = canonical
                    .strip_prefix("the ")
                    .or(canonical.strip_prefix("The "));
                let names = std::iter::once(canonical)
                    .chain(bare)
                    .chain(aliases.split('|'));
                for alias in names.map(str::trim).filter(|a| !a.is_empty()) {
                    // A later file's alias takes over the pattern (user files shadow shipped ones).
                    match seen.get(alias) {
                        Some(&p) => pattern_entry[p] = idx,
                        None => {
                            seen.insert(alias.to_string(), patterns.len());
                            patterns.push(alias.to_string());
                            pattern_entry.push(idx);
                        }
                    }
                }
            }
        }
        // Empty names were skipped above, so this cannot fail; keep the error anyway.
        let matcher = Trie::new(&patterns, false).map_err(|e| {
            Error::model(
                sources.first().map_or(Path::new("gazetteer"), |s| s.0),
                e.to_string(),
            )
        })?;
        Ok(Gazetteer {
            entries,
            pattern_entry,
            matcher,
        })
    }

    pub fn entry(&self, i: usize) -> &Entry {
        &self.entries[i]
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All whole-word alias matches in `text`, left to right, non-overlapping.
    /// Tries every character; [`Gazetteer::find_at`] is the fast form.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.matcher
            .for_each_match_anywhere(text, |r, p| hits.push(self.hit(r, p)));
        hits
    }

    /// [`Gazetteer::find`] looking only at `starts`, the text's word starts from
    /// [`crate::words::words_and_starts`] (see [`crate::trie`] for the one way
    /// the two can differ).
    pub fn find_at(&self, text: &str, starts: &[usize]) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.matcher
            .for_each_word_match(text, starts, |r, p| hits.push(self.hit(r, p)));
        hits
    }

    fn hit(&self, r: std::ops::Range<usize>, pattern: usize) -> Hit {
        Hit {
            start: r.start,
            end: r.end,
            entry: self.pattern_entry[pattern],
        }
    }

    /// Look up a name exactly as written (an alias or canonical name).
    pub fn lookup(&self, name: &str) -> Option<&Entry> {
        let p = self.matcher.get(name)?;
        Some(&self.entries[self.pattern_entry[p]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaz(src: &str) -> Gazetteer {
        Gazetteer::from_sources(&[(Path::new("g.tsv"), src)]).unwrap()
    }

    #[test]
    fn longest_whole_word_match() {
        let g = gaz("# comment\nthe Kremlin\torganisation\tKremlin\nCNN\tmedia\t\nThe Wall Street Journal\tmedia\tWall Street Journal|WSJ\n");
        let t = "The Wall Street Journal and the Kremlin, not CNNs or KremlinX.";
        let hits: Vec<_> = g
            .find(t)
            .iter()
            .map(|h| (&t[h.start..h.end], g.entry(h.entry).canonical.as_str()))
            .collect();
        assert_eq!(
            hits,
            [
                ("The Wall Street Journal", "The Wall Street Journal"),
                ("the Kremlin", "the Kremlin")
            ]
        );
        let (_, starts) = crate::words::words_and_starts(t, 0..t.len());
        assert_eq!(g.find_at(t, &starts), g.find(t));
        assert_eq!(g.lookup("WSJ").map(|e| e.kind), Some(ActorKind::Media));
        assert!(g.lookup("WS").is_none());
    }

    #[test]
    fn later_source_shadows_alias() {
        let g = Gazetteer::from_sources(&[
            (Path::new("a.tsv"), "Joe Biden\tperson\tBiden\n"),
            (Path::new("b.tsv"), "Hunter Biden\tperson\tBiden\n"),
        ])
        .unwrap();
        assert_eq!(g.lookup("Biden").unwrap().canonical, "Hunter Biden");
    }

    #[test]
    fn bad_kind_names_line() {
        let err = Gazetteer::from_sources(&[(Path::new("g.tsv"), "X\tperson\t\nY\tplanet\t\n")])
            .unwrap_err();
        assert!(err.to_string().starts_with("g.tsv:2:"), "{err}");
    }
}
