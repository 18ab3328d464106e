//! Tests of the grounding check: the extractors and the rules.

mod extract;
mod rules;
