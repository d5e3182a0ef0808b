//! From an event to the messages that tell of it, in the recipient's language. The texts are
//! templates in `locales/{kk,ru,en}/notify.ftl`, one per event, channel and language:
//! `notify-<kind>-subject`, `notify-<kind>-email`, `notify-<kind>-sms`.

use chrono::NaiveDate;
use store::outbox::{Channel, OutboxMessage};

/// Where a person gets messages. Either may be missing (a parent who gave no phone yet, staff
/// who get e-mail only); a message for a missing contact is simply not made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipient {
    pub email: Option<String>,
    /// `+7…`, as the domain's phone type prints it.
    pub phone: Option<String>,
}

/// What happened that someone must learn of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotificationEvent {
    /// The parent gave an e-mail address: confirm it (e-mail only).
    ContactEmailConfirmation { link: String },
    /// The parent gave a phone number: confirm it with a code (SMS only).
    ContactPhoneCode { code: String },
    /// The application (өтініш / заявление) was submitted; the receipt is due by `deadline`.
    Submitted {
        number: String,
        deadline: NaiveDate,
        url: String,
    },
    /// The school returned the application for correction.
    Returned {
        number: String,
        comment: String,
        url: String,
    },
    /// The school accepted the documents; the receipt (қолхат / расписка) is attached to the
    /// e-mail when `receipt_blob_key` names it, and linked in the SMS.
    Accepted {
        number: String,
        receipt_url: String,
        receipt_blob_key: Option<String>,
    },
    /// A reasoned refusal (дәлелді бас тарту / мотивированный отказ).
    Refused {
        number: String,
        grounds: String,
        url: String,
    },
    /// The admission order (бұйрық / приказ) was published.
    Admitted {
        number: String,
        school: String,
        order_number: String,
        order_date: NaiveDate,
        order_url: String,
    },
    /// A draft was never submitted and the window closes on `closes_on`.
    DraftReminder { closes_on: NaiveDate, url: String },
    /// The daily queue summary for a school's staff (e-mail only).
    StaffDailySummary {
        school: String,
        date: NaiveDate,
        due_today: u32,
        overdue: u32,
        new: u32,
        url: String,
    },
}

impl NotificationEvent {
    /// The template family and the delivery log's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            NotificationEvent::ContactEmailConfirmation { .. } => "contact-email",
            NotificationEvent::ContactPhoneCode { .. } => "contact-phone",
            NotificationEvent::Submitted { .. } => "submitted",
            NotificationEvent::Returned { .. } => "returned",
            NotificationEvent::Accepted { .. } => "accepted",
            NotificationEvent::Refused { .. } => "refused",
            NotificationEvent::Admitted { .. } => "admitted",
            NotificationEvent::DraftReminder { .. } => "draft-reminder",
            NotificationEvent::StaffDailySummary { .. } => "staff-summary",
        }
    }

    fn channels(&self) -> &'static [Channel] {
        match self {
            NotificationEvent::ContactEmailConfirmation { .. }
            | NotificationEvent::StaffDailySummary { .. } => &[Channel::Email],
            NotificationEvent::ContactPhoneCode { .. } => &[Channel::Sms],
            _ => &[Channel::Email, Channel::Sms],
        }
    }

    /// Template arguments. Free text a clerk wrote is cut shorter for SMS, whose e-mail twin
    /// carries it whole.
    fn args(&self, channel: Channel) -> Vec<(&'static str, String)> {
        let free_text = |text: &str| match channel {
            Channel::Email => text.to_owned(),
            Channel::Sms => crate::clip(text, SMS_FREE_TEXT_CHARS),
        };
        match self {
            NotificationEvent::ContactEmailConfirmation { link } => vec![("link", link.clone())],
            NotificationEvent::ContactPhoneCode { code } => vec![("code", code.clone())],
            NotificationEvent::Submitted {
                number,
                deadline,
                url,
            } => {
                vec![
                    ("number", number.clone()),
                    ("deadline", date(*deadline)),
                    ("url", url.clone()),
                ]
            }
            NotificationEvent::Returned {
                number,
                comment,
                url,
            } => {
                vec![
                    ("number", number.clone()),
                    ("comment", free_text(comment)),
                    ("url", url.clone()),
                ]
            }
            NotificationEvent::Accepted {
                number,
                receipt_url,
                ..
            } => {
                vec![("number", number.clone()), ("url", receipt_url.clone())]
            }
            NotificationEvent::Refused {
                number,
                grounds,
                url,
            } => {
                vec![
                    ("number", number.clone()),
                    ("grounds", free_text(grounds)),
                    ("url", url.clone()),
                ]
            }
            NotificationEvent::Admitted {
                number,
                school,
                order_number,
                order_date,
                order_url,
            } => vec![
                ("number", number.clone()),
                ("school", school.clone()),
                ("order_number", order_number.clone()),
                ("order_date", date(*order_date)),
                ("url", order_url.clone()),
            ],
            NotificationEvent::DraftReminder { closes_on, url } => {
                vec![("closes_on", date(*closes_on)), ("url", url.clone())]
            }
            NotificationEvent::StaffDailySummary {
                school,
                date: day,
                due_today,
                overdue,
                new,
                url,
            } => vec![
                ("school", school.clone()),
                ("date", date(*day)),
                ("due_today", due_today.to_string()),
                ("overdue", overdue.to_string()),
                ("new", new.to_string()),
                ("url", url.clone()),
            ],
        }
    }
}

