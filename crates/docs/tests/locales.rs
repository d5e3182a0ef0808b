//! The crate's Fluent files are complete and consistent in all three languages.

mod support;

use std::collections::BTreeSet;

use support::ftl::{locales_dir, parse_ftl};

fn load(lang: &str) -> std::collections::BTreeMap<String, String> {
    let path = locales_dir().join(lang).join("docs.ftl");
    parse_ftl(&std::fs::read_to_string(&path).unwrap())
}

fn placeables(value: &str) -> BTreeSet<String> {
    value
        .split("{ $")
        .skip(1)
        .filter_map(|rest| rest.split_once(" }").map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn all_languages_have_the_same_keys_and_arguments() {
    let kk = load("kk");
    assert!(kk.len() > 30, "only {} keys", kk.len());
    for lang in ["ru", "en"] {
        let other = load(lang);
        let a: BTreeSet<_> = kk.keys().collect();
        let b: BTreeSet<_> = other.keys().collect();
        assert_eq!(a, b, "kk and {lang} differ in keys");
        for (key, value) in &kk {
            assert_eq!(
                placeables(value),
                placeables(&other[key]),
                "{key}: arguments differ between kk and {lang}"
            );
        }
    }
}

#[test]
fn texts_are_real_translations() {
    let kk = load("kk");
    let ru = load("ru");
    let en = load("en");
    let kazakh_letters = ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'һ', 'і'];
    let kazakh = kk
        .values()
        .filter(|v| v.to_lowercase().contains(kazakh_letters))
        .count();
    // Nearly every Kazakh sentence has a letter Russian lacks: guards against pasted Russian.
    assert!(
        kazakh * 10 >= kk.len() * 7,
        "{kazakh} of {} look Kazakh",
        kk.len()
    );
    for (key, value) in &kk {
        assert!(!value.is_empty(), "kk {key} empty");
        assert!(!ru[key].is_empty() && !en[key].is_empty(), "{key} empty");
        assert!(!en[key].contains(kazakh_letters), "en {key} is not English");
        assert!(
            !ru[key].to_lowercase().contains(kazakh_letters) || key == "docs-service-name",
            "ru {key}: {}",
            ru[key]
        );
    }
}

#[test]
fn error_keys_of_the_crate_are_translated() {
    let kk = load("kk");
    for key in [
        "err-docs-qr-too-long",
        "err-docs-font",
        "err-docs-pdf",
        "err-docs-xlsx",
    ] {
        assert!(kk.contains_key(key), "{key} missing");
    }
}
