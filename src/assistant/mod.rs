//! The assistant: the turn pipeline, tools and engines; for now the grounding check
//! every reply passes before it is sent.

pub mod grounding;
