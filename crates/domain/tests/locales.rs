//! Every Fluent key the crate's code names exists in all three languages, and the three files
//! hold the same keys: a missing translation would otherwise show up only in front of a parent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Prefixes of the message keys this crate hands out.
const PREFIXES: &[&str] = &[
    "err-",
    "holiday-",
    "doc-",
    "sex-",
    "status-",
    "citizenship-",
    "relation-",
    "language-",
    "study-form-",
    "channel-",
    "refusal-",
    "age-",
    "grade-",
    "policy-",
    "format-",
    "action-",
    "actor-",
];

/// Label keys built by the code-enum macro (`concat!`), which the source scan cannot see.
fn label_keys() -> BTreeSet<String> {
    use domain::allocation::AllocationPolicy;
    use domain::application::*;
    use domain::campaign::FileFormat;
    let mut keys = BTreeSet::new();
    keys.extend(ApplicationStatus::ALL.iter().map(|v| v.label_key()));
    keys.extend(Citizenship::ALL.iter().map(|v| v.label_key()));
    keys.extend(Relation::ALL.iter().map(|v| v.label_key()));
    keys.extend(Language::ALL.iter().map(|v| v.label_key()));
    keys.extend(StudyForm::ALL.iter().map(|v| v.label_key()));
    keys.extend(Channel::ALL.iter().map(|v| v.label_key()));
    keys.extend(RefusalGround::ALL.iter().map(|v| v.label_key()));
    keys.extend(Action::ALL.iter().map(|v| v.label_key()));
    keys.extend(ActorKind::ALL.iter().map(|v| v.label_key()));
    keys.extend(AllocationPolicy::ALL.iter().map(|v| v.label_key()));
    keys.extend(FileFormat::ALL.iter().map(|v| v.label_key()));
    keys.into_iter().map(str::to_owned).collect()
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// String literals in the source that look like message keys.
fn keys_in_code() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&crate_dir().join("src"), &mut files);
    let mut keys = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for literal in text.split('"').skip(1).step_by(2) {
            let is_key = PREFIXES.iter().any(|p| literal.starts_with(p))
                && literal
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && !literal.ends_with('-');
            if is_key {
                keys.insert(literal.to_owned());
            }
        }
    }
    keys
}

fn keys_in_ftl(lang: &str) -> BTreeSet<String> {
    let path = crate_dir().join(format!("../../locales/{lang}/domain.ftl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
        .collect()
}

#[test]
fn every_key_in_code_is_translated() {
    let mut code = keys_in_code();
    assert!(code.len() > 30, "the scan found too few keys: {code:?}");
    code.extend(label_keys());
    for lang in ["kk", "ru", "en"] {
        let ftl = keys_in_ftl(lang);
        let missing: Vec<_> = code.difference(&ftl).collect();
        assert!(missing.is_empty(), "{lang}/domain.ftl lacks {missing:?}");
    }
}

#[test]
fn languages_have_the_same_keys() {
    let kk = keys_in_ftl("kk");
    for lang in ["ru", "en"] {
        let other = keys_in_ftl(lang);
        assert_eq!(
            kk.symmetric_difference(&other).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "kk vs {lang}"
        );
    }
}

#[test]
fn files_are_valid_fluent() {
    for lang in ["kk", "ru", "en"] {
        let path = crate_dir().join(format!("../../locales/{lang}/domain.ftl"));
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err((_, errors)) = fluent_syntax::parser::parse(text.as_str()) {
            panic!("{lang}/domain.ftl: {errors:?}");
        }
    }
}
