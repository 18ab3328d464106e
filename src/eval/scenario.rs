//! The scenario file format of docs/evals.md (a public contract): the model, and finding and
//! reading the files. Keys of `expect` and `final` are checked strictly, so a typo
//! fails loudly instead of checking nothing; other top-level keys may be added freely.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::Value;

/// The channel a scenario's customer writes on.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    #[default]
    Web,
    Whatsapp,
    Messenger,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Web => "web",
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::Messenger => "messenger",
        }
    }
}

/// Where a scenario's store starts from.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// The built-in demo data, anchored at the scenario's day.
    Demo,
    /// Nothing but `given`.
    #[default]
    Empty,
}

/// Who writes, on WhatsApp or Messenger.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// WhatsApp: the wa_id is these digits.
    #[serde(default)]
    pub phone: Option<String>,
    /// Messenger page-scoped id.
    #[serde(default)]
    pub psid: Option<String>,
}

/// One scenario file.
#[derive(Clone, Debug, Deserialize)]
pub struct Scenario {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub channel: ChannelKind,
    /// The clock for the whole scenario (RFC 3339).
    pub now: String,
    #[serde(default)]
    pub data: DataSource,
    /// More records and events, in the ingestion format.
    #[serde(default)]
    pub given: Vec<Value>,
    #[serde(default)]
    pub sender: Option<Sender>,
    /// Optional (an addition to the format of docs/evals.md): the language the widget asks for when it
    /// opens the session (`de` or `en`), as a browser's language would; unset: the
    /// server's default.
    #[serde(default)]
    pub language: Option<String>,
    /// Optional (an addition to the format of docs/evals.md): the conversation starts
    /// from Verity's notice about this order, and the first turn answers it.
    #[serde(default)]
    pub notice: Option<NoticeStart>,
    pub turns: Vec<Turn>,
    #[serde(default, rename = "final")]
    pub final_: Final,
    /// The file it came from (set when loaded).
    #[serde(skip)]
    pub file: PathBuf,
}

/// `notice:`: the order (and optionally the contradiction code) Verity tells the
/// customer about before the first turn.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeStart {
    pub order: String,
    #[serde(default)]
    pub code: Option<String>,
    /// What must be true of the notice itself (the keys of a turn's `expect`).
    #[serde(default)]
    pub expect: Expect,
}

/// One customer turn: a text or a pressed action, and what must be true after it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    #[serde(default)]
    pub say: Option<String>,
    #[serde(default)]
    pub press: Option<String>,
    #[serde(default)]
    pub expect: Expect,
}

/// What must be true of one turn's reply.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub reply_matches: Vec<String>,
    #[serde(default)]
    pub reply_not_matches: Vec<String>,
    #[serde(default)]
    pub verified: Option<bool>,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub tools_not: Vec<String>,
    /// At least these codes; `Some([])`: none at all.
    #[serde(default)]
    pub contradictions: Option<Vec<String>>,
    #[serde(default)]
    pub suggests: Vec<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub handoff: Option<bool>,
    /// The reply is at most this many characters long.
    #[serde(default)]
    pub max_reply_chars: Option<usize>,
}

/// What must be true when the conversation is over.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Final {
    #[serde(default)]
    pub cases: Vec<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub cases_exactly: bool,
    #[serde(default)]
    pub events: Vec<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub no_cases: bool,
}

/// What a turn sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Say(String),
    Press(String),
}

impl Turn {
    pub fn message(&self) -> anyhow::Result<Message> {
        match (&self.say, &self.press) {
            (Some(t), None) => Ok(Message::Say(t.clone())),
            (None, Some(a)) => Ok(Message::Press(a.clone())),
            _ => bail!("a turn needs exactly one of `say` and `press`"),
        }
    }
}

impl Scenario {
    /// Parses one file's text.
    pub fn parse(text: &str, file: &Path) -> anyhow::Result<Self> {
        let mut s: Scenario = serde_yaml_ng::from_str(text)
            .with_context(|| format!("{}: not a valid scenario", file.display()))?;
        s.file = file.to_path_buf();
        s.validate()
            .with_context(|| format!("{}: scenario {}", file.display(), s.id))?;
        Ok(s)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.id.trim().is_empty() {
            bail!("`id` is empty");
        }
        self.now()?;
        if self.turns.is_empty() {
            bail!("no turns");
        }
        for (i, t) in self.turns.iter().enumerate() {
            t.message().with_context(|| format!("turn {}", i + 1))?;
            for re in t
                .expect
                .reply_matches
                .iter()
                .chain(&t.expect.reply_not_matches)
            {
                super::expect::regex(re).with_context(|| format!("turn {}", i + 1))?;
            }
        }
        if let Some(n) = &self.notice {
            for re in n
                .expect
                .reply_matches
                .iter()
                .chain(&n.expect.reply_not_matches)
            {
                super::expect::regex(re).context("notice")?;
            }
            crate::domain::OrderNumber::parse(&n.order)
                .map_err(|e| anyhow::anyhow!("notice.order: {e}"))?;
            if self.channel == ChannelKind::Messenger {
                bail!("notice: a scenario starting from a notice runs on web or whatsapp");
            }
        }
        if let Some(l) = &self.language {
            crate::domain::Locale::parse(l).map_err(|e| anyhow::anyhow!("language: {e}"))?;
        }
        Ok(())
    }

