//! Stage 5: features for the classifiers.
//!
//! Token uni- and bigrams weighted by TF-IDF (IDF fitted at training time,
//! sublinear term frequency, L2-normalised), followed by a few dense lexicon
//! features (positive and negative valence, negation) computed from a valence
//! table mapped onto token ids. The vocabulary of n-grams is chosen at
//! training time, so inference is a hash lookup per n-gram.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::table::{fib_hash, BitFilter, Table};

/// Number of dense lexicon features appended after the n-gram features.
pub const LEXICON_FEATURES: usize = 4;

/// A sparse feature vector: (feature index, value), each index once.
pub type SparseVec = Vec<(u32, f32)>;

/// Reusable buffers for [`Featurizer::transform`], one per thread.
#[derive(Debug, Clone, Default)]
pub struct FeatureBuf {
    /// The features of the last text, n-grams in order of first occurrence,
    /// then the lexicon features.
    pub vec: SparseVec,
    /// `slot[i]`: where feature `i` sits in `vec`; `u32::MAX` between calls.
    /// Counting through it instead of sorting saves a third of the time.
    slot: Vec<u32>,
}

impl FeatureBuf {
    /// Empty the vector and make room for a featurizer with `n` n-grams.
    fn start(&mut self, n: usize) {
        self.vec.clear();
        if self.slot.len() < n {
            self.slot.resize(n, u32::MAX);
        }
    }

    /// One more occurrence of n-gram feature `i`; `first` is told of a new one.
    #[inline(always)]
    fn count(&mut self, i: u32, first: &impl Fn(u32)) {
        match self.slot[i as usize] {
            u32::MAX => {
                first(i);
                self.slot[i as usize] = self.vec.len() as u32;
                self.vec.push((i, 1.0));
            }
            at => self.vec[at as usize].1 += 1.0,
        }
    }

    /// Turn the counts into sublinear term frequencies and reset the slots
    /// for the next text.
    fn counts_to_tf(&mut self) {
        for (i, v) in self.vec.iter_mut() {
            self.slot[*i as usize] = u32::MAX;
            // Most n-grams occur once: 1 + ln 1 = 1 exactly, without the call.
            if *v != 1.0 {
                *v = 1.0 + v.ln();
            }
        }
    }
}

/// Hyperparameters of the featurizer, checked by [`FeaturizerParams::check`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeaturizerParams {
    /// Longest n-gram (1 or 2).
    pub ngram_max: u8,
    /// Minimum number of training documents an n-gram must occur in.
    pub min_df: u32,
    /// Keep at most this many n-grams (the most frequent by document frequency).
    pub max_features: usize,
}

impl Default for FeaturizerParams {
    fn default() -> Self {
        FeaturizerParams {
            ngram_max: 2,
            min_df: 2,
            max_features: 20_000,
        }
    }
}

