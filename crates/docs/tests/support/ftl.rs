//! A minimal reader of the crate's Fluent files for tests and examples: `key = value` lines,
//! indented continuation lines, `{ $arg }` placeables. Enough for docs.ftl, which uses no
//! selectors or terms; the web crate uses the real Fluent implementation.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use docs::Translate;

pub struct FtlTranslator {
    messages: BTreeMap<String, BTreeMap<String, String>>,
    missing: RefCell<Vec<String>>,
}

pub fn locales_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../locales")
}

/// Parse one .ftl file into key → value.
pub fn parse_ftl(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            current = None;
            continue;
        }
        if line.starts_with(' ') {
            if let Some(key) = &current {
                let value: &mut String = out.entry(key.clone()).or_default();
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            let key = key.trim().to_string();
            out.insert(key.clone(), value.trim().to_string());
            current = Some(key);
        }
    }
    out
}

impl FtlTranslator {
    pub fn load() -> Self {
        let mut messages = BTreeMap::new();
        for lang in ["kk", "ru", "en"] {
            let path = locales_dir().join(lang).join("docs.ftl");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            messages.insert(lang.to_string(), parse_ftl(&text));
        }
        Self {
            messages,
            missing: RefCell::new(Vec::new()),
        }
    }

    /// Keys asked for that a language does not have, as `lang:key`.
    pub fn missing(&self) -> Vec<String> {
        self.missing.borrow().clone()
    }
}

impl Translate for FtlTranslator {
    fn tr(&self, lang: &str, key: &str, args: &[(&str, String)]) -> String {
        let Some(template) = self.messages.get(lang).and_then(|m| m.get(key)) else {
            self.missing.borrow_mut().push(format!("{lang}:{key}"));
            return key.to_string();
        };
        let mut out = template.clone();
        for (name, value) in args {
            // Wrap like Fluent does by default, so the renderer's stripping is exercised.
            let wrapped = format!("\u{2068}{value}\u{2069}");
            out = out.replace(&format!("{{ ${name} }}"), &wrapped);
            out = out.replace(&format!("{{${name}}}"), &wrapped);
        }
        if out.contains("{ $") {
            self.missing
                .borrow_mut()
                .push(format!("{lang}:{key}: unfilled {out}"));
        }
        out
    }
}
