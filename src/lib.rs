//! `stance`: actor statements in news text, with stance and sentiment.
//!
//! The pipeline, one module per stage:
//! [`segment`] (paragraphs, sentences, quotes) → [`extract`] (statements
//! around speech cues) → [`attribute`] (speakers, actor resolution, with the
//! [`gazetteer`]) → [`tokenize`] (HuggingFace `tokenizers`) → [`featurize`]
//! (TF-IDF n-grams and lexicon features) → [`classify`] (linfa-trained linear
//! models). [`pipeline`] ties them together for one record, [`run`] streams
//! records through them in parallel, and [`model`] loads and writes the
//! versioned model directory.

pub mod attribute;
pub mod classify;
pub mod cv;
pub mod error;
pub mod evaluate;
pub mod extract;
pub mod featurize;
pub mod gazetteer;
pub mod input;
pub mod logistic;
pub mod model;
pub mod pipeline;
pub mod recipe;
pub mod run;
pub mod segment;
pub mod table;
pub mod tokenize;
pub mod train;
pub mod trie;
pub mod words;
