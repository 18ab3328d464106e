//! The assistant: the tools every engine calls, the conversation's working state, and
//! the help articles for general questions.

pub mod help;
pub mod state;
pub mod tools;
