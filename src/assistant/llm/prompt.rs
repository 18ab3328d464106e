//! The LLM engine's prompt, from `prompts/llm/`: the stable system prompt first (for
//! provider-side prompt caching), the history, then this turn's context and the
//! customer's message; the tool list with descriptions from `prompts/llm/tools.j2`.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::assistant::tools::registry;
use crate::prompts;

/// The stable system prompt (rendered once: the templates are part of the binary).
pub fn system() -> Result<String, String> {
    static SYSTEM: OnceLock<Result<String, String>> = OnceLock::new();
    SYSTEM
        .get_or_init(|| {
            prompts::render("llm/system.j2", minijinja::context! {}).map(|s| s.trim().to_string())
        })
        .clone()
}

/// This turn's context; `ctx` must define every variable `context.j2` uses.
pub fn context(ctx: minijinja::Value) -> Result<String, String> {
    prompts::render("llm/context.j2", ctx).map(|s| s.trim().to_string())
}

/// The instruction to write a reply again, naming what was unsupported.
pub fn regenerate(reasons: &str) -> Result<String, String> {
    prompts::render(
        "llm/regenerate.j2",
        minijinja::context! { reasons => reasons },
    )
    .map(|s| s.trim().to_string())
}

/// The registry as the `tools` of a chat completion request (built once: the registry
/// and its descriptions do not change while Verity runs).
pub fn tools() -> Result<Vec<Value>, String> {
    static TOOLS: OnceLock<Result<Vec<Value>, String>> = OnceLock::new();
    TOOLS.get_or_init(render_tools).clone()
}

fn render_tools() -> Result<Vec<Value>, String> {
    registry()
        .into_iter()
        .map(|t| {
            let description = prompts::render(
                "llm/tools.j2",
                minijinja::context! { tool => t.name, fallback => t.description },
            )?;
            Ok(json!({"type": "function", "function": {
                "name": t.name, "description": description.trim(), "parameters": t.parameters}}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_llm_template_renders_with_a_fixture_context() {
        let s = system().unwrap();
        assert!(s.contains("tool result"), "{s}");
        assert!(s.contains("disagree"));
        assert!(s.contains("confirm"));
        for (verified, pending) in [(true, true), (false, false)] {
            let c = context(minijinja::context! {
                now_local => "11.09.2025 09:30", time_zone => "Europe/Berlin", language => "de",
                channel => "web", verified => verified, customer_name => "Erika Probe",
                orders_json => r#"{"orders":[]}"#, focus_order => "A-100234",
                pending => if pending { Some(minijinja::context! { id => "p1", remedy => "callback", order_number => "A-100234" }) } else { None },
                waiting_for_staff => false,
            })
            .unwrap();
            assert!(c.contains("German"), "{c}");
            assert_eq!(c.contains("Pending proposal p1"), pending, "{c}");
            assert_eq!(c.contains("Erika Probe"), verified, "{c}");
        }
        // Strict: a missing variable is an error, not an empty string.
        assert!(context(minijinja::context! { now_local => "x" }).is_err());
        let r = regenerate("- \"12.09.2025\": no tool result has this date").unwrap();
        assert!(r.contains("12.09.2025"));
        let t = tools().unwrap();
        assert_eq!(t.len(), registry().len());
        for tool in &t {
            let d = tool["function"]["description"].as_str().unwrap();
            assert!(d.len() > 20, "{tool}");
        }
    }

    fn conversation(language: &str, verified: bool, order: &str) -> minijinja::Value {
        minijinja::context! {
            now_local => "11.09.2025 09:30", time_zone => "Europe/Berlin", language => language,
            channel => "whatsapp", verified => verified, customer_name => "Erika Probe",
            orders_json => format!(r#"{{"orders":[{{"order_number":"{order}"}}]}}"#),
            focus_order => order, pending => None::<minijinja::Value>, waiting_for_staff => verified,
        }
    }

    /// What the caching is for: the system prompt's bytes do not depend on the
    /// conversation, so the provider can cache that prefix of every request.
    #[test]
    fn the_system_prompt_is_the_same_for_every_conversation() {
        let a = conversation("de", true, "A-100234");
        let b = conversation("en", false, "A-100250");
        let render = |ctx: &minijinja::Value| {
            prompts::render("llm/system.j2", ctx.clone())
                .map(|s| s.trim().to_string())
                .unwrap()
        };
        assert_eq!(render(&a), render(&b));
        assert_eq!(system().unwrap(), render(&a));
        // While the turn's context, which follows it, does differ.
        assert_ne!(context(a).unwrap(), context(b).unwrap());
    }
}
