//! One part of a person's name (surname, given name or patronymic) as typed on a form.

use super::string_type;

const MAX_CHARS: usize = 60;

/// Why a text is not a name part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {MAX_CHARS} characters")]
    TooLong,
    #[error("name must start with a letter")]
    StartsWithNonLetter,
    #[error("name may contain only letters, a hyphen, an apostrophe and single spaces")]
    InvalidCharacter,
    #[error("a hyphen, apostrophe or space must stand between letters, one at a time")]
    Separator,
}

impl PersonNameError {
    pub fn message_key(&self) -> &'static str {
        match self {
            PersonNameError::Empty => "err-name-empty",
            PersonNameError::TooLong => "err-name-too-long",
            PersonNameError::StartsWithNonLetter => "err-name-start",
            PersonNameError::InvalidCharacter => "err-name-character",
            PersonNameError::Separator => "err-name-separator",
        }
    }
}

/// A name part: letters of the Kazakh and Russian Cyrillic alphabets (Ә Ғ Қ Ң Ө Ұ Ү Һ І Ё …),
/// of the Latin alphabet (with the letters of the 2021 Kazakh Latin alphabet: Ä Ğ Ñ Ö Ş Ū Ü
/// İ ı, for names typed from new documents), and between letters one hyphen (Мұхамед-Әли),
/// apostrophe (’ or ', as in O’Neil) or space (Абу Бакр). Trimmed, 1–60 characters.
///
/// Other scripts are refused on purpose: the name must match the state registry, which holds
/// these alphabets, and mixed-script lookalikes would slip past a human reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

fn is_name_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        // Russian Cyrillic А–я and Ё ё.
        || ('\u{0410}'..='\u{044F}').contains(&c)
        || matches!(c, 'Ё' | 'ё')
        // Kazakh Cyrillic additions.
        || matches!(
            c,
            'Ә' | 'ә' | 'Ғ' | 'ғ' | 'Қ' | 'қ' | 'Ң' | 'ң' | 'Ө' | 'ө' | 'Ұ' | 'ұ' | 'Ү' | 'ү'
                | 'Һ' | 'һ' | 'І' | 'і'
        )
        // Kazakh Latin (2021) additions.
        || matches!(
            c,
            'Ä' | 'ä' | 'Ğ' | 'ğ' | 'Ñ' | 'ñ' | 'Ö' | 'ö' | 'Ş' | 'ş' | 'Ū' | 'ū' | 'Ü' | 'ü'
                | 'İ' | 'ı'
        )
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '\'' | '’' | ' ')
}

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, PersonNameError> {
        let text = input.trim();
        let Some(first) = text.chars().next() else {
            return Err(PersonNameError::Empty);
        };
        if text.chars().count() > MAX_CHARS {
            return Err(PersonNameError::TooLong);
        }
        if !is_name_letter(first) {
            // A letter of another script is a wrong character, not a wrong start.
            return Err(if first.is_alphabetic() {
                PersonNameError::InvalidCharacter
            } else {
                PersonNameError::StartsWithNonLetter
            });
        }
        let mut previous_separator = false;
        for c in text.chars() {
            if is_name_letter(c) {
                previous_separator = false;
            } else if is_separator(c) {
                if previous_separator {
                    return Err(PersonNameError::Separator);
                }
                previous_separator = true;
            } else {
                return Err(PersonNameError::InvalidCharacter);
            }
        }
        if previous_separator {
            return Err(PersonNameError::Separator);
        }
        Ok(PersonName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_type!(PersonName, PersonNameError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted() {
        let cases = [
            "Әлихан",
            "Нұрсұлтан",
            "Ғалымжан",
            "Қасым-Жомарт",
            "Өмірзақ",
            "Ұлжан",
            "Үмітхан",
            "Һәдия",
            "Іңкәр",
            "Алёна",
            "Ёлкин",
            "Иванова",
            "Салтыков-Щедрин",
            "O'Neil",
            "D’Artagnan",
            "Абу Бакр",
            "Anna-Maria",
            "Äsel",
            "Nūrsūltan",
            "İlyas",
            "A",
        ];
        for text in cases {
            let name = PersonName::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(name.as_str(), text);
        }
        assert_eq!(
            PersonName::parse("  Айгерім \n").unwrap().as_str(),
            "Айгерім"
        );
        assert!(PersonName::parse(&"Ә".repeat(60)).is_ok());
    }

    #[test]
    fn rejected() {
        let too_long = "Ә".repeat(61);
        let cases = [
            ("", PersonNameError::Empty),
            ("   ", PersonNameError::Empty),
            (too_long.as_str(), PersonNameError::TooLong),
            ("-Анна", PersonNameError::StartsWithNonLetter),
            ("'Анна", PersonNameError::StartsWithNonLetter),
            ("1Анна", PersonNameError::StartsWithNonLetter),
            ("Анна2", PersonNameError::InvalidCharacter),
            ("Анна.", PersonNameError::InvalidCharacter),
            ("Анна_Мария", PersonNameError::InvalidCharacter),
            ("Ανδρέας", PersonNameError::InvalidCharacter),
            ("Анна\tМария", PersonNameError::InvalidCharacter),
            ("Ivan😀", PersonNameError::InvalidCharacter),
            ("Анна  Мария", PersonNameError::Separator),
            ("Анна--Мария", PersonNameError::Separator),
            ("Анна- Мария", PersonNameError::Separator),
            ("Анна-", PersonNameError::Separator),
            ("O'", PersonNameError::Separator),
        ];
        for (text, expected) in cases {
            assert_eq!(PersonName::parse(text), Err(expected.clone()), "{text:?}");
            assert!(expected.message_key().starts_with("err-name-"));
        }
    }
}