/// A clerk's comment or refusal grounds in an SMS: the first words, the rest is in the e-mail
/// and the personal cabinet.
const SMS_FREE_TEXT_CHARS: usize = 80;

const LANGUAGES: [&str; 3] = ["kk", "ru", "en"];

/// Dates as Kazakhstan writes them in all three languages.
fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Renders a template: `tr(lang, key, args)` with `args` as `(variable, value)` pairs.
pub type Translate<'a> = dyn Fn(&str, &str, &[(&str, String)]) -> String + 'a;

/// Fluent wraps placeables in Unicode isolation marks (U+2068, U+2069) unless told not to;
/// in a plain-text e-mail or an SMS they are invisible junk that some phones show as boxes and
/// that costs SMS characters.
pub fn strip_isolation_marks(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
        .collect()
}

/// The messages that tell `to` of `event`, in `lang` (kk, ru or en; anything else falls back
/// to kk). `tr(lang, key, args)` renders a template (the web layer's Fluent loader). The caller
/// writes the result to the outbox in the transaction of the event, and may set a
/// `dedupe_key` on each (see [`OutboxMessage::dedupe_key`]).
pub fn compose(
    event: &NotificationEvent,
    to: &Recipient,
    lang: &str,
    tr: &Translate<'_>,
) -> Vec<OutboxMessage> {
    let lang = if LANGUAGES.contains(&lang) {
        lang
    } else {
        "kk"
    };
    let kind = event.kind();
    let render =
        |key: &str, args: &[(&str, String)]| strip_isolation_marks(tr(lang, key, args).trim());
    let mut out = Vec::new();
    for &channel in event.channels() {
        let recipient = match channel {
            Channel::Email => to.email.as_deref(),
            Channel::Sms => to.phone.as_deref(),
        };
        let Some(recipient) = recipient.map(str::trim).filter(|r| !r.is_empty()) else {
            continue;
        };
        let args = event.args(channel);
        let (subject, body) = match channel {
            Channel::Email => {
                let body = format!(
                    "{}\n\n-- \n{}\n",
                    render(&format!("notify-{kind}-email"), &args),
                    render("notify-email-footer", &[])
                );
                (render(&format!("notify-{kind}-subject"), &args), body)
            }
            Channel::Sms => (String::new(), render(&format!("notify-{kind}-sms"), &args)),
        };
        let (attachment_name, attachment_key) = match (event, channel) {
            (
                NotificationEvent::Accepted {
                    number,
                    receipt_blob_key: Some(key),
                    ..
                },
                Channel::Email,
            ) => (
                Some(render(
                    "notify-accepted-attachment",
                    &[("number", number.clone())],
                )),
                Some(key.clone()),
            ),
            _ => (None, None),
        };
        out.push(OutboxMessage {
            channel,
            recipient: recipient.to_owned(),
            subject,
            body,
            attachment_name,
            attachment_key,
            kind: kind.to_owned(),
            language: lang.to_owned(),
            dedupe_key: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn parent() -> Recipient {
        Recipient {
            email: Some("ata-ana@example.kz".into()),
            phone: Some("+77011234567".into()),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Renders `lang|key|name=value;…` so the tests see exactly what was asked.
    fn echo(lang: &str, key: &str, args: &[(&str, String)]) -> String {
        let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("\u{2068}{lang}|{key}|{}\u{2069}", args.join(";"))
    }

    #[test]
    fn each_event_makes_its_messages() {
        let cases: Vec<(NotificationEvent, &[Channel])> = vec![
            (
                NotificationEvent::ContactEmailConfirmation {
                    link: "https://m.kz/c/1".into(),
                },
                &[Channel::Email],
            ),
            (
                NotificationEvent::ContactPhoneCode {
                    code: "482913".into(),
                },
                &[Channel::Sms],
            ),
            (
                NotificationEvent::Submitted {
                    number: "2026-000001".into(),
                    deadline: d(2026, 6, 8),
                    url: "u".into(),
                },
                &[Channel::Email, Channel::Sms],
            ),
            (
                NotificationEvent::Returned {
                    number: "n".into(),
                    comment: "c".into(),
                    url: "u".into(),
                },
                &[Channel::Email, Channel::Sms],
            ),
            (
                NotificationEvent::Accepted {
                    number: "n".into(),
                    receipt_url: "u".into(),
                    receipt_blob_key: None,
                },
                &[Channel::Email, Channel::Sms],
            ),
            (
                NotificationEvent::Refused {
                    number: "n".into(),
                    grounds: "g".into(),
                    url: "u".into(),
                },
                &[Channel::Email, Channel::Sms],
            ),
            (
                NotificationEvent::Admitted {
                    number: "n".into(),
                    school: "s".into(),
                    order_number: "15-ө".into(),
                    order_date: d(2026, 8, 25),
                    order_url: "u".into(),
                },
                &[Channel::Email, Channel::Sms],
            ),
            (
                NotificationEvent::DraftReminder {
                    closes_on: d(2026, 8, 30),
                    url: "u".into(),
                },
                &[Channel::Email, Channel::Sms],
            ),
            (
                NotificationEvent::StaffDailySummary {
                    school: "№ 12".into(),
                    date: d(2026, 6, 2),
                    due_today: 3,
                    overdue: 1,
                    new: 7,
                    url: "u".into(),
                },
                &[Channel::Email],
            ),
        ];
        for (event, channels) in cases {
            let msgs = compose(&event, &parent(), "ru", &echo);
            let got: Vec<Channel> = msgs.iter().map(|m| m.channel).collect();
            assert_eq!(got, channels, "{event:?}");
            for m in &msgs {
                assert_eq!((m.kind.as_str(), m.language.as_str()), (event.kind(), "ru"));
                assert!(
                    !m.body.contains('\u{2068}') && !m.subject.contains('\u{2069}'),
                    "{m:?}"
                );
                match m.channel {
                    Channel::Email => {
                        assert!(
                            m.subject
                                .starts_with(&format!("ru|notify-{}-subject|", event.kind())),
                            "{m:?}"
                        );
                        assert!(
                            m.body
                                .starts_with(&format!("ru|notify-{}-email|", event.kind())),
                            "{m:?}"
                        );
                        assert!(m.body.contains("ru|notify-email-footer|"), "{m:?}");
                        assert_eq!(m.recipient, "ata-ana@example.kz");
                    }
                    Channel::Sms => {
                        assert!(m.subject.is_empty());
                        assert!(
                            m.body
                                .starts_with(&format!("ru|notify-{}-sms|", event.kind())),
                            "{m:?}"
                        );
                        assert_eq!(m.recipient, "+77011234567");
                    }
                }
            }
        }
    }

    #[test]
    fn dates_and_counts_reach_the_templates() {
        let e = NotificationEvent::Submitted {
            number: "2026-000042".into(),
            deadline: d(2026, 6, 8),
            url: "https://m.kz/a/42".into(),
        };
        let msgs = compose(&e, &parent(), "kk", &echo);
        assert_eq!(
            msgs[1].body,
            "kk|notify-submitted-sms|number=2026-000042;deadline=08.06.2026;url=https://m.kz/a/42"
        );
        let s = NotificationEvent::StaffDailySummary {
            school: "№ 12".into(),
            date: d(2026, 6, 2),
            due_today: 3,
            overdue: 1,
            new: 7,
            url: "u".into(),
        };
        let msgs = compose(&s, &parent(), "en", &echo);
        assert!(
            msgs[0]
                .body
                .contains("school=№ 12;date=02.06.2026;due_today=3;overdue=1;new=7;url=u"),
            "{}",
            msgs[0].body
        );
    }

    #[test]
    fn the_receipt_is_attached_to_the_email_only() {
        let e = NotificationEvent::Accepted {
            number: "2026-000042".into(),
            receipt_url: "https://m.kz/r/abc".into(),
            receipt_blob_key: Some("0123456789abcdef0123456789abcdef".into()),
        };
        let msgs = compose(&e, &parent(), "kk", &echo);
        assert_eq!(
            msgs[0].attachment_key.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            msgs[0].attachment_name.as_deref(),
            Some("kk|notify-accepted-attachment|number=2026-000042")
        );
        assert_eq!(
            (
                msgs[1].attachment_key.as_deref(),
                msgs[1].attachment_name.as_deref()
            ),
            (None, None)
        );
        assert!(msgs[1].body.contains("url=https://m.kz/r/abc"));
    }

    #[test]
    fn long_comments_are_cut_for_sms_only() {
        let comment = "Денсаулық туралы анықтама (063/у нысаны) жарамсыз: мерзімі өтіп кеткен, жаңасын жүктеңіз. ".repeat(3);
        let e = NotificationEvent::Returned {
            number: "n".into(),
            comment: comment.clone(),
            url: "u".into(),
        };
        let msgs = compose(&e, &parent(), "kk", &echo);
        assert!(
            msgs[0].body.contains(comment.trim_end()),
            "the e-mail carries it whole"
        );
        let sms_comment = msgs[1]
            .body
            .split("comment=")
            .nth(1)
            .unwrap()
            .split(";url=")
            .next()
            .unwrap();
        assert_eq!(sms_comment.chars().count(), SMS_FREE_TEXT_CHARS + 1);
        assert!(sms_comment.ends_with('…'));
    }

    #[test]
    fn missing_contacts_and_unknown_languages() {
        let e = NotificationEvent::Refused {
            number: "n".into(),
            grounds: "g".into(),
            url: "u".into(),
        };
        let email_only = Recipient {
            email: Some("a@b.kz".into()),
            phone: Some("  ".into()),
        };
        assert_eq!(compose(&e, &email_only, "kk", &echo).len(), 1);
        assert!(compose(&e, &Recipient::default(), "kk", &echo).is_empty());
        let asked = RefCell::new(Vec::new());
        let recording = |lang: &str, key: &str, _: &[(&str, String)]| {
            asked.borrow_mut().push(lang.to_owned());
            key.to_owned()
        };
        let msgs = compose(&e, &parent(), "de", &recording);
        assert!(msgs.iter().all(|m| m.language == "kk"));
        assert!(asked.borrow().iter().all(|l| l == "kk"));
    }
}
