//! Reproducible WordPiece training on top of `tokenizers` 0.22.2.
//!
//! Why not just `tokenizer.train(&mut WordPieceTrainer, texts)`?
//! The stock trainer keeps its word counts in an `AHashMap` whose hasher is
//! seeded from the OS RNG (ahash `runtime-rng`, enabled by tokenizers'
//! dependency on ahash's default features). `BpeTrainer::tokenize_words`
//! iterates that map to hand out the ids of the `##x` continuation
//! characters, and merges with equal counts are tie-broken on those ids, so
//! two runs on the same input produce different vocab ids (and at the
//! vocab-size cut-off, sometimes different tokens).
//!
//! Here we do exactly what `TokenizerImpl::train` + `WordPieceTrainer::train`
//! do, with one change: the word counts are put into an `AHashMap` with
//! **fixed** seeds, filled in sorted order, so its iteration order is the
//! same every run. Everything else is the crate's own code
//! (`BpeTrainer::do_train`, `WordPiece::from_bpe`, `add_special_tokens`).
//! Word counting is done in parallel with rayon; that only sums counts, so it
//! is order-independent.

use std::collections::HashMap;

use rayon::prelude::*;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{
    AddedToken, NormalizedString, Normalizer, OffsetReferential, OffsetType, PreTokenizedString,
    PreTokenizer, Tokenizer,
};

/// Fixed seeds for the word-count map (any constants work; they only need to be fixed).
const SEEDS: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

pub const UNK: &str = "[UNK]";

/// An untrained tokenizer with the stance pipeline:
/// BertNormalizer(clean_text, handle_chinese_chars, strip_accents=None(=lowercase), lowercase)
/// + BertPreTokenizer + WordPiece([UNK], "##", max_input_chars_per_word=100).
pub fn empty_tokenizer() -> Tokenizer {
    let mut tok = Tokenizer::new(WordPiece::default());
    tok.with_normalizer(Some(BertNormalizer::new(true, true, None, true)));
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    tok
}

/// Normalize + pre-tokenize one text exactly like `TokenizerImpl::train` does
/// (no added tokens exist yet, so `extract_and_normalize` == normalize whole string).
fn words_of(
    norm: &BertNormalizer,
    pre: &BertPreTokenizer,
    text: &str,
    counts: &mut HashMap<String, u64>,
) {
    let mut n = NormalizedString::from(text);
    norm.normalize(&mut n).expect("normalize");
    let mut p = PreTokenizedString::from(n);
    pre.pre_tokenize(&mut p).expect("pre_tokenize");
    for (w, _, _) in p.get_splits(OffsetReferential::Original, OffsetType::Byte) {
        match counts.get_mut(w) {
            Some(c) => *c += 1,
            None => {
                counts.insert(w.to_owned(), 1);
            }
        }
    }
}

/// Train a WordPiece tokenizer (vocab_size, min_frequency 2, special tokens [UNK]).
/// Deterministic: same texts (as a multiset) -> byte-identical `to_string()`.
pub fn train_tokenizer(
    texts: impl Iterator<Item = String> + Send,
    vocab_size: usize,
) -> crate::error::Result<Tokenizer> {
    train_tokenizer_with(texts, vocab_size, 2)
}

pub fn train_tokenizer_with(
    texts: impl Iterator<Item = String> + Send,
    vocab_size: usize,
    min_frequency: u64,
) -> crate::error::Result<Tokenizer> {
    let mut tok = empty_tokenizer();
    let norm = BertNormalizer::new(true, true, None, true);
    let pre = BertPreTokenizer;

    // 1. word counts (parallel; summing is order independent)
    let counts: HashMap<String, u64> = texts
        .par_bridge()
        .fold(HashMap::new, |mut m, t| {
            words_of(&norm, &pre, &t, &mut m);
            m
        })
        .reduce(HashMap::new, |mut a, mut b| {
            if a.len() < b.len() {
                std::mem::swap(&mut a, &mut b);
            }
            for (k, v) in b {
                *a.entry(k).or_insert(0) += v;
            }
            a
        });

    // 2. deterministic AHashMap: fixed seeds + sorted insertion order
    let mut sorted: Vec<(String, u64)> = counts.into_iter().collect();
    sorted.sort_unstable();
    let hasher = ahash::RandomState::with_seeds(SEEDS[0], SEEDS[1], SEEDS[2], SEEDS[3]);
    let mut wc: HashMap<compact_str::CompactString, u64, ahash::RandomState> =
        HashMap::with_capacity_and_hasher(sorted.len(), hasher);
    for (w, c) in sorted {
        wc.insert(compact_str::CompactString::from(w), c);
    }
    let wc: ahash::AHashMap<compact_str::CompactString, u64> = wc.into();

    // 3. the crate's own BPE-for-WordPiece training
    //    (== WordPieceTrainer::builder().vocab_size(..).min_frequency(..)
    //        .special_tokens(vec![[UNK]]).show_progress(false).build())
    let special = vec![AddedToken::from(UNK, true)];
    let trainer = BpeTrainerBuilder::new()
        .continuing_subword_prefix("##".into())
        .vocab_size(vocab_size)
        .min_frequency(min_frequency)
        .special_tokens(special)
        .show_progress(false)
        .build();
    let mut bpe = BPE::default();
    let special = trainer
        .do_train(&wc, &mut bpe)
        .map_err(|e| crate::error::Error::Tokenizer(e.to_string()))?;
    let wp = WordPiece::from_bpe(&bpe); // unk "[UNK]", prefix "##", max_input_chars_per_word 100
    tok.with_model(wp);
    tok.add_special_tokens(&special);
    Ok(tok)
}
