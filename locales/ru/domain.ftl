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

## Coded values stored with an application

err-code-unknown = Неизвестный код.

status-draft = Черновик
status-submitted = Подано
status-under_review = На рассмотрении
status-returned = Возвращено на доработку
status-accepted = Документы приняты
status-refused = Отказано
status-admitted = Зачислен в школу
status-withdrawn = Отозвано

citizenship-citizen = Гражданин Республики Казахстан
citizenship-foreigner = Иностранный гражданин
citizenship-stateless = Лицо без гражданства
citizenship-refugee = Беженец
citizenship-asylum_seeker = Лицо, ищущее убежище
citizenship-kandas = Кандас

relation-mother = Мать
relation-father = Отец
relation-guardian = Опекун (попечитель)

language-kk = Казахский язык
language-ru = Русский язык
language-en = Английский язык
language-mixed = Смешанный

study-form-full_time = Очная форма обучения
study-form-evening = Вечерняя форма обучения

channel-electronic = Электронно (через портал)
channel-paper = На бумаге (в школе)

refusal-incomplete_documents = Представлен неполный пакет документов
refusal-unreliable_data = Представленные документы или сведения недостоверны
refusal-not_eligible = Ребёнок не соответствует условиям приёма
refusal-no_free_places = В школе нет свободных мест: обратитесь в отдел образования, где предложат другую школу
refusal-other = Иное основание

action-submit = Подать
action-start_review = Начать рассмотрение
action-return_for_correction = Вернуть на доработку
action-accept = Принять документы
action-refuse = Отказать
action-admit = Зачислить
action-withdraw = Отозвать
action-resubmit = Подать повторно

actor-parent = Родитель
actor-staff = Сотрудник школы
actor-system = Система

# $grade: the grade number.
grade-label = { $grade } класс
err-grade-range = Класс должен быть от 1 до 11.

## Application state machine

err-transition-final = По заявлению принято окончательное решение, изменить его уже нельзя.
err-transition-not-permitted = У вас нет права на это действие.
err-transition-wrong-status = В текущем статусе заявления это действие невозможно.

## Campaign: windows, attachments, documents

# $opens, $closes: dates.
err-window-not-open = Срок приёма заявлений: { $opens } – { $closes }. Приём ещё не начался.
err-window-closed = Срок приёма заявлений: { $opens } – { $closes }. Приём завершён.

format-pdf = PDF
format-jpeg = JPEG
format-png = PNG

# $max_mb: the limit in megabytes.
err-attachment-file-too-large = Файл слишком большой: размер одного файла — не более { $max_mb } МБ.
err-attachment-total-too-large = Общий размер файлов превышает { $max_mb } МБ. Уменьшите или удалите часть файлов.
err-attachment-format = Этот тип файла не принимается. Загрузите файл PDF, JPEG или PNG.
err-attachment-empty = Файл пустой.

err-document-kind = Код вида документа должен состоять из строчных латинских букв, цифр и знака _ и начинаться с буквы (до 40 символов).

doc-birth_certificate = Копия свидетельства о рождении ребёнка
doc-health_063u = Медицинская справка (форма № 063/у)
doc-health_026u3 = Медицинская карта ребёнка (форма № 026/у-3)
doc-photo_3x4 = Две фотографии ребёнка размером 3×4 см
doc-pmpc_conclusion = Заключение психолого-медико-педагогической консультации (ПМПК)
doc-status_document = Документ, подтверждающий статус (с отметкой о регистрации по месту жительства)
doc-guardianship_decision = Решение об установлении опеки (попечительства)
doc-health_065u = Медицинская справка (форма № 065/у)
doc-health_passport_052_2u = Паспорт здоровья ребёнка (форма № 052-2/у)
doc-migration_card = Миграционная карточка

doc-status-foreigner = Вид на жительство иностранца в Республике Казахстан
doc-status-stateless = Удостоверение лица без гражданства
doc-status-refugee = Удостоверение беженца
doc-status-asylum_seeker = Свидетельство лица, ищущего убежище
doc-status-kandas = Удостоверение кандаса

policy-first_come = В порядке очереди подачи заявлений
policy-territory_first = Сначала дети, проживающие на территории обслуживания
policy-three_plus_one = «3 + 1»: трое детей с территории, затем один ребёнок вне территории

# $kind: the document kind code.
err-campaign-window-reversed = Срок приёма в первый класс заканчивается раньше, чем начинается.
err-campaign-window-after-year-start = Приём в первый класс должен завершиться до начала учебного года (1 сентября).
err-campaign-other-grades-after-year-start = Приём в другие классы должен завершиться до начала учебного года (1 сентября).
err-campaign-other-grades-before-opening = Приём в другие классы заканчивается раньше открытия кампании.
err-campaign-receipt-deadline = Срок выдачи расписки должен быть от 1 до 30 рабочих дней.
err-campaign-attachment-sizes = Ограничения размера файлов должны быть положительными, а ограничение одного файла — не больше общего.
err-campaign-no-file-formats = Разрешите хотя бы один тип файлов.
err-campaign-class-size = Наполняемость класса должна быть от 1 до 40.
err-campaign-duplicate-document = Документ «{ $kind }» указан в списке дважды: объедините условия.
err-campaign-document-file-counts = Документ «{ $kind }»: нужен хотя бы один файл, а минимум не может быть больше максимума.
err-campaign-document-title = Для документа «{ $kind }» нужно указать название на трёх языках.

## First-grade age rule

# $years, $months: numbers (age on 1 September); $turns_six_on: a date; $earliest_year: 2027-2028.
age-eligible = На 1 сентября ребёнку будет { $years } { $years ->
        [one] год
        [few] года
       *[many] лет
    } { $months } { $months ->
        [one] месяц
        [few] месяца
       *[many] месяцев
    }: ребёнок может поступить в первый класс.
age-needs-parent-confirmation = Шесть лет ребёнку исполнится { $turns_six_on }, то есть после 1 сентября. Такой ребёнок принимается по желанию родителей: подтвердите своё решение.
age-older-than-usual = На 1 сентября ребёнку будет { $years } { $years ->
        [one] год
        [few] года
       *[many] лет
    } { $months } { $months ->
        [one] месяц
        [few] месяца
       *[many] месяцев
    }. Ребёнок будет принят, школа будет об этом уведомлена.
age-too-young = Шесть лет ребёнку исполнится { $turns_six_on }, поэтому в этом году он не может поступить в первый класс. Заявление можно подать на { $earliest_year } учебный год.
age-no-rule = Для приёма во второй и последующие классы возрастных ограничений нет.

## Classes

err-classes-zero-size = Наполняемость класса должна быть не меньше 1.
err-classes-too-many = Слишком много классов, не хватает букв: увеличьте наполняемость класса.
