//! The message texts in locales/{kk,ru,en}/notify.ftl: complete, consistent, and fit for SMS.

use std::cell::RefCell;
use std::collections::BTreeSet;

use chrono::NaiveDate;
use notify::{NotificationEvent, Recipient, compose};
use store::outbox::Channel;

use crate::support::Locales;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// One of every event, with realistic lengths.
fn every_event() -> Vec<NotificationEvent> {
    let url = "https://mektep.aktobe.kz/a/2026-000042".to_owned();
    vec![
        NotificationEvent::ContactEmailConfirmation {
            link: "https://mektep.aktobe.kz/c/9f2c1e7a".into(),
        },
        NotificationEvent::ContactPhoneCode {
            code: "482913".into(),
        },
        NotificationEvent::Submitted {
            number: "2026-000042".into(),
            deadline: d(2026, 6, 8),
            url: url.clone(),
        },
        NotificationEvent::Returned {
            number: "2026-000042".into(),
            comment: "Денсаулық туралы анықтаманың (063/у) мерзімі өтіп кеткен, жаңасын жүктеңіз."
                .into(),
            url: url.clone(),
        },
        NotificationEvent::Accepted {
            number: "2026-000042".into(),
            receipt_url: "https://mektep.aktobe.kz/r/4f1a".into(),
            receipt_blob_key: Some("0123456789abcdef0123456789abcdef".into()),
        },
        NotificationEvent::Refused {
            number: "2026-000042".into(),
            grounds: "Мектепте бос орын жоқ; білім бөліміне жүгініңіз.".into(),
            url: url.clone(),
        },
        NotificationEvent::Admitted {
            number: "2026-000042".into(),
            school: "№ 12 жалпы білім беретін мектеп".into(),
            order_number: "115-ө".into(),
            order_date: d(2026, 8, 25),
            order_url: "https://mektep.aktobe.kz/o/115".into(),
        },
        NotificationEvent::DraftReminder {
            closes_on: d(2026, 8, 30),
            url: url.clone(),
        },
        NotificationEvent::StaffDailySummary {
            school: "№ 12 мектеп".into(),
            date: d(2026, 6, 2),
            due_today: 3,
            overdue: 1,
            new: 17,
            url: "https://mektep.aktobe.kz/school/queue".into(),
        },
    ]
}

fn everyone() -> Recipient {
    Recipient {
        email: Some("ata-ana@example.kz".into()),
        phone: Some("+77011234567".into()),
    }
}

#[test]
fn every_template_exists_in_every_language_and_renders_all_its_variables() {
    let locales = Locales::load();
    let asked = RefCell::new(BTreeSet::new());
    for event in every_event() {
        for lang in ["kk", "ru", "en"] {
            let tr = |l: &str, key: &str, args: &[(&str, String)]| {
                asked.borrow_mut().insert(key.to_owned());
                locales.tr(l, key, args)
            };
            for msg in compose(&event, &everyone(), lang, &tr) {
                assert_eq!(msg.language, lang);
                for text in [&msg.subject, &msg.body] {
                    assert!(
                        !text.contains('{') && !text.contains('$'),
                        "{lang} {}: {text}",
                        msg.kind
                    );
                    assert!(
                        !text.contains('\u{2068}') && !text.contains('\u{2069}'),
                        "{lang}: isolation marks left"
                    );
                }
                if msg.channel == Channel::Email {
                    assert!(
                        !msg.subject.is_empty() && !msg.subject.contains('\n'),
                        "{lang} {}",
                        msg.kind
                    );
                }
            }
        }
    }
    // Subjects and bodies of 8 e-mails, 7 SMS, the footer and the attachment name.
    assert_eq!(asked.borrow().len(), 8 + 8 + 7 + 2, "{:?}", asked.borrow());
}

#[test]
fn the_three_files_define_the_same_messages() {
    let locales = Locales::load();
    // A message starts at the beginning of a line with its id and `=`.
    let ids = |lang: &str| -> BTreeSet<String> {
        locales.sources[lang]
            .lines()
            .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|line| line.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    };
    let kk = ids("kk");
    assert_eq!(kk, ids("ru"));
    assert_eq!(kk, ids("en"));
    for id in &kk {
        assert!(locales.has("kk", id));
    }
}

#[test]
fn the_kazakh_and_russian_texts_are_written_in_their_own_letters() {
    let locales = Locales::load();
    let kazakh_letters = ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'һ', 'і'];
    let event = NotificationEvent::Submitted {
        number: "1".into(),
        deadline: d(2026, 6, 8),
        url: "u".into(),
    };
    let kk = compose(&event, &everyone(), "kk", &|l, k, a| locales.tr(l, k, a));
    let ru = compose(&event, &everyone(), "ru", &|l, k, a| locales.tr(l, k, a));
    assert!(
        kk[0].body.chars().any(|c| kazakh_letters.contains(&c)),
        "{}",
        kk[0].body
    );
    assert!(ru[0].body.contains("заявление"), "{}", ru[0].body);
    assert!(
        !ru[0].body.chars().any(|c| kazakh_letters.contains(&c)),
        "{}",
        ru[0].body
    );
    assert_ne!(kk[1].body, ru[1].body);
}

#[test]
fn sms_texts_stay_within_three_segments() {
    let locales = Locales::load();
    for event in every_event() {
        for lang in ["kk", "ru", "en"] {
            for msg in compose(&event, &everyone(), lang, &|l, k, a| locales.tr(l, k, a)) {
                if msg.channel != Channel::Sms {
                    continue;
                }
                let chars = msg.body.chars().count();
                // GSM-7 fits 153 characters per part of a long SMS, UCS-2 (Cyrillic) 67.
                let per_segment = if msg.body.is_ascii() { 153 } else { 67 };
                assert!(
                    chars <= 3 * per_segment,
                    "{lang} {}: {chars} characters: {}",
                    msg.kind,
                    msg.body
                );
                assert!(!msg.body.contains('\n'), "{lang} {}: one line", msg.kind);
            }
        }
    }
}
