//! The console's HTML templates (`templates/console/`), embedded in the binary and
//! loaded once into their own minijinja environment: auto-escaped, and strict about
//! undefined values except in `if` tests (`SemiStrict`: the pages test optional fields
//! that serde leaves out; printing or iterating an undefined value still fails). Times are shown in the policy's time zone (`tz` in every context).

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, State, UndefinedBehavior, Value};

use crate::domain::Locale;

/// The embedded templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/console/base.html"),
    ),
    (
        "macros.html",
        include_str!("../../templates/console/macros.html"),
    ),
    (
        "login.html",
        include_str!("../../templates/console/login.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/console/error.html"),
    ),
    (
        "conversations.html",
        include_str!("../../templates/console/conversations.html"),
    ),
    (
        "conversation.html",
        include_str!("../../templates/console/conversation.html"),
    ),
    (
        "cases.html",
        include_str!("../../templates/console/cases.html"),
    ),
    (
        "contradictions.html",
        include_str!("../../templates/console/contradictions.html"),
    ),
    (
        "customer.html",
        include_str!("../../templates/console/customer.html"),
    ),
    (
        "shipment.html",
        include_str!("../../templates/console/shipment.html"),
    ),
    (
        "audit.html",
        include_str!("../../templates/console/audit.html"),
    ),
    (
        "replies.html",
        include_str!("../../templates/console/replies.html"),
    ),
];

/// The stylesheet, served at `/static/console.css`.
pub const CSS: &str = include_str!("../../static/console.css");
/// The live script, served at `/static/console.js`.
pub const JS: &str = include_str!("../../static/console.js");

/// `{{ value|dt }}`: milliseconds since the epoch or an RFC 3339 instant, as
/// `2025-09-11 06:48` in the time zone `tz` of the context.
fn dt(state: &State, value: Value) -> String {
    let tz: chrono_tz::Tz = state
        .lookup("tz")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(chrono_tz::Europe::Berlin);
    let instant = if let Some(s) = value.as_str() {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    } else {
        i64::try_from(value.clone())
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis)
    };
    match instant {
        Some(d) => d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        None if value.is_none() || value.is_undefined() => String::new(),
        None => value.to_string(),
    }
}

/// `{{ text|preview }}`: the first line's first 90 characters, with "…" when cut.
fn preview(text: String) -> String {
    let line = text.lines().next().unwrap_or("");
    let cut: String = line.chars().take(90).collect();
    if cut.len() < text.len() {
        format!("{}…", cut.trim_end())
    } else {
        cut
    }
}

/// The console's labels, per language (`prompts/console/{de,en}.j2`): a template that
/// sets `tr`, evaluated once; every page sees it as the global `tr`.
const LABELS: &[(Locale, &str)] = &[
    (Locale::De, include_str!("../../prompts/console/de.j2")),
    (Locale::En, include_str!("../../prompts/console/en.j2")),
];

fn labels(src: &str) -> Result<Value, String> {
    let env = Environment::new();
    let tmpl = env.template_from_str(src).map_err(|e| e.to_string())?;
    let captured = tmpl.render_captured(()).map_err(|e| e.to_string())?;
    captured
        .state()
        .lookup("tr")
        .ok_or_else(|| "the labels template sets no `tr`".to_string())
}

fn environment(tr: Value) -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_filter("dt", dt);
    env.add_filter("preview", preview);
    env.add_global("tr", tr);
    for (name, src) in TEMPLATES {
        env.add_template(name, src)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
}

/// One environment per language.
static ENVS: LazyLock<Result<Vec<(Locale, Environment<'static>)>, String>> = LazyLock::new(|| {
    LABELS
        .iter()
        .map(|(l, src)| Ok((*l, environment(labels(src)?)?)))
        .collect()
});

/// Renders a console page in `lang`.
pub fn render(name: &str, lang: Locale, ctx: Value) -> anyhow::Result<String> {
    let envs = ENVS.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?;
    let env = envs
        .iter()
        .find(|(l, _)| *l == lang)
        .or(envs.first())
        .map(|(_, e)| e)
        .ok_or_else(|| anyhow::anyhow!("no console labels"))?;
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| anyhow::anyhow!("rendering {name}: {e:#}"))
}

/// The console's language for a staff member: their own setting, else the first
/// language of the browser's `Accept-Language` the console speaks, else German.
pub fn language(own: Option<&str>, accept_language: Option<&str>) -> Locale {
    own.and_then(|l| Locale::parse(l).ok())
        .or_else(|| {
            accept_language?
                .split(',')
                .find_map(|p| Locale::parse(p.split(';').next().unwrap_or("").trim()).ok())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn every_template_parses_and_html_is_escaped() {
        assert!(ENVS.is_ok(), "{:?}", ENVS.as_ref().err());
        let html = render(
            "error.html",
            Locale::En,
            context! {tz => "Europe/Berlin", staff => Value::from(()), csrf => "", status => 400,
            message => "<script>alert(1)</script>"},
        )
        .unwrap();
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>alert"));
    }

    #[test]
    fn times_are_shown_in_the_policy_time_zone() {
        let env = &ENVS.as_ref().unwrap()[0].1;
        let out = env
            .render_str(
                "{{ a|dt }} / {{ b|dt }}",
                context! {tz => "Europe/Berlin", a => 1_757_566_080_000i64, b => "2025-09-11T04:48:00Z"},
            )
            .unwrap();
        assert_eq!(out, "2025-09-11 06:48 / 2025-09-11 06:48");
    }

    #[test]
    fn the_console_speaks_the_staff_members_language_else_the_browsers_else_german() {
        assert_eq!(language(Some("en"), Some("de-DE")), Locale::En);
        assert_eq!(language(None, Some("fr-FR, en-GB;q=0.8")), Locale::En);
        assert_eq!(language(None, Some("fr-FR")), Locale::De);
        assert_eq!(language(None, None), Locale::De);
    }

    #[test]
    fn every_problem_the_console_tells_has_its_sentence_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut keys = Vec::new();
        for dir in ["src/console", "src/console/views", "src/http/console"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "rs") {
                    let src = std::fs::read_to_string(&path).unwrap();
                    for part in src.split("Problem::").skip(1) {
                        let rest = part
                            .strip_prefix("new(")
                            .or_else(|| part.strip_prefix("with("))
                            .map(str::trim_start);
                        if let Some(key) = rest.and_then(|r| r.strip_prefix('"')) {
                            keys.push(key[..key.find('"').unwrap()].to_string());
                        }
                    }
                }
            }
        }
        assert!(keys.len() > 30, "{keys:?}");
        for (lang, src) in LABELS {
            let problems = labels(src).unwrap().get_attr("problems").unwrap();
            for k in &keys {
                assert!(
                    !problems.get_attr(k).unwrap().is_undefined(),
                    "{lang}: no sentence for the problem {k}"
                );
            }
        }
    }

    #[test]
    fn both_languages_label_every_key_the_other_has() {
        let keys = |l: usize| {
            let tr = labels(LABELS[l].1).unwrap();
            let mut out: Vec<String> = Vec::new();
            for k in tr.try_iter().unwrap() {
                let v = tr.get_item(&k).unwrap();
                match v.try_iter() {
                    Ok(inner) if v.kind() == minijinja::value::ValueKind::Map => {
                        out.extend(inner.map(|i| format!("{k}.{i}")));
                    }
                    _ => out.push(k.to_string()),
                }
            }
            out.sort();
            out
        };
        assert_eq!(keys(0), keys(1));
    }
}
