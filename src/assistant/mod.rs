//! The assistant: understanding what a customer wrote, deciding what to do about it,
//! and checking that every reply is supported by the truth store.

pub mod nlu;
