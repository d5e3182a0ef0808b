//! A Kazakhstan mobile phone number, the contact the service notifies by SMS.

use super::string_type;

/// Why a text is not a Kazakhstan mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number may contain only digits, spaces, dashes, parentheses and a leading +")]
    InvalidCharacter,
    #[error("phone number must have 11 digits (+7 and 10 more), found {found}")]
    Length { found: usize },
    #[error("phone number must start with +7 or 8")]
    CountryCode,
    #[error("not a Kazakhstan mobile number (+7 70x, 747, 75x, 76x, 77x …)")]
    NotMobile,
}

impl PhoneError {
    pub fn message_key(&self) -> &'static str {
        match self {
            PhoneError::Empty => "err-phone-empty",
            PhoneError::InvalidCharacter => "err-phone-character",
            PhoneError::Length { .. } => "err-phone-length",
            PhoneError::CountryCode => "err-phone-country",
            PhoneError::NotMobile => "err-phone-not-mobile",
        }
    }
}

/// A Kazakhstan mobile number, kept normalised as `+77xxxxxxxxx`; landlines are refused because
/// notifications go out by SMS.
///
/// Accepted as people write them: `+7 701 234 56 78`, `87012345678`, `8 (701) 234-56-78`,
/// `7 (701) 234-56-78`, and the bare ten digits `701 234 56 78`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

/// Separators people put into phone numbers; they carry no meaning. U+00A0 arrives from
/// copy-paste of formatted numbers.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}')
}

impl Phone {
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut digits = String::with_capacity(11);
        for c in rest.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !is_separator(c) {
                return Err(PhoneError::InvalidCharacter);
            }
            // A pasted novel is not a phone number: stop early instead of collecting it.
            if digits.len() > 11 {
                return Err(PhoneError::Length {
                    found: rest.chars().filter(char::is_ascii_digit).count(),
                });
            }
        }
        let national = match (plus, digits.len()) {
            (true, 11) | (false, 11) if digits.starts_with('7') => &digits[1..],
            (false, 11) if digits.starts_with('8') => &digits[1..],
            (_, 11) => return Err(PhoneError::CountryCode),
            (false, 10) if digits.starts_with('7') => &digits[..],
            (_, found) => return Err(PhoneError::Length { found }),
        };
        // Every Kazakh area code starts with 7; landlines continue with 1, 2 or 3 (Astana 7172,
        // Almaty 727, Aktobe 7132), mobile operators with 0, 4, 5, 6 or 7 (700–708, 747, 750–751,
        // 760–764, 771, 775–778).
        if !(national.starts_with("70")
            || national.starts_with("74")
            || national.starts_with("75")
            || national.starts_with("76")
            || national.starts_with("77"))
        {
            return Err(PhoneError::NotMobile);
        }
        Ok(Phone(format!("+7{national}")))
    }

    /// Normalised form `+77xxxxxxxxx`, for storage and SMS gateways.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form people read: `+7 7xx xxx xx xx`.
    pub fn display_pretty(&self) -> String {
        let s = self.0.as_str();
        match (
            s.get(0..2),
            s.get(2..5),
            s.get(5..8),
            s.get(8..10),
            s.get(10..12),
        ) {
            (Some(cc), Some(op), Some(a), Some(b), Some(c)) => format!("{cc} {op} {a} {b} {c}"),
            _ => self.0.clone(),
        }
    }
}

string_type!(Phone, PhoneError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_normalise() {
        let cases = [
            "+7 701 234 56 78",
            "+77012345678",
            "87012345678",
            "8 701 234 56 78",
            "8 (701) 234-56-78",
            "7 (701) 234-56-78",
            "77012345678",
            "701 234 56 78",
            "7012345678",
            "+7-701-234-56-78",
            "  +7\u{a0}701\u{a0}234\u{a0}56\u{a0}78 ",
            "+7 (701) 234.56.78",
        ];
        for text in cases {
            let phone = Phone::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(phone.as_str(), "+77012345678", "{text:?}");
            assert_eq!(phone.display_pretty(), "+7 701 234 56 78");
        }
        for (text, normalised) in [
            ("8 747 000 11 22", "+77470001122"),
            ("8 700 000 11 22", "+77000001122"),
            ("8 708 000 11 22", "+77080001122"),
            ("8 751 000 11 22", "+77510001122"),
            ("8 760 000 11 22", "+77600001122"),
            ("8 778 000 11 22", "+77780001122"),
        ] {
            assert_eq!(Phone::parse(text).unwrap().as_str(), normalised);
        }
    }

    #[test]
    fn rejected_forms() {
        let cases = [
            ("", PhoneError::Empty),
            ("  ", PhoneError::Empty),
            ("+7 701 234 56 7a", PhoneError::InvalidCharacter),
            ("7 701 234 56 78 ext", PhoneError::InvalidCharacter),
            ("++77012345678", PhoneError::InvalidCharacter),
            ("7701+2345678", PhoneError::InvalidCharacter),
            ("+7 701 234 56", PhoneError::Length { found: 9 }),
            ("+7 701 234 56 789", PhoneError::Length { found: 12 }),
            ("+7012345678", PhoneError::Length { found: 10 }),
            ("123", PhoneError::Length { found: 3 }),
            ("8 701 234 56 7", PhoneError::Length { found: 10 }),
            ("+8 701 234 56 78", PhoneError::CountryCode),
            ("+1 701 234 56 78", PhoneError::CountryCode),
            ("97012345678", PhoneError::CountryCode),
            // Landlines (Aktobe 7132…, Almaty 727…) and Russian mobiles (+7 9xx) are not KZ mobiles.
            ("+7 7132 55 66 77", PhoneError::NotMobile),
            ("+7 7172 55 66 77", PhoneError::NotMobile),
            ("8 (727) 255-66-77", PhoneError::NotMobile),
            ("+7 927 123 45 67", PhoneError::NotMobile),
            ("+7 601 234 56 78", PhoneError::NotMobile),
            ("6012345678", PhoneError::Length { found: 10 }),
        ];
        for (text, expected) in cases {
            assert_eq!(Phone::parse(text), Err(expected.clone()), "{text:?}");
            assert!(expected.message_key().starts_with("err-phone-"));
        }
    }

    #[test]
    fn huge_input_is_an_error_not_a_hang() {
        let text = "7".repeat(1_000_000);
        assert!(matches!(
            Phone::parse(&text),
            Err(PhoneError::Length { .. })
        ));
    }

    #[test]
    fn serde_uses_normalised_form() {
        let phone: Phone = serde_json::from_str("\"8 (701) 234-56-78\"").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+77012345678\"");
    }
}
