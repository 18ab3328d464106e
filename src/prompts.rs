//! The prompt and reply templates (`prompts/`), embedded in the binary and loaded once
//! into one minijinja environment, strict about undefined values: the summaries that
//! every channel shows, the offline engine's replies (German and English) and the LLM
//! engine's system prompt, context and tool descriptions (`prompts/llm/`). Pure.

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// The embedded templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "summary/macros.de.j2",
        include_str!("../prompts/summary/macros.de.j2"),
    ),
    (
        "summary/macros.en.j2",
        include_str!("../prompts/summary/macros.en.j2"),
    ),
    (
        "summary/shipment.de.j2",
        include_str!("../prompts/summary/shipment.de.j2"),
    ),
    (
        "summary/shipment.en.j2",
        include_str!("../prompts/summary/shipment.en.j2"),
    ),
    (
        "summary/order.de.j2",
        include_str!("../prompts/summary/order.de.j2"),
    ),
    (
        "summary/order.en.j2",
        include_str!("../prompts/summary/order.en.j2"),
    ),
    (
        "summary/brief.de.j2",
        include_str!("../prompts/summary/brief.de.j2"),
    ),
    (
        "summary/brief.en.j2",
        include_str!("../prompts/summary/brief.en.j2"),
    ),
    (
        "summary/details.de.j2",
        include_str!("../prompts/summary/details.de.j2"),
    ),
    (
        "summary/details.en.j2",
        include_str!("../prompts/summary/details.en.j2"),
    ),
    ("replies/de.j2", include_str!("../prompts/replies/de.j2")),
    ("replies/en.j2", include_str!("../prompts/replies/en.j2")),
    ("llm/system.j2", include_str!("../prompts/llm/system.j2")),
    ("llm/context.j2", include_str!("../prompts/llm/context.j2")),
    (
        "llm/regenerate.j2",
        include_str!("../prompts/llm/regenerate.j2"),
    ),
    ("llm/tools.j2", include_str!("../prompts/llm/tools.j2")),
];

static ENV: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Plain text for chat channels; the console escapes when it renders HTML.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    for (name, src) in TEMPLATES {
        env.add_template(name, src)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
});

/// Renders a template, or says which one failed and why.
pub fn render(name: &str, ctx: minijinja::Value) -> Result<String, String> {
    let env = ENV.as_ref().map_err(Clone::clone)?;
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| format!("template {name}: {e:#}"))
}

/// One sentence or paragraph per line: trims every line and drops empty ones, so
/// templates need no whitespace bookkeeping.
pub fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        assert!(super::ENV.is_ok(), "{:?}", super::ENV.as_ref().err());
    }
}
