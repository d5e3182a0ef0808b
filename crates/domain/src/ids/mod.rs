//! Identifiers and personal data that arrive as text from parents, staff and certificates.
//!
//! Each type here is "parsed, not validated": a value of the type is proof that the text passed
//! every rule, so the rest of the system never re-checks it. Every type:
//! - has `parse(&str) -> Result<Self, XError>` (surrounding whitespace is trimmed),
//! - gives its canonical text back through `as_str()` and `Display`,
//! - implements `FromStr` and `TryFrom<String>`/`TryFrom<&str>`,
//! - serializes as that canonical string and deserializes by parsing (so bad stored or posted
//!   data is rejected at the boundary).
//!
//! Every error enum has `message_key()`: a stable Fluent key whose text lives in
//! `locales/{kk,ru,en}/domain.ftl`.

mod academic_year;
mod bin;
mod email;
mod iin;
mod person_name;
mod phone;

pub use academic_year::{AcademicYear, AcademicYearError};
pub use bin::{Bin, BinError};
pub use email::{Email, EmailError};
pub use iin::{Iin, IinError, Sex, iin_check_digit};
pub use person_name::{PersonName, PersonNameError};
pub use phone::{Phone, PhoneError};

/// Implements the string-facing traits shared by every identifier type: `Display`, `FromStr`,
/// `TryFrom<String>`, `TryFrom<&str>`, `From<T> for String`, `AsRef<str>` and serde as a string.
/// The type must have `fn parse(&str) -> Result<Self, $err>` and `fn as_str(&self) -> &str`.
macro_rules! string_type {
    ($ty:ty, $err:ty) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::std::convert::TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl ::std::convert::TryFrom<&str> for $ty {
            type Error = $err;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl ::std::convert::From<$ty> for String {
            fn from(v: $ty) -> String {
                v.as_str().to_owned()
            }
        }

        impl ::std::convert::AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&text).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_type;

/// Digits of `text` if it is exactly ASCII digits, for the digit-based identifiers.
fn ascii_digits(text: &str) -> Option<Vec<u8>> {
    text.bytes()
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect()
}
