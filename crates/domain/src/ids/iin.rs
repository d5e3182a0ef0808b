//! IIN (ЖСН / ИИН): the 12-digit individual identification number of a person.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{ascii_digits, string_type};

/// Weights of the first pass of the check digit (DOMAIN.md §7).
const WEIGHTS_FIRST: [u16; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/// Weights of the second pass, used when the first pass gives 10.
const WEIGHTS_SECOND: [u16; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The check digit of an IIN or BIN from its first 11 digits, or `None` when both passes give 10
/// (such a prefix is never issued). Digits must be 0..=9; anything else gives `None`.
pub fn iin_check_digit(first11: &[u8; 11]) -> Option<u8> {
    if first11.iter().any(|d| *d > 9) {
        return None;
    }
    let pass = |weights: &[u16; 11]| {
        let sum: u16 = first11
            .iter()
            .zip(weights)
            .map(|(d, w)| u16::from(*d) * w)
            .sum();
        // The sum is at most 9 * 66 = 594, and the remainder below 11 fits a u8.
        u8::try_from(sum % 11).ok()
    };
    match pass(&WEIGHTS_FIRST)? {
        10 => match pass(&WEIGHTS_SECOND)? {
            10 => None,
            d => Some(d),
        },
        d => Some(d),
    }
}

/// True when the last of 12 digits is the check digit of the first 11.
pub(crate) fn check_digit_ok(digits: &[u8]) -> bool {
    let Ok(all) = <&[u8; 12]>::try_from(digits) else {
        return false;
    };
    let mut first11 = [0u8; 11];
    first11.copy_from_slice(&all[..11]);
    iin_check_digit(&first11) == Some(all[11])
}

/// Sex of a person as the IIN encodes it (7th digit: odd male, even female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Fluent key of the word for display (`sex-male`, `sex-female`).
    pub fn label_key(self) -> &'static str {
        match self {
            Sex::Male => "sex-male",
            Sex::Female => "sex-female",
        }
    }
}

/// Why a text is not an IIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IinError {
    #[error("IIN is empty")]
    Empty,
    #[error("IIN must have 12 digits, found {found}")]
    Length { found: usize },
    #[error("IIN may contain only digits")]
    NonDigit,
    #[error("IIN check digit does not match (a digit is mistyped)")]
    Checksum,
    #[error("7th digit of the IIN must be 1..6 (century and sex), found {digit}")]
    Century { digit: u8 },
    #[error("first six digits of the IIN are not a real birth date (YYMMDD)")]
    Date,
    /// Not from `parse`: the IIN is well formed but another birth date was typed with it.
    #[error("IIN does not agree with the birth date given")]
    BirthDateMismatch,
}

impl IinError {
    pub fn message_key(&self) -> &'static str {
        match self {
            IinError::Empty => "err-iin-empty",
            IinError::Length { .. } => "err-iin-length",
            IinError::NonDigit => "err-iin-non-digit",
            IinError::Checksum => "err-iin-checksum",
            IinError::Century { .. } => "err-iin-century",
            IinError::Date => "err-iin-date",
            IinError::BirthDateMismatch => "err-iin-birth-date-mismatch",
        }
    }
}

/// An individual identification number (ЖСН / ИИН) that passed every structural rule:
/// 12 digits, a real birth date `YYMMDD` in the century the 7th digit gives, and the check digit.
///
/// An IIN typed by a person must also agree with the birth date they typed:
/// see [`Iin::agrees_with_birth_date`]. IINs read from EDS certificates are the CA's word and
/// are not parsed with this type (the NCA test certificates carry IINs that fail the check).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iin {
    text: String,
    birth_date: NaiveDate,
    sex: Sex,
}

