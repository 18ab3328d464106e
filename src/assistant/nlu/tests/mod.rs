//! Tests of the whole pipeline: the utterance table (`utterances.rs` with the cases in
//! `table_de.rs` and `table_en.rs`) and the properties of [`understand`](super::understand).

mod properties;
mod table_de;
mod table_dialogue;
mod table_en;
mod utterances;
