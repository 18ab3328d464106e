//! Tests of the grounding check: the extractors, the rules, and the property over the
//! demo data.

mod demo;
mod extract;
mod mutants;
mod rules;