impl Iin {
    pub fn parse(input: &str) -> Result<Self, IinError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(IinError::Empty);
        }
        let digits = ascii_digits(text).ok_or(IinError::NonDigit)?;
        if digits.len() != 12 {
            return Err(IinError::Length {
                found: digits.len(),
            });
        }
        let (birth_date, sex) = birth_date_and_sex(&digits)?;
        if !check_digit_ok(&digits) {
            return Err(IinError::Checksum);
        }
        Ok(Iin {
            text: text.to_owned(),
            birth_date,
            sex,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The birth date encoded in the first six digits and the century digit.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// Whether the birth date a person typed is the one this IIN encodes.
    pub fn agrees_with_birth_date(&self, birth_date: NaiveDate) -> bool {
        self.birth_date == birth_date
    }

    /// [`Iin::agrees_with_birth_date`] as a `Result`, for form validation.
    pub fn ensure_birth_date(&self, birth_date: NaiveDate) -> Result<(), IinError> {
        if self.agrees_with_birth_date(birth_date) {
            Ok(())
        } else {
            Err(IinError::BirthDateMismatch)
        }
    }

    /// Year of birth, a shorthand used by eligibility checks.
    pub fn birth_year(&self) -> i32 {
        self.birth_date.year()
    }
}

string_type!(Iin, IinError);

fn birth_date_and_sex(digits: &[u8]) -> Result<(NaiveDate, Sex), IinError> {
    let d = |i: usize| digits.get(i).copied().unwrap_or(0);
    let century_digit = d(6);
    let century = match century_digit {
        1 | 2 => 1800,
        3 | 4 => 1900,
        5 | 6 => 2000,
        digit => return Err(IinError::Century { digit }),
    };
    let sex = if century_digit % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    let year = century + i32::from(d(0) * 10 + d(1));
    let month = u32::from(d(2) * 10 + d(3));
    let day = u32::from(d(4) * 10 + d(5));
    let birth_date = NaiveDate::from_ymd_opt(year, month, day).ok_or(IinError::Date)?;
    Ok((birth_date, sex))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Completes an 11-digit prefix into a full IIN text with the algorithm, for building
    /// real test numbers instead of copying someone's.
    fn complete(prefix: &str) -> String {
        let digits = ascii_digits(prefix).unwrap();
        let first11: [u8; 11] = digits.try_into().unwrap();
        let check = iin_check_digit(&first11).unwrap();
        format!("{prefix}{check}")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn check_digit_first_pass() {
        // 19031560001: Σ dᵢ·i = 1+18+0+12+5+30+42+0+0+0+11 = 119, and 119 mod 11 = 9.
        assert_eq!(iin_check_digit(&[1, 9, 0, 3, 1, 5, 6, 0, 0, 0, 1]), Some(9));
        assert_eq!(complete("19031560001"), "190315600019");
    }

    #[test]
    fn check_digit_second_pass() {
        // 00000000010: first pass 1·10 = 10, so the second pass decides: 1·1 (weight 1) = 1.
        assert_eq!(iin_check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Some(1));
        // A real birth-date prefix whose first pass gives 10 still parses.
        let second_pass_prefix = (0u64..100_000)
            .map(|n| format!("1903156{n:04}"))
            .find(|p| {
                let d: [u8; 11] = ascii_digits(p).unwrap().try_into().unwrap();
                let first: u16 = d
                    .iter()
                    .zip(WEIGHTS_FIRST)
                    .map(|(d, w)| u16::from(*d) * w)
                    .sum();
                first % 11 == 10 && iin_check_digit(&d).is_some()
            })
            .unwrap();
        let iin = Iin::parse(&complete(&second_pass_prefix)).unwrap();
        assert_eq!(iin.birth_date(), date(2019, 3, 15));
    }

    #[test]
    fn check_digit_rejects_non_digits() {
        assert_eq!(iin_check_digit(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn check_digit_none_when_both_passes_give_ten() {
        let found = (0u64..10_000).map(|n| format!("1903156{n:04}")).any(|p| {
            let d: [u8; 11] = ascii_digits(&p).unwrap().try_into().unwrap();
            iin_check_digit(&d).is_none()
        });
        assert!(
            found,
            "some serials have no check digit and are never issued"
        );
    }

    #[test]
    fn valid_iins_decode_birth_date_and_sex() {
        let cases = [
            // prefix (11 digits), birth date, sex
            ("19031560001", date(2019, 3, 15), Sex::Female),
            ("19031550001", date(2019, 3, 15), Sex::Male),
            ("85122430123", date(1985, 12, 24), Sex::Male),
            ("90010140042", date(1990, 1, 1), Sex::Female),
            ("00022950017", date(2000, 2, 29), Sex::Male),
            ("99123110777", date(1899, 12, 31), Sex::Male),
            ("01010120555", date(1801, 1, 1), Sex::Female),
        ];
        for (prefix, birth, sex) in cases {
            let text = complete(prefix);
            let iin = Iin::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(iin.as_str(), text);
            assert_eq!(iin.birth_date(), birth, "{text}");
            assert_eq!(iin.sex(), sex, "{text}");
            assert!(iin.agrees_with_birth_date(birth));
            assert!(!iin.agrees_with_birth_date(birth.succ_opt().unwrap()));
            assert_eq!(iin.ensure_birth_date(birth), Ok(()));
            assert_eq!(
                iin.ensure_birth_date(birth.pred_opt().unwrap()),
                Err(IinError::BirthDateMismatch)
            );
        }
    }

    #[test]
    fn invalid_iins_give_the_right_error() {
        let good = complete("19031560001");
        let mut bad_check = good.clone();
        let last = bad_check.pop().unwrap();
        bad_check.push(if last == '9' { '0' } else { '9' });
        let cases: Vec<(String, IinError)> = vec![
            ("".into(), IinError::Empty),
            ("   \t".into(), IinError::Empty),
            ("19031560001".into(), IinError::Length { found: 11 }),
            ("1903156000195".into(), IinError::Length { found: 13 }),
            ("1903 1560 0019".into(), IinError::NonDigit),
            ("IIN123456789011".into(), IinError::NonDigit),
            ("１９０３１５６０００１９".into(), IinError::NonDigit),
            ("19031560001a".into(), IinError::NonDigit),
            ("-19031560001".into(), IinError::NonDigit),
            // The NCA test certificates' IIN: 7th digit 7 is no century.
            ("123456789011".into(), IinError::Century { digit: 7 }),
            (complete("19031500001"), IinError::Century { digit: 0 }),
            (complete("19031590001"), IinError::Century { digit: 9 }),
            (complete("19133160001"), IinError::Date),
            (complete("19023060001"), IinError::Date),
            (complete("19022960001"), IinError::Date), // 2019 is not a leap year
            (complete("00022930001"), IinError::Date), // 1900 is not a leap year
            (complete("19000060001"), IinError::Date),
            (bad_check, IinError::Checksum),
        ];
        for (text, expected) in cases {
            assert_eq!(Iin::parse(&text), Err(expected.clone()), "{text:?}");
            assert!(expected.message_key().starts_with("err-iin-"));
        }
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let good = complete("19031560001");
        let iin = Iin::parse(&format!("  {good}\n")).unwrap();
        assert_eq!(iin.as_str(), good);
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let good = complete("19031560001");
        let iin = Iin::parse(&good).unwrap();
        let json = serde_json::to_string(&iin).unwrap();
        assert_eq!(json, format!("\"{good}\""));
        assert_eq!(serde_json::from_str::<Iin>(&json).unwrap(), iin);
        assert!(serde_json::from_str::<Iin>("\"123456789011\"").is_err());
        assert_eq!(good.parse::<Iin>().unwrap().to_string(), good);
    }

    #[test]
    fn eleventh_digit_is_invisible_to_the_first_pass() {
        // A fact of the national algorithm worth knowing: weight 11 vanishes mod 11, so a typo in
        // the 11th digit passes the check whenever the first pass decides. Agreement with the
        // typed birth date cannot catch it either; only the registry can.
        let a = complete("19031560001");
        let b = complete("19031560002");
        assert_eq!(a[11..], b[11..]);
        assert!(Iin::parse(&a).is_ok() && Iin::parse(&b).is_ok());
    }

    #[test]
    fn message_keys_are_distinct() {
        let all = [
            IinError::Empty,
            IinError::Length { found: 0 },
            IinError::NonDigit,
            IinError::Checksum,
            IinError::Century { digit: 0 },
            IinError::Date,
            IinError::BirthDateMismatch,
        ];
        let keys: std::collections::BTreeSet<_> = all.iter().map(IinError::message_key).collect();
        assert_eq!(keys.len(), all.len());
    }

    proptest! {
        /// Every 11-digit prefix either has no check digit or completes to a number whose
        /// check passes; the IIN parser then accepts it exactly when its date part is real.
        #[test]
        fn check_digit_completes_or_is_none(prefix in proptest::array::uniform11(0u8..10)) {
            if let Some(check) = iin_check_digit(&prefix) {
                prop_assert!(check <= 9);
                let mut all = prefix.to_vec();
                all.push(check);
                prop_assert!(check_digit_ok(&all));
                let text: String = all.iter().map(|d| char::from(b'0' + d)).collect();
                let structural = birth_date_and_sex(&all);
                prop_assert_eq!(Iin::parse(&text).is_ok(), structural.is_ok());
            }
        }

        /// Changing any one digit of a valid IIN is caught (by the check digit, or by the century
        /// or date rules), except where the algorithm itself is blind:
        /// - the 11th digit has weight 11 ≡ 0 (mod 11) in the first pass, so changing it is seen
        ///   only when the second pass decides;
        /// - when the original or the changed number has a first pass of 10, the second pass of
        ///   one may happen to equal the first pass of the other.
        #[test]
        fn one_changed_digit_is_caught(
            days in 0i64..80_000,
            serial in 0u16..10_000,
            female in any::<bool>(),
            position in 0usize..12,
            delta in 1u8..10,
        ) {
            let birth = date(1860, 1, 1) + chrono::Duration::days(days);
            let century_digit = match birth.year() {
                y if y < 1900 => 1,
                y if y < 2000 => 3,
                _ => 5,
            } + u8::from(female);
            let prefix = format!(
                "{:02}{:02}{:02}{}{:04}",
                birth.year() % 100, birth.month(), birth.day(), century_digit, serial
            );
            let first11: [u8; 11] = ascii_digits(&prefix).unwrap().try_into().unwrap();
            prop_assume!(iin_check_digit(&first11).is_some());
            let text = complete(&prefix);
            let iin = Iin::parse(&text).unwrap();
            prop_assert_eq!(iin.birth_date(), birth);

            let mut digits = ascii_digits(&text).unwrap();
            digits[position] = (digits[position] + delta) % 10;
            let changed: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            if Iin::parse(&changed).is_ok() && position != 10 {
                let first_pass = |digits: &[u8]| -> u16 {
                    digits[..11]
                        .iter()
                        .zip(WEIGHTS_FIRST)
                        .map(|(d, w)| u16::from(*d) * w)
                        .sum::<u16>()
                        % 11
                };
                let original = ascii_digits(&text).unwrap();
                prop_assert!(
                    first_pass(&original) == 10 || first_pass(&digits) == 10,
                    "{} → {} accepted", text, changed
                );
            }
        }
    }
}
