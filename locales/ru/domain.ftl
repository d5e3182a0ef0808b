# Mektep: messages of the domain crate (rules of the service). Russian.
# Keys are stable; variables are noted next to the messages that use them.

## Identifiers: IIN

err-iin-empty = Введите ИИН.
err-iin-length = ИИН должен состоять из 12 цифр.
err-iin-non-digit = ИИН должен содержать только цифры.
err-iin-checksum = ИИН неверен: похоже, одна цифра набрана с ошибкой. Сверьте с документом.
err-iin-century = ИИН неверен: седьмая цифра должна быть от 1 до 6.
err-iin-date = ИИН неверен: первые шесть цифр не являются датой рождения (ГГММДД).
err-iin-birth-date-mismatch = ИИН не соответствует указанной дате рождения.

sex-male = мужской
sex-female = женский

## Identifiers: BIN

err-bin-empty = Введите БИН.
err-bin-length = БИН должен состоять из 12 цифр.
err-bin-non-digit = БИН должен содержать только цифры.
err-bin-month = БИН неверен: третья и четвёртая цифры должны быть месяцем (01–12).
err-bin-organization-type = БИН неверен: пятая цифра должна быть 4, 5 или 6.
err-bin-checksum = БИН неверен: похоже, одна цифра набрана с ошибкой.

## Identifiers: phone

err-phone-empty = Введите номер мобильного телефона.
err-phone-character = Номер телефона может содержать только цифры, пробелы, дефисы, скобки и + в начале.
err-phone-length = После +7 в номере должно быть 10 цифр, например +7 701 234 56 78.
err-phone-country = Номер телефона должен начинаться с +7 или 8.
err-phone-not-mobile = Введите казахстанский мобильный номер (+7 70x, 747, 75x, 76x, 77x): уведомления приходят по SMS.

## Identifiers: e-mail

err-email-empty = Введите адрес электронной почты.
err-email-too-long = Адрес электронной почты слишком длинный.
err-email-whitespace = В адресе электронной почты не должно быть пробелов.
err-email-at = В адресе электронной почты должен быть ровно один знак @.
err-email-local-part = Часть адреса до @ должна содержать от 1 до 64 символов.
err-email-domain = После @ должен стоять домен с точкой, например mail.kz.

## Identifiers: names

err-name-empty = Введите имя.
err-name-too-long = Имя не может быть длиннее 60 символов.
err-name-start = Имя должно начинаться с буквы.
err-name-character = Имя может содержать только казахские, русские или латинские буквы, дефис, апостроф и пробел.
err-name-separator = Дефис, апостроф или пробел могут стоять только между буквами и только по одному.

## Identifiers: academic year

err-academic-year-format = Укажите учебный год в виде 2026-2027.
err-academic-year-consecutive = Второй год учебного года должен следовать за первым (2026-2027).
err-academic-year-range = Учебный год должен начинаться между 2000 и 2199 годом.

## Working-day calendar

holiday-new-year = Новый год
holiday-orthodox-christmas = Православное Рождество
holiday-womens-day = Международный женский день
holiday-nauryz = Наурыз мейрамы
holiday-unity-day = Праздник единства народа Казахстана
holiday-defender-day = День защитника Отечества
holiday-victory-day = День Победы
holiday-capital-day = День Столицы
holiday-constitution-day = День Конституции Республики Казахстан
holiday-republic-day = День Республики
holiday-independence-day = День Независимости
holiday-kurban-ait = Первый день Курбан айта
holiday-transferred = Выходной день, перенесённый с праздника, совпавшего с выходным
holiday-decree-day-off = Выходной день по постановлению Правительства

err-calendar-no-working-weekday = Хотя бы один день недели должен быть рабочим.
err-calendar-decree-conflict = Один и тот же день не может быть и дополнительным выходным, и рабочим.
err-calendar-kurban-ait-year = Дата Курбан айта должна относиться к указанному году.