impl FeaturizerParams {
    pub fn check(&self) -> Result<()> {
        if !(1..=2).contains(&self.ngram_max) {
            return Err(Error::Param {
                name: "ngram_max",
                value: self.ngram_max.to_string(),
                reason: "must be 1 or 2",
            });
        }
        if self.min_df == 0 {
            return Err(Error::Param {
                name: "min_df",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        if self.max_features == 0 {
            return Err(Error::Param {
                name: "max_features",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// Key of a unigram `a` or bigram `a b` (ids shifted by one so 0 means "none").
fn key(a: u32, b: Option<u32>) -> u64 {
    ((a as u64 + 1) << 32) | b.map_or(0, |b| b as u64 + 1)
}

/// Token ids below this get a slot in the unigram tables; larger ones (the
/// target marker) stay in the hash maps, so the tables stay vocabulary-sized.
const UNIGRAM_TABLE_IDS: usize = 1 << 24;

/// The token id of a unigram key, when it belongs in a unigram table.
fn table_unigram(k: u64) -> Option<usize> {
    let id = (k >> 32) as usize - 1;
    (k & 0xffff_ffff == 0 && id < UNIGRAM_TABLE_IDS).then_some(id)
}

/// Valence of tokens, indexed by token id (0.0 for tokens without one).
#[derive(Debug, Clone, Default)]
pub struct Valence {
    by_id: Vec<f32>,
    /// Whether each token id is a negator (a lookup, not a scan per token).
    negator: Vec<bool>,
}

impl Valence {
    /// Map `(word, valence)` pairs onto ids of single-token words.
    pub fn new(
        pairs: impl IntoIterator<Item = (String, f32)>,
        token_id: impl Fn(&str) -> Option<u32>,
        vocab: usize,
    ) -> Self {
        let mut by_id = vec![0.0; vocab];
        for (w, v) in pairs {
            if let Some(id) = token_id(&w.to_lowercase()).filter(|&id| (id as usize) < vocab) {
                by_id[id as usize] = v;
            }
        }
        let mut negator = vec![false; vocab];
        for w in ["not", "no", "never", "without", "nor", "cannot", "t"] {
            if let Some(id) = token_id(w).filter(|&id| (id as usize) < vocab) {
                negator[id as usize] = true;
            }
        }
        Valence { by_id, negator }
    }
}

/// A fitted featurizer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Featurizer {
    pub params: FeaturizerParams,
    /// n-gram keys, in feature order.
    keys: Vec<u64>,
    idf: Vec<f32>,
    #[serde(skip)]
    index: FxHashMap<u64, u32>,
    /// Unigram feature of each token id (`u32::MAX`: none): a load instead
    /// of a hash lookup for half of all n-grams.
    #[serde(skip)]
    unigram: Vec<u32>,
}

impl Featurizer {
    /// Choose the n-gram vocabulary and IDF from tokenized training documents.
    /// Ties in document frequency are broken by key so the result is deterministic.
    pub fn fit(params: FeaturizerParams, docs: &[Vec<u32>]) -> Result<Self> {
        params.check()?;
        let mut df: FxHashMap<u64, u32> = FxHashMap::default();
        let mut seen = Vec::new();
        for ids in docs {
            seen.clear();
            for_each_ngram(ids, params.ngram_max, |k| seen.push(k));
            seen.sort_unstable();
            seen.dedup();
            for &k in &seen {
                *df.entry(k).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df
            .into_iter()
            .filter(|&(_, d)| d >= params.min_df)
            .collect();
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(params.max_features);
        kept.sort_unstable_by_key(|&(k, _)| k);
        let n = docs.len() as f32;
        let idf = kept
            .iter()
            .map(|&(_, d)| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        let keys = kept.into_iter().map(|(k, _)| k).collect();
        let mut f = Featurizer {
            params,
            keys,
            idf,
            index: FxHashMap::default(),
            unigram: Vec::new(),
        };
        f.build_index();
        Ok(f)
    }

    /// Rebuild the lookup table after deserialisation; checks the arrays agree.
    pub fn build_index(&mut self) {
        self.index = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        self.unigram.clear();
        for (i, &k) in self.keys.iter().enumerate() {
            if let Some(id) = table_unigram(k) {
                if self.unigram.len() <= id {
                    self.unigram.resize(id + 1, u32::MAX);
                }
                self.unigram[id] = i as u32;
            }
        }
    }

    fn unigram(&self, id: u32) -> Option<u32> {
        match self.unigram.get(id as usize) {
            Some(&i) => (i != u32::MAX).then_some(i),
            None if id as usize >= UNIGRAM_TABLE_IDS => self.index.get(&key(id, None)).copied(),
            None => None,
        }
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.keys.len() != self.idf.len() {
            return Err(format!(
                "{} n-gram keys but {} idf values",
                self.keys.len(),
                self.idf.len()
            ));
        }
        if self.idf.iter().any(|v| !v.is_finite()) {
            return Err("non-finite idf value".into());
        }
        self.params.check().map_err(|e| e.to_string())
    }

    /// Total number of features (n-grams plus lexicon features).
    pub fn dim(&self) -> usize {
        self.keys.len() + LEXICON_FEATURES
    }

    /// Features of one tokenized text, written into `buf.vec` (cleared first).
    pub fn transform(&self, ids: &[u32], valence: &Valence, buf: &mut FeatureBuf) {
        buf.start(self.keys.len());
        count_ngrams(
            ids,
            self.params.ngram_max >= 2,
            buf,
            |a| self.unigram(a),
            |k| self.index.get(&k).copied(),
            |_| (),
        );
        self.finish(ids, &Lexicon::of(ids, valence), buf);
    }

    /// Turn counts into sublinear tf-idf, L2-normalise, append the lexicon
    /// features, and reset the slots for the next text.
    fn finish(&self, ids: &[u32], lex: &Lexicon, buf: &mut FeatureBuf) {
        buf.counts_to_tf();
        let mut norm = 0.0f32;
        for (i, v) in buf.vec.iter_mut() {
            *v *= self.idf[*i as usize];
            norm += *v * *v;
        }
        finish_vector(&mut buf.vec, norm, self.keys.len() as u32, ids.len(), lex);
    }
}

/// L2-normalise the tf-idf values of `out` (`norm`: their sum of squares)
/// and append the lexicon features, numbered from `base`.
fn finish_vector(out: &mut SparseVec, norm: f32, base: u32, n_ids: usize, lex: &Lexicon) {
    if norm > 0.0 {
        let inv = norm.sqrt().recip();
        out.iter_mut().for_each(|(_, v)| *v *= inv);
    }
    let lex = lex.values(n_ids);
    out.extend(
        lex.iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(j, &v)| (base + j as u32, v)),
    );
}

/// Count the unigrams of `ids` and, with `bigrams`, their bigrams into `buf`:
/// `unigram` finds a token's feature, `bigram` a bigram key's. Fitting keeps a
/// unigram whenever it keeps a bigram starting with it (its document frequency
/// is at least as high and its key sorts first), so without the unigram there
/// is no bigram to look up. `first` is told of each feature when it is first
/// counted.
#[inline(always)]
fn count_ngrams(
    ids: &[u32],
    bigrams: bool,
    buf: &mut FeatureBuf,
    unigram: impl Fn(u32) -> Option<u32>,
    bigram: impl Fn(u64) -> Option<u32>,
    first: impl Fn(u32),
) {
    for (p, &a) in ids.iter().enumerate() {
        let Some(i) = unigram(a) else { continue };
        buf.count(i, &first);
        if let Some(&b) = ids.get(p + 1).filter(|_| bigrams) {
            if let Some(i) = bigram(key(a, Some(b))) {
                buf.count(i, &first);
            }
        }
    }
}

/// Valence sums of one text, shared by every featurizer that reads it.
#[derive(Debug, Clone, Copy, Default)]
struct Lexicon {
    pos: f32,
    neg: f32,
    npos: f32,
    nneg: f32,
    negated: f32,
}

impl Lexicon {
    /// The lexicon features of a text of `n_ids` tokens.
    fn values(&self, n_ids: usize) -> [f32; LEXICON_FEATURES] {
        let scale = (n_ids as f32 + 1.0).sqrt().recip();
        [
            self.pos * scale,
            self.neg * scale,
            self.negated,
            (self.npos - self.nneg) * scale,
        ]
    }

    fn of(ids: &[u32], valence: &Valence) -> Self {
        let mut l = Lexicon::default();
        for &id in ids {
            let v = valence.by_id.get(id as usize).copied().unwrap_or(0.0);
            if v > 0.0 {
                l.pos += v;
                l.npos += 1.0;
            } else if v < 0.0 {
                l.neg -= v;
                l.nneg += 1.0;
            }
            if valence.negator.get(id as usize).copied().unwrap_or(false) {
                l.negated = 1.0;
            }
        }
        l
    }
}

/// Two featurizers read in one pass: one lookup per n-gram finds the feature
/// of both (the stance and sentiment models share the tokens of a statement),
/// and each n-gram is counted once. Gives exactly what two
/// [`Featurizer::transform`] calls give.
#[derive(Debug, Clone)]
pub struct JointIndex {
    /// Per token id, the joint n-gram of its unigram (`u32::MAX`: in neither featurizer).
    unigram: Vec<u32>,
    /// Unigrams beyond the table (the target marker) and all bigrams.
    index: Table<u64, u32>,
    /// The keys of `index` (16 bits a key, about 6% false positives), to
    /// answer most misses without touching it: most bigrams are no feature.
    filter: BitFilter,
    /// Per joint n-gram, its feature and idf in each featurizer.
    ngrams: Vec<JointNgram>,
    /// Each featurizer's number of n-gram features (where its lexicon features start).
    base: [u32; 2],
    bigrams: bool,
}

#[derive(Debug, Clone, Copy)]
struct JointNgram {
    /// `u32::MAX`: not a feature of that featurizer.
    feature: [u32; 2],
    idf: [f32; 2],
}

/// Reusable buffers for [`JointIndex::transform`] and [`JointIndex::scores`],
/// one per thread.
#[derive(Debug, Clone, Default)]
pub struct JointBuf {
    /// Counts, then term frequencies, of joint n-grams.
    counts: FeatureBuf,
    /// The features of the last text for each featurizer, as
    /// [`FeatureBuf::vec`] would hold them.
    pub vecs: [SparseVec; 2],
}

/// Two three-class linear models folded into a [`JointIndex`] (see
/// [`JointIndex::linear`]): per joint n-gram, each featurizer's idf and the
/// weights of its feature side by side, so scoring a text reads one 32-byte
/// row per n-gram.
#[derive(Debug, Clone)]
pub struct JointLinear {
    /// Per joint n-gram: idf, then 3 weights, for each featurizer (idf 0: not a feature).
    rows: Vec<[f32; 8]>,
    /// Per featurizer: the weights of the lexicon features.
    lex: [[[f32; 3]; LEXICON_FEATURES]; 2],
    intercept: [[f32; 3]; 2],
}

impl JointIndex {
    /// `None` when the featurizers count different n-grams.
    pub fn new(a: &Featurizer, b: &Featurizer) -> Option<Self> {
        if a.params.ngram_max != b.params.ngram_max {
            return None;
        }
        let mut joint: FxHashMap<u64, JointNgram> = FxHashMap::default();
        for (t, f) in [a, b].into_iter().enumerate() {
            for (i, (&k, &idf)) in f.keys.iter().zip(&f.idf).enumerate() {
                let g = joint.entry(k).or_insert(JointNgram {
                    feature: [u32::MAX; 2],
                    idf: [0.0; 2],
                });
                (g.feature[t], g.idf[t]) = (i as u32, idf);
            }
        }
        // Number the n-grams most frequent first (lowest idf), so the rows and
        // counting slots that nearly every text touches share a few cache lines:
        // scoring is bound by cache misses on these tables, not by arithmetic.
        let rarity = |g: &JointNgram| {
            let present = (0..2).filter(|&t| g.feature[t] != u32::MAX);
            present.map(|t| g.idf[t]).fold(f32::INFINITY, f32::min)
        };
        let mut keyed: Vec<(u64, JointNgram)> = joint.into_iter().collect();
        keyed.sort_by(|x, y| rarity(&x.1).total_cmp(&rarity(&y.1)).then(x.0.cmp(&y.0)));
        let mut unigram = vec![u32::MAX; a.unigram.len().max(b.unigram.len())];
        let mut index = Table::default();
        let mut filter = BitFilter::with_bits(keyed.len() * 16);
        for (j, &(k, _)) in keyed.iter().enumerate() {
            let j = j as u32;
            match table_unigram(k) {
                Some(id) => unigram[id] = j,
                None => {
                    index.insert(k, j);
                    filter.insert(fib_hash(k));
                }
            }
        }
        let ngrams = keyed.into_iter().map(|(_, g)| g).collect();
        Some(JointIndex {
            unigram,
            index,
            filter,
            ngrams,
            base: [a, b].map(|f| f.keys.len() as u32),
            bigrams: a.params.ngram_max >= 2,
        })
    }

    #[inline]
    fn unigram(&self, id: u32) -> u32 {
        match self.unigram.get(id as usize) {
            Some(&j) => j,
            None => self.index.get(key(id, None)).unwrap_or(u32::MAX),
        }
    }

    /// Term frequencies of the joint n-grams of `ids`, in `counts.vec`;
    /// `first` is told of each n-gram when it is first seen.
    fn count_tf(&self, ids: &[u32], counts: &mut FeatureBuf, first: impl Fn(u32)) {
        counts.start(self.ngrams.len());
        count_ngrams(
            ids,
            self.bigrams,
            counts,
            |a| Some(self.unigram(a)).filter(|&j| j != u32::MAX),
            |k| {
                self.filter
                    .may_contain(fib_hash(k))
                    .then(|| self.index.get(k))
                    .flatten()
            },
            first,
        );
        counts.counts_to_tf();
    }

    /// The linear models `models` (per featurizer: row-major weights, features
    /// × 3 classes, and 3 intercepts) folded into this index, so that
    /// [`JointIndex::scores`] can score a text without building its vectors.
    /// `None` unless both models have three classes and the right size.
    pub fn linear(&self, models: [(&[f32], &[f32]); 2]) -> Option<JointLinear> {
        let mut rows = vec![[0.0f32; 8]; self.ngrams.len()];
        let mut lex = [[[0.0f32; 3]; LEXICON_FEATURES]; 2];
        let mut intercept = [[0.0f32; 3]; 2];
        for (t, (weights, b)) in models.into_iter().enumerate() {
            let dim = self.base[t] as usize + LEXICON_FEATURES;
            if b.len() != 3 || weights.len() != dim * 3 {
                return None;
            }
            let w = |f: usize| [weights[f * 3], weights[f * 3 + 1], weights[f * 3 + 2]];
            for (row, g) in rows.iter_mut().zip(&self.ngrams) {
                if g.feature[t] != u32::MAX {
                    row[t * 4] = g.idf[t];
                    row[t * 4 + 1..t * 4 + 4].copy_from_slice(&w(g.feature[t] as usize));
                }
            }
            for (j, l) in lex[t].iter_mut().enumerate() {
                *l = w(self.base[t] as usize + j);
            }
            intercept[t].copy_from_slice(b);
        }
        Some(JointLinear {
            rows,
            lex,
            intercept,
        })
    }

    /// Both models' class scores (before the softmax) for `ids`: what the dot
    /// products of the [`JointIndex::transform`] vectors with `lin`'s models give,
    /// up to rounding (the L2 norm divides the sum once instead of each term).
    pub fn scores(
        &self,
        lin: &JointLinear,
        ids: &[u32],
        valence: &Valence,
        buf: &mut JointBuf,
    ) -> [[f32; 3]; 2] {
        // Rows are fetched from memory while the rest of the text is counted
        // (classify is bound by these cache misses).
        self.count_tf(ids, &mut buf.counts, |j| {
            crate::table::prefetch(&lin.rows[j as usize])
        });
        let counts = &buf.counts;
        // An n-gram missing from a featurizer has idf 0 there: it adds nothing.
        let mut acc = [[0.0f32; 3]; 2];
        let mut norm = [0.0f32; 2];
        for &(j, tf) in &counts.vec {
            let r = &lin.rows[j as usize];
            for t in 0..2 {
                let v = tf * r[t * 4];
                norm[t] += v * v;
                for c in 0..3 {
                    acc[t][c] += v * r[t * 4 + 1 + c];
                }
            }
        }
        let lex = Lexicon::of(ids, valence).values(ids.len());
        for t in 0..2 {
            let inv = if norm[t] > 0.0 {
                norm[t].sqrt().recip()
            } else {
                0.0
            };
            for c in 0..3 {
                acc[t][c] = lin.intercept[t][c] + acc[t][c] * inv;
                for (v, w) in lex.iter().zip(&lin.lex[t]) {
                    acc[t][c] += v * w[c];
                }
            }
        }
        acc
    }

    /// Features of `ids` for both featurizers (the ones this index was built
    /// from), in `buf.vecs`.
    pub fn transform(&self, ids: &[u32], valence: &Valence, buf: &mut JointBuf) {
        self.count_tf(ids, &mut buf.counts, |_| ());
        let counts = &buf.counts;
        let lex = Lexicon::of(ids, valence);
        for (t, out) in buf.vecs.iter_mut().enumerate() {
            out.clear();
            let mut norm = 0.0f32;
            for &(j, tf) in &counts.vec {
                let g = &self.ngrams[j as usize];
                if g.feature[t] != u32::MAX {
                    let v = tf * g.idf[t];
                    norm += v * v;
                    out.push((g.feature[t], v));
                }
            }
            finish_vector(out, norm, self.base[t], ids.len(), &lex);
        }
    }
}

fn for_each_ngram(ids: &[u32], ngram_max: u8, mut f: impl FnMut(u64)) {
    for (i, &a) in ids.iter().enumerate() {
        f(key(a, None));
        if ngram_max >= 2 {
            if let Some(&b) = ids.get(i + 1) {
                f(key(a, Some(b)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_filter_keeps_every_key_and_rejects_most_others() {
        let keys: Vec<u64> = (1..=5000u64).map(|a| key(a as u32, Some(7))).collect();
        let mut f = BitFilter::with_bits(keys.len() * 16);
        keys.iter().for_each(|&k| f.insert(fib_hash(k)));
        assert!(keys.iter().all(|&k| f.may_contain(fib_hash(k))));
        let others = (1..=5000u32).map(|a| key(a, Some(8)));
        let false_positives = others.filter(|&k| f.may_contain(fib_hash(k))).count();
        // 16 bits a key: about 6%; a broken hash would pass far more.
        assert!(false_positives < 600, "{false_positives} of 5000");
    }

    #[test]
    fn fit_and_transform_are_normalised() {
        let docs = vec![vec![1, 2, 3], vec![1, 2], vec![3, 3, 4]];
        let f = Featurizer::fit(
            FeaturizerParams {
                ngram_max: 2,
                min_df: 1,
                max_features: 100,
            },
            &docs,
        )
        .unwrap();
        // unigrams 1,2,3,4 and bigrams (1,2), (2,3), (3,3), (3,4)
        assert_eq!(f.dim(), 8 + LEXICON_FEATURES);
        let mut buf = FeatureBuf::default();
        f.transform(&[3, 3, 4, 99], &Valence::default(), &mut buf);
        let out = &buf.vec;
        let norm: f32 = out.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        // unigram 3 twice, bigram (3,3), unigram 4, bigram (3,4): each once.
        assert_eq!(out.len(), 4);
        let mut seen: Vec<u32> = out.iter().map(|x| x.0).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 4);
        // The unigram seen twice (tf 1 + ln 2) outweighs the bigram (3,3) seen
        // once, despite its lower idf (3 is in two of the three documents).
        let value = |k: u64| out.iter().find(|x| x.0 == f.index[&k]).unwrap().1;
        assert!(value(key(3, None)) > value(key(3, Some(3))));
        // The buffer is reusable: the same text gives the same features.
        let first = buf.vec.clone();
        f.transform(&[3, 3, 4, 99], &Valence::default(), &mut buf);
        assert_eq!(buf.vec, first);
    }

    #[test]
    fn joint_index_gives_what_each_featurizer_gives() {
        let t = crate::tokenize::TARGET_ID;
        let docs_a = vec![vec![1, 2, 3], vec![1, 2], vec![3, 3, 4], vec![t, 5, 1]];
        let docs_b = vec![vec![2, 3, 9], vec![9, 9, 2, 3], vec![t, 2], vec![7]];
        let params = |max_features| FeaturizerParams {
            ngram_max: 2,
            min_df: 1,
            max_features,
        };
        let a = Featurizer::fit(params(6), &docs_a).unwrap();
        let b = Featurizer::fit(params(100), &docs_b).unwrap();
        let joint = JointIndex::new(&a, &b).unwrap();
        let val = Valence::new([("good".to_string(), 2.0)], |_| Some(2), 10);
        let mut bufs = JointBuf::default();
        let (mut one, mut two) = (FeatureBuf::default(), FeatureBuf::default());
        let mut compared = 0;
        for ids in [
            vec![1, 2, 3, 3, 4, 9, 2, 3],
            vec![t, 2, 3, t, 5, 1, 1],
            vec![42, 7, 7],
            vec![],
        ] {
            joint.transform(&ids, &val, &mut bufs);
            a.transform(&ids, &val, &mut one);
            b.transform(&ids, &val, &mut two);
            assert_eq!(bufs.vecs[0], one.vec, "{ids:?}");
            assert_eq!(bufs.vecs[1], two.vec, "{ids:?}");
            compared += one.vec.len() + two.vec.len();
        }
        assert!(compared > 20, "the texts have features to compare");
        let c = Featurizer::fit(
            FeaturizerParams {
                ngram_max: 1,
                ..params(10)
            },
            &docs_a,
        )
        .unwrap();
        assert!(JointIndex::new(&a, &c).is_none());
    }

    #[test]
    fn joint_scores_are_the_dot_products_of_the_vectors() {
        let docs_a = vec![vec![1, 2, 3], vec![1, 2], vec![3, 3, 4], vec![5, 1]];
        let docs_b = vec![vec![2, 3, 9], vec![9, 9, 2, 3], vec![7, 2], vec![7]];
        let params = FeaturizerParams {
            ngram_max: 2,
            min_df: 1,
            max_features: 100,
        };
        let fs = [&docs_a, &docs_b].map(|d| Featurizer::fit(params.clone(), d).unwrap());
        let joint = JointIndex::new(&fs[0], &fs[1]).unwrap();
        // Distinct, signed weights for every feature and class.
        let weights = fs.each_ref().map(|f| {
            (0..f.dim() * 3)
                .map(|i| ((i * 7919) % 23) as f32 / 10.0 - 1.1)
                .collect::<Vec<f32>>()
        });
        let intercepts = [[0.3, -0.2, 0.1], [-0.5, 0.0, 0.4]];
        let lin = joint
            .linear([0, 1].map(|t| (&weights[t][..], &intercepts[t][..])))
            .unwrap();
        let val = Valence::new([("good".to_string(), 2.0)], |_| Some(2), 10);
        let (mut bufs, mut scratch) = (JointBuf::default(), JointBuf::default());
        for ids in [
            vec![1, 2, 3, 3, 4, 9, 2, 3],
            vec![7, 7, 2, 5],
            vec![42],
            vec![],
        ] {
            let scores = joint.scores(&lin, &ids, &val, &mut scratch);
            joint.transform(&ids, &val, &mut bufs);
            for t in 0..2 {
                for c in 0..3 {
                    let dot: f32 = intercepts[t][c]
                        + bufs.vecs[t]
                            .iter()
                            .map(|&(i, v)| v * weights[t][i as usize * 3 + c])
                            .sum::<f32>();
                    assert!(
                        (scores[t][c] - dot).abs() < 1e-5,
                        "{ids:?} {t} {c}: {} vs {dot}",
                        scores[t][c]
                    );
                }
            }
        }
        // A model whose size does not fit the featurizer, or with other than 3 classes, is refused.
        assert!(joint
            .linear([
                (&weights[0][1..], &intercepts[0][..]),
                (&weights[1][..], &intercepts[1][..])
            ])
            .is_none());
        assert!(joint
            .linear([
                (&weights[0][..], &intercepts[0][..2]),
                (&weights[1][..], &intercepts[1][..])
            ])
            .is_none());
    }

    #[test]
    fn min_df_and_max_features_limit_vocabulary() {
        let docs = vec![vec![1, 2], vec![1, 3], vec![1, 2]];
        let f = Featurizer::fit(
            FeaturizerParams {
                ngram_max: 1,
                min_df: 2,
                max_features: 1,
            },
            &docs,
        )
        .unwrap();
        assert_eq!(f.keys, vec![key(1, None)]);
    }

    #[test]
    fn bad_params_are_rejected_with_value() {
        let err = FeaturizerParams {
            ngram_max: 3,
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid hyperparameter ngram_max = 3: must be 1 or 2"
        );
    }

    #[test]
    fn valence_features() {
        let f = Featurizer::fit(
            FeaturizerParams {
                ngram_max: 1,
                min_df: 1,
                max_features: 10,
            },
            &[vec![0]],
        )
        .unwrap();
        let val = Valence::new(
            [("good".to_string(), 2.0), ("bad".to_string(), -3.0)],
            |w| match w {
                "good" => Some(1),
                "bad" => Some(2),
                "not" => Some(3),
                _ => None,
            },
            10,
        );
        let mut buf = FeatureBuf::default();
        f.transform(&[1, 2, 3], &val, &mut buf);
        let out = &buf.vec;
        let base = f.keys.len() as u32;
        let get = |j: u32| {
            out.iter()
                .find(|(i, _)| *i == base + j)
                .map(|x| x.1)
                .unwrap_or(0.0)
        };
        assert!((get(0) - 1.0).abs() < 1e-6 && (get(1) - 1.5).abs() < 1e-6);
        assert_eq!(get(2), 1.0);
    }
}