    /// The scenario's fixed clock.
    pub fn now(&self) -> anyhow::Result<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(&self.now)
            .with_context(|| format!("`now` must be RFC 3339, got '{}'", self.now))
    }

    /// Whether `--filter TEXT` selects it: the text in its id, title, a tag or its path.
    pub fn matches_filter(&self, filter: &str) -> bool {
        let f = filter.to_lowercase();
        self.id.to_lowercase().contains(&f)
            || self.title.to_lowercase().contains(&f)
            || self.tags.iter().any(|t| t.to_lowercase().contains(&f))
            || self.file.to_string_lossy().to_lowercase().contains(&f)
    }
}

/// Every `*.yaml` / `*.yml` file under the paths (files are taken as given), sorted.
pub fn find_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every scenario under the paths; ids must be unique.
pub fn load(paths: &[PathBuf]) -> anyhow::Result<Vec<Scenario>> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    for file in find_files(paths)? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let s = Scenario::parse(&text, &file)?;
        if let Some(other) = scenarios.iter().find(|o| o.id == s.id) {
            bail!(
                "scenario id {} is used twice: {} and {}",
                s.id,
                other.file.display(),
                file.display()
            );
        }
        scenarios.push(s);
    }
    Ok(scenarios)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_scenario_parses_with_defaults() {
        let s = Scenario::parse(
            "id: x\nnow: \"2025-09-11T09:30:00+02:00\"\nturns:\n  - say: hallo\n",
            Path::new("x.yaml"),
        )
        .unwrap();
        assert_eq!(s.channel, ChannelKind::Web);
        assert_eq!(s.data, DataSource::Empty);
        assert_eq!(s.turns[0].message().unwrap(), Message::Say("hallo".into()));
        assert!(s.final_.cases.is_empty());
    }

    #[test]
    fn a_notice_start_names_an_order_and_refuses_what_it_cannot_do() {
        let with = |notice: &str, channel: &str| {
            Scenario::parse(
                &format!(
                    "id: x\nnow: \"2025-09-11T09:30:00+02:00\"\nchannel: {channel}\nnotice: {notice}\nturns:\n  - say: ja\n"
                ),
                Path::new("x.yaml"),
            )
        };
        let s = with(
            "{order: A-1, code: stale_tracking, expect: {suggests: [callback]}}",
            "web",
        )
        .unwrap();
        let n = s.notice.unwrap();
        assert_eq!(n.order, "A-1");
        assert_eq!(n.code.as_deref(), Some("stale_tracking"));
        assert_eq!(n.expect.suggests, ["callback"]);
        assert!(with("{order: A-1}", "messenger").is_err());
        assert!(with("{order: \"\"}", "web").is_err());
        assert!(with("{order: A-1, ordr: x}", "web").is_err());
        assert!(with("{order: A-1, expect: {reply_matches: [\"(\"]}}", "web").is_err());
    }

    #[test]
    fn typos_and_bad_turns_are_refused() {
        let base = "id: x\nnow: \"2025-09-11T09:30:00+02:00\"\nturns:\n";
        for bad in [
            "  - say: a\n    expect: {reply_match: [x]}\n",
            "  - say: a\n    press: callback\n",
            "  - {}\n",
            "  - say: a\n    expect: {reply_matches: [\"(\"]}\n",
        ] {
            assert!(
                Scenario::parse(&format!("{base}{bad}"), Path::new("x.yaml")).is_err(),
                "{bad}"
            );
        }
        assert!(
            Scenario::parse(
                "id: x\nnow: tomorrow\nturns:\n  - say: a\n",
                Path::new("x.yaml")
            )
            .is_err()
        );
    }

    #[test]
    fn the_filter_looks_at_id_title_tags_and_path() {
        let mut s = Scenario::parse(
            "id: three-truths-de\ntitle: Drei Wahrheiten\ntags: [contradiction, de]\nnow: \"2025-09-11T09:30:00+02:00\"\nturns:\n  - say: a\n",
            Path::new("evals/stories/a.yaml"),
        )
        .unwrap();
        assert!(s.matches_filter("three"));
        assert!(s.matches_filter("wahrheiten"));
        assert!(s.matches_filter("DE"));
        assert!(s.matches_filter("stories/"));
        assert!(!s.matches_filter("english"));
        s.tags.clear();
        assert!(!s.matches_filter("contradiction"));
    }
}
