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
    ("remedy/de.j2", include_str!("../prompts/remedy/de.j2")),
    ("remedy/en.j2", include_str!("../prompts/remedy/en.j2")),
    ("texts/de.j2", include_str!("../prompts/texts/de.j2")),
    ("texts/en.j2", include_str!("../prompts/texts/en.j2")),
    ("replies/de.j2", include_str!("../prompts/replies/de.j2")),
    ("replies/en.j2", include_str!("../prompts/replies/en.j2")),
    ("llm/system.j2", include_str!("../prompts/llm/system.j2")),
    ("llm/context.j2", include_str!("../prompts/llm/context.j2")),
    (
        "llm/regenerate.j2",
        include_str!("../prompts/llm/regenerate.j2"),
    ),
    ("llm/tools.j2", include_str!("../prompts/llm/tools.j2")),
    ("notices/de.j2", include_str!("../prompts/notices/de.j2")),
    ("notices/en.j2", include_str!("../prompts/notices/en.j2")),
    (
        "notices/email.html.j2",
        include_str!("../prompts/notices/email.html.j2"),
    ),
    (
        "notices/page.html.j2",
        include_str!("../prompts/notices/page.html.j2"),
    ),
    (
        "notices/order.html.j2",
        include_str!("../prompts/notices/order.html.j2"),
    ),
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

/// A short customer-facing text from `prompts/texts/{de,en}.j2` (`kind` selects it, `d`
/// holds its data). A failure (prevented by the test that renders every kind) yields
/// `kind` itself rather than a panic.
pub fn text(kind: &str, locale: crate::domain::Locale, d: minijinja::Value) -> String {
    let name = format!("texts/{}.j2", locale.as_str());
    match render(&name, minijinja::context! { kind => kind, d => d }) {
        Ok(t) => tidy(&t),
        Err(e) => {
            tracing::error!(error = e, kind, "a text template failed");
            kind.to_string()
        }
    }
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
    use crate::domain::Locale;

    #[test]
    fn every_template_parses() {
        assert!(super::ENV.is_ok(), "{:?}", super::ENV.as_ref().err());
    }

    #[test]
    fn every_short_text_renders_in_both_languages() {
        let d = minijinja::context! {
            decision => "reject", kind => "replacement", order => "A-1", reason => "ok",
            id => "details", day => "12.09.2025", from => "10:00", to => "12:00",
            name => "Erika Probe", family_name => "Probe", salutation => "ms",
        };
        for locale in [Locale::De, Locale::En] {
            for kind in [
                "decision",
                "action_label",
                "slot",
                "list_button",
                "list_section",
                "no_slot",
                "reply_failed",
                "summary_failed",
                "addressed",
            ] {
                let name = format!("texts/{}.j2", locale.as_str());
                let t = super::render(&name, minijinja::context! { kind => kind, d => d.clone() })
                    .unwrap_or_else(|e| panic!("{kind} {locale}: {e}"));
                assert!(!t.trim().is_empty(), "{kind} {locale}");
            }
        }
    }
}
