//! The assistant: understanding what a customer wrote (`nlu`), the tools every engine
//! calls, the dialogue of the offline engine, the LLM engine, the grounding check of every reply, and
//! the conversation service that runs a turn.

pub mod engine;
pub mod grounding;
pub mod help;
pub mod llm;
pub mod memory;
pub mod nlu;
pub mod offline;
pub mod optout;
pub mod reply;
pub mod service;
pub mod state;
pub mod told;
pub mod tools;
pub mod understand;
