//! Translations (Fluent): Kazakh first, then Russian and English. Every text a person reads
//! comes from `locales/{kk,ru,en}/*.ftl`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    pub static LOCALES = {
        locales: "../../locales",
        fallback_language: "kk",
        // Bidi isolation marks would show up as stray characters in plain-text SMS and e-mail.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static KK: LanguageIdentifier = langid!("kk");
static RU: LanguageIdentifier = langid!("ru");
static EN: LanguageIdentifier = langid!("en");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    pub fn parse(code: &str) -> Option<Lang> {
        match code
            .trim()
            .get(..2)
            .map(|c| c.to_ascii_lowercase())
            .as_deref()
        {
            Some("kk") | Some("kz") => Some(Lang::Kk),
            Some("ru") => Some(Lang::Ru),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language's own name, shown in the switcher whatever the page's language.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Kk => "Қазақша",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Kk => &KK,
            Lang::Ru => &RU,
            Lang::En => &EN,
        }
    }

    /// The browser's preference, if it names one of the state's two languages. Kazakh stays
    /// the default otherwise: many browsers here say "en-US" only because the operating system
    /// came in English, and English is a choice a person makes on the page.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            .find(|lang| *lang != Lang::En)
    }
}

/// A translator bound to one language, handed to templates as `tr`.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    pub fn t(&self, key: &str) -> String {
        translate(self.lang, key, &[])
    }

    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        translate(self.lang, key, args)
    }
}

/// Looks a key up; a missing key is logged and shown as the key itself, which the
/// completeness test catches long before a person would.
pub fn translate(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let found = if args.is_empty() {
        plain(lang, key)
    } else {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| {
                // Whole numbers go in as numbers, so that plural forms (Russian!) are chosen.
                let value = match v.parse::<i64>() {
                    Ok(n) if !v.starts_with('+') && !(v.starts_with('0') && v.len() > 1) => {
                        FluentValue::from(n)
                    }
                    _ => FluentValue::from(v.clone()),
                };
                (Cow::Owned((*k).to_owned()), value)
            })
            .collect();
        LOCALES.try_lookup_with_args(lang.id(), key, &map)
    };
    found.unwrap_or_else(|| {
        tracing::warn!(key, lang = lang.code(), "missing translation");
        key.to_owned()
    })
}

thread_local! {
    /// Messages without arguments, formatted once per thread and language. A page asks for
    /// dozens of them, and Fluent negotiates the language and formats the pattern anew each time:
    /// that was a tenth of the server's time on the status page a parent polls (bench/README.md,
    /// "Ninth round"). Only keys that exist are kept, so the table is bounded by the files.
    static PLAIN: std::cell::RefCell<[HashMap<Box<str>, Box<str>>; 3]> = Default::default();
}

fn plain(lang: Lang, key: &str) -> Option<String> {
    let slot = lang as usize;
    if let Some(text) = PLAIN.with_borrow(|tables| tables[slot].get(key).map(|t| t.to_string())) {
        return Some(text);
    }
    let text = LOCALES.try_lookup(lang.id(), key)?;
    PLAIN.with_borrow_mut(|tables| {
        tables[slot].insert(key.into(), text.as_str().into());
    });
    Some(text)
}

/// Whether a key exists in a language's own files (no fallback), for the completeness test.
pub fn has_own_translation(lang: Lang, key: &str) -> bool {
    LOCALES.try_lookup_complete(lang.id(), key, None).is_some()
}

/// Renders a domain message argument for a person: dates as dd.mm.yyyy.
pub fn arg_text(arg: &domain::MessageArg) -> String {
    match arg {
        domain::MessageArg::Number(n) => n.to_string(),
        domain::MessageArg::Date(d) => d.format("%d.%m.%Y").to_string(),
        domain::MessageArg::Text(t) => t.clone(),
    }
}

/// Translates a domain outcome with its arguments.
pub fn domain_message(tr: &Tr, key: &str, args: &[(&'static str, domain::MessageArg)]) -> String {
    let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, arg_text(v))).collect();
    tr.ta(key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_languages_choose_kazakh_or_russian_and_default_to_kazakh() {
        assert_eq!(
            Lang::from_accept_language("ru-RU,ru;q=0.9,en;q=0.8"),
            Some(Lang::Ru)
        );
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,kk;q=0.5"),
            Some(Lang::Kk)
        );
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), None);
        assert_eq!(Lang::from_accept_language("kk-KZ"), Some(Lang::Kk));
        assert_eq!(Lang::default(), Lang::Kk);
    }

    #[test]
    fn a_message_kept_from_an_earlier_page_is_the_one_fluent_formats_in_each_language() {
        for _ in 0..2 {
            for lang in Lang::ALL {
                for key in [
                    "app-doc-upload-chosen",
                    "app-err-total-too-large",
                    "nav-cabinet",
                ] {
                    assert_eq!(
                        Tr::new(lang).t(key),
                        LOCALES.try_lookup(lang.id(), key).unwrap(),
                        "{key} in {lang:?}"
                    );
                }
            }
        }
        assert_ne!(
            Tr::new(Lang::Kk).t("nav-cabinet"),
            Tr::new(Lang::En).t("nav-cabinet")
        );
        // A key that does not exist is shown as itself, and not kept (named through a variable:
        // the completeness test reads every literal handed to `t`).
        let missing = "no-such-key";
        assert_eq!(Tr::new(Lang::Ru).t(missing), missing);
        assert!(PLAIN.with_borrow(|t| !t[Lang::Ru as usize].contains_key(missing)));
    }
}
