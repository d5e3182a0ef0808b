# Mektep: messages of the domain crate (rules of the service). English.
# Keys are stable; variables are noted next to the messages that use them.

## Identifiers: IIN

err-iin-empty = Enter the IIN.
err-iin-length = The IIN must have 12 digits.
err-iin-non-digit = The IIN may contain only digits.
err-iin-checksum = This IIN is not valid: a digit seems to be mistyped. Check it against the document.
err-iin-century = This IIN is not valid: the 7th digit must be from 1 to 6.
err-iin-date = This IIN is not valid: its first six digits are not a birth date (YYMMDD).
err-iin-birth-date-mismatch = The IIN does not match the date of birth given.

sex-male = male
sex-female = female

## Identifiers: BIN

err-bin-empty = Enter the BIN.
err-bin-length = The BIN must have 12 digits.
err-bin-non-digit = The BIN may contain only digits.
err-bin-month = This BIN is not valid: its 3rd and 4th digits must be a month (01–12).
err-bin-organization-type = This BIN is not valid: its 5th digit must be 4, 5 or 6.
err-bin-checksum = This BIN is not valid: a digit seems to be mistyped.

## Identifiers: phone

err-phone-empty = Enter a mobile phone number.
err-phone-character = A phone number may contain only digits, spaces, dashes, brackets and a leading +.
err-phone-length = The number must have 10 digits after +7, for example +7 701 234 56 78.
err-phone-country = The number must start with +7 or 8.
err-phone-not-mobile = Enter a Kazakhstan mobile number (+7 70x, 747, 75x, 76x, 77x): notifications are sent by SMS.

## Identifiers: e-mail

err-email-empty = Enter an email address.
err-email-too-long = The email address is too long.
err-email-whitespace = An email address cannot contain spaces.
err-email-at = An email address must contain exactly one @.
err-email-local-part = The part before @ must be 1 to 64 characters long.
err-email-domain = After @ there must be a domain with a dot, such as mail.kz.

## Identifiers: names

err-name-empty = Enter the name.
err-name-too-long = A name cannot be longer than 60 characters.
err-name-start = A name must start with a letter.
err-name-character = A name may contain only Kazakh, Russian or Latin letters, a hyphen, an apostrophe and spaces.
err-name-separator = A hyphen, apostrophe or space can stand only between letters, one at a time.

## Identifiers: academic year

err-academic-year-format = Write the academic year as 2026-2027.
err-academic-year-consecutive = The second year must follow the first (2026-2027).
err-academic-year-range = The academic year must start between 2000 and 2199.

## Working-day calendar

holiday-new-year = New Year
holiday-orthodox-christmas = Orthodox Christmas
holiday-womens-day = International Women's Day
holiday-nauryz = Nauryz
holiday-unity-day = Day of Unity of the People of Kazakhstan
holiday-defender-day = Defender of the Fatherland Day
holiday-victory-day = Victory Day
holiday-capital-day = Capital Day
holiday-constitution-day = Constitution Day of the Republic of Kazakhstan
holiday-republic-day = Republic Day
holiday-independence-day = Independence Day
holiday-kurban-ait = First day of Kurban Ait
holiday-transferred = Day off in lieu of a holiday that fell on a day off
holiday-decree-day-off = Day off by government decree

err-calendar-no-working-weekday = At least one day of the week must be a working day.
err-calendar-decree-conflict = The same day cannot be both an extra day off and a working day.
err-calendar-kurban-ait-year = The date of Kurban Ait must be in the year it is given for.
