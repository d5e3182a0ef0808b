//! Notifications of the web flows, composed by the `notify` crate from the templates in
//! `locales/*/notify.ftl`, in the language the person chose.

use notify::{NotificationEvent, Recipient, compose};
use store::Person;
use store::outbox::OutboxMessage;

use crate::i18n::{Lang, translate};

/// Renders a notification template through the same Fluent files as the pages.
fn tr(lang: &str, key: &str, args: &[(&str, String)]) -> String {
    translate(Lang::parse(lang).unwrap_or_default(), key, args)
}

/// The messages telling `to` of `event`, in `lang`.
pub fn messages(event: &NotificationEvent, to: &Recipient, lang: &str) -> Vec<OutboxMessage> {
    compose(event, to, lang, &tr)
}

/// The messages telling a person of an event, at their confirmed contacts.
pub fn to_person(event: &NotificationEvent, person: &Person) -> Vec<OutboxMessage> {
    let to = Recipient {
        email: person.email_confirmed_at.and(person.email.clone()),
        phone: person.phone_confirmed_at.and(person.phone.clone()),
    };
    messages(event, &to, &person.language)
}
