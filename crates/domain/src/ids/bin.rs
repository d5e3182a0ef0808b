//! BIN (БСН / БИН): the 12-digit business identification number of an organization (a school).

use super::iin::check_digit_ok;
use super::{ascii_digits, string_type};

/// Why a text is not a BIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinError {
    #[error("BIN is empty")]
    Empty,
    #[error("BIN must have 12 digits, found {found}")]
    Length { found: usize },
    #[error("BIN may contain only digits")]
    NonDigit,
    #[error("digits 3–4 of the BIN must be a month 01–12")]
    Month,
    #[error("5th digit of the BIN must be 4, 5 or 6 (type of organization), found {digit}")]
    OrganizationType { digit: u8 },
    #[error("BIN check digit does not match (a digit is mistyped)")]
    Checksum,
}

impl BinError {
    pub fn message_key(&self) -> &'static str {
        match self {
            BinError::Empty => "err-bin-empty",
            BinError::Length { .. } => "err-bin-length",
            BinError::NonDigit => "err-bin-non-digit",
            BinError::Month => "err-bin-month",
            BinError::OrganizationType { .. } => "err-bin-organization-type",
            BinError::Checksum => "err-bin-checksum",
        }
    }
}

/// A business identification number: `YYMM` of registration, the type of organization
/// (4 resident legal entity, 5 non-resident, 6 individual entrepreneur in a joint venture),
/// an attribute digit, a serial and the same check digit as the IIN.
///
/// Deliberately not validated further: the meaning of the 6th digit and the serial changed over
/// the years, and a school's BIN comes from the registry, not from guessing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bin(String);

impl Bin {
    pub fn parse(input: &str) -> Result<Self, BinError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(BinError::Empty);
        }
        let digits = ascii_digits(text).ok_or(BinError::NonDigit)?;
        let [_, _, m1, m2, kind, ..] = digits[..] else {
            return Err(BinError::Length {
                found: digits.len(),
            });
        };
        if digits.len() != 12 {
            return Err(BinError::Length {
                found: digits.len(),
            });
        }
        if !(1..=12).contains(&(m1 * 10 + m2)) {
            return Err(BinError::Month);
        }
        if !(4..=6).contains(&kind) {
            return Err(BinError::OrganizationType { digit: kind });
        }
        if !check_digit_ok(&digits) {
            return Err(BinError::Checksum);
        }
        Ok(Bin(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_type!(Bin, BinError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::iin_check_digit;

    fn complete(prefix: &str) -> String {
        let first11: [u8; 11] = ascii_digits(prefix).unwrap().try_into().unwrap();
        format!("{prefix}{}", iin_check_digit(&first11).unwrap())
    }

    #[test]
    fn valid_bins() {
        // e.g. the first: registered May 2004, resident legal entity, attribute 0, serial 0123.
        for prefix in ["04054000123", "99126400001", "10015000042", "21106100777"] {
            let text = complete(prefix);
            let bin = Bin::parse(&format!(" {text} ")).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(bin.as_str(), text);
        }
    }

    #[test]
    fn invalid_bins() {
        let good = complete("04054000123");
        let mut bad_check = good.clone();
        let last = bad_check.pop().unwrap();
        bad_check.push(if last == '9' { '0' } else { '9' });
        let cases: Vec<(String, BinError)> = vec![
            ("".into(), BinError::Empty),
            ("0405".into(), BinError::Length { found: 4 }),
            ("04054000123".into(), BinError::Length { found: 11 }),
            ("0405400012345".into(), BinError::Length { found: 13 }),
            ("BIN040540001234".into(), BinError::NonDigit),
            ("0405 4000 1234".into(), BinError::NonDigit),
            (complete("04004000123"), BinError::Month),
            (complete("04134000123"), BinError::Month),
            (
                complete("04053000123"),
                BinError::OrganizationType { digit: 3 },
            ),
            (
                complete("04057000123"),
                BinError::OrganizationType { digit: 7 },
            ),
            (bad_check, BinError::Checksum),
        ];
        for (text, expected) in cases {
            assert_eq!(Bin::parse(&text), Err(expected.clone()), "{text:?}");
            assert!(expected.message_key().starts_with("err-bin-"));
        }
    }

    #[test]
    fn serde_as_string() {
        let text = complete("04054000123");
        let bin = Bin::parse(&text).unwrap();
        assert_eq!(serde_json::to_string(&bin).unwrap(), format!("\"{text}\""));
        assert_eq!(
            serde_json::from_str::<Bin>(&format!("\"{text}\"")).unwrap(),
            bin
        );
        assert!(serde_json::from_str::<Bin>("\"041340001230\"").is_err());
    }
}
