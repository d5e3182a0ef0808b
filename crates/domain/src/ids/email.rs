//! An e-mail address, the contact every parent must give (DOMAIN.md §2).

use super::string_type;

const MAX_TOTAL: usize = 254;
const MAX_LOCAL: usize = 64;

/// Why a text is not an e-mail address we can write to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail is empty")]
    Empty,
    #[error("e-mail is longer than {MAX_TOTAL} characters")]
    TooLong,
    #[error("e-mail may not contain spaces or control characters")]
    Whitespace,
    #[error("e-mail must contain exactly one @")]
    At,
    #[error("the part before @ must be 1–{MAX_LOCAL} characters")]
    LocalPart,
    #[error("the part after @ must be a domain name with a dot, such as mail.kz")]
    Domain,
}

impl EmailError {
    pub fn message_key(&self) -> &'static str {
        match self {
            EmailError::Empty => "err-email-empty",
            EmailError::TooLong => "err-email-too-long",
            EmailError::Whitespace => "err-email-whitespace",
            EmailError::At => "err-email-at",
            EmailError::LocalPart => "err-email-local-part",
            EmailError::Domain => "err-email-domain",
        }
    }
}

/// An e-mail address checked pragmatically (not RFC 5322 in full: quoted local parts and IP
/// literals are refused, since no parent uses them and mail relays often do not either).
/// The domain is lowercased; the local part is kept as typed (it may be case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

/// Characters that cannot be in a domain name; anything else (letters of any script for
/// internationalised domains such as `мектеп.қаз`, digits, hyphen) is left to DNS.
fn forbidden_in_domain(c: char) -> bool {
    c.is_ascii_punctuation() && c != '-' && c != '.'
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.chars().count() > MAX_TOTAL {
            return Err(EmailError::TooLong);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Whitespace);
        }
        let mut parts = text.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::At);
        };
        if local.is_empty() || local.chars().count() > MAX_LOCAL || local.contains('"') {
            return Err(EmailError::LocalPart);
        }
        let labels_ok = domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if !domain.contains('.') || !labels_ok || domain.chars().any(forbidden_in_domain) {
            return Err(EmailError::Domain);
        }
        // Lowercasing may lengthen the domain (`İ` becomes `i` and a combining dot): the
        // limit holds for the address as stored, so that it parses again as itself.
        let email = format!("{local}@{}", domain.to_lowercase());
        if email.chars().count() > MAX_TOTAL {
            return Err(EmailError::TooLong);
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part (after `@`), lowercased.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

string_type!(Email, EmailError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted() {
        let cases = [
            ("parent@mail.kz", "parent@mail.kz"),
            (
                "  Aigerim.Nurlanqyzy@Mail.KZ ",
                "Aigerim.Nurlanqyzy@mail.kz",
            ),
            ("a+school@gmail.com", "a+school@gmail.com"),
            ("x@sub.domain.edu.kz", "x@sub.domain.edu.kz"),
            ("ата-ана@МЕКТЕП.ҚАЗ", "ата-ана@мектеп.қаз"),
            ("o'brien@example.org", "o'brien@example.org"),
        ];
        for (text, normalised) in cases {
            let email = Email::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(email.as_str(), normalised);
        }
        assert_eq!(Email::parse("a@Mail.KZ").unwrap().domain(), "mail.kz");
    }

    #[test]
    fn rejected() {
        let long_local = format!("{}@mail.kz", "a".repeat(65));
        let long_total = format!("a@{}.kz", "b".repeat(260));
        // 254 characters as typed, 257 once `İ` is lowercased (found by the fuzzer).
        let longer_lowercased = format!("a@{}İİİ.kz", "b".repeat(246));
        let cases = [
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            (long_total.as_str(), EmailError::TooLong),
            (longer_lowercased.as_str(), EmailError::TooLong),
            ("a b@mail.kz", EmailError::Whitespace),
            ("ab@mail.kz\u{0}", EmailError::Whitespace),
            ("ab@mail\t.kz", EmailError::Whitespace),
            ("parent.mail.kz", EmailError::At),
            ("a@b@mail.kz", EmailError::At),
            ("@mail.kz", EmailError::LocalPart),
            (long_local.as_str(), EmailError::LocalPart),
            ("\"a\"@mail.kz", EmailError::LocalPart),
            ("a@", EmailError::Domain),
            ("a@localhost", EmailError::Domain),
            ("a@mail..kz", EmailError::Domain),
            ("a@.mail.kz", EmailError::Domain),
            ("a@mail.kz.", EmailError::Domain),
            ("a@-mail.kz", EmailError::Domain),
            ("a@mail_box.kz", EmailError::Domain),
            ("a@[127.0.0.1]", EmailError::Domain),
        ];
        for (text, expected) in cases {
            assert_eq!(Email::parse(text), Err(expected.clone()), "{text:?}");
            assert!(expected.message_key().starts_with("err-email-"));
        }
    }

    #[test]
    fn exact_limits() {
        let local64 = format!("{}@mail.kz", "a".repeat(64));
        assert!(Email::parse(&local64).is_ok());
        let total254 = format!("a@{}.kz", "b".repeat(249));
        assert_eq!(total254.len(), 254);
        assert!(Email::parse(&total254).is_ok());
    }

    #[test]
    fn serde_normalises() {
        let e: Email = serde_json::from_str("\"A@MAIL.KZ\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"A@mail.kz\"");
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }
}
