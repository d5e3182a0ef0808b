//! Where the words on a document come from.
//!
//! Documents are bilingual: every label in Kazakh (the state language), then Russian. The texts live
//! in Fluent files the web crate loads; this crate only knows the keys.

/// Languages every official document is printed in, state language first.
pub const DOCUMENT_LANGUAGES: [&str; 2] = ["kk", "ru"];

/// Looks up a message by language and key, with `{ $name }` arguments filled in.
///
/// The web crate implements this over its Fluent bundle (`locales/{kk,ru,en}/docs.ftl`).
/// Implementations should return *something* visible for a missing key (the key itself is fine):
/// a document with a raw key is a bug to fix, not a reason to refuse the parent a receipt.
pub trait Translate {
    /// The text of `key` in `lang` ("kk", "ru", "en") with `args` substituted.
    fn tr(&self, lang: &str, key: &str, args: &[(&str, String)]) -> String;
}

/// Both document languages of one key, as the separate texts.
pub(crate) fn both(t: &dyn Translate, key: &str, args: &[(&str, String)]) -> [String; 2] {
    DOCUMENT_LANGUAGES.map(|lang| t.tr(lang, key, args))
}

/// "Kazakh / Russian" on one line; a single text when both languages say the same thing
/// (e.g. "Директор"), because "Директор / Директор" reads as a typo.
pub(crate) fn bilingual(t: &dyn Translate, key: &str, args: &[(&str, String)]) -> String {
    let [kk, ru] = both(t, key, args);
    if kk == ru { kk } else { format!("{kk} / {ru}") }
}
