//! Closed sets of codes stored in the database and sent over the wire: each enum maps to a
//! short stable code (`as_str`/`parse`, serde) and to a Fluent key for its label.

/// Why a stored or posted code was not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} code {code:?}")]
pub struct UnknownCode {
    /// What kind of code was expected (`"application status"`, …).
    pub what: &'static str,
    /// The code received, cut to 64 characters.
    pub code: String,
}

impl UnknownCode {
    pub(crate) fn new(what: &'static str, code: &str) -> Self {
        UnknownCode {
            what,
            code: code.chars().take(64).collect(),
        }
    }

    pub fn message_key(&self) -> &'static str {
        "err-code-unknown"
    }
}

/// Declares a fieldless enum with a stable code per variant and a label key `<prefix><code>`.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal, $prefix:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code for storage and the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The value with this code (exact, case-sensitive: codes come from our own storage).
            pub fn parse(code: &str) -> Result<Self, $crate::codes::UnknownCode> {
                match code {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::codes::UnknownCode::new($what, code)),
                }
            }

            /// Fluent key of the label shown to people.
            pub fn label_key(self) -> &'static str {
                match self {
                    $($name::$variant => concat!($prefix, $code)),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::codes::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use code_enum;

/// A variable of a Fluent message, typed so the caller can format it per locale (numbers for
/// plural rules, dates in the reader's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageArg {
    Number(i64),
    Date(chrono::NaiveDate),
    Text(String),
}
