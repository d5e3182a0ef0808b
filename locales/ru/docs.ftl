# Тексты официальных документов (расписка, мотивированный отказ, приказ). Документы печатаются
# на двух языках: сначала казахский, затем русский. Аргументы передаются готовым текстом.

docs-service-name = Приём документов для зачисления в первый класс
docs-continued = (продолжение)
docs-page = Страница { $page } из { $total }

## Проверка (QR-код)

docs-verify-heading = Проверка подлинности документа
docs-verify-hint = Отсканируйте QR-код или откройте ссылку
docs-verify-code = Код проверки
docs-footer-note = Документ сформирован в информационной системе в электронном виде.

## ЭЦП

docs-signature-heading = Электронная цифровая подпись
docs-signature = Подписано ЭЦП: { $signer }, серийный номер сертификата { $serial }, время подписания { $at }.
docs-not-signed = Документ ещё не подписан ЭЦП.

## Названия документов

docs-receipt-title = Расписка
docs-receipt-subtitle = о приёме документов
docs-refusal-title = Мотивированный отказ
docs-refusal-subtitle = в приёме документов
docs-order-title = Приказ
docs-order-subtitle = о зачислении в первый класс

## Поля

docs-field-bin = БИН
docs-field-application-number = Номер заявления
docs-field-submitted-at = Дата и время подачи заявления
docs-field-child = Фамилия, имя, отчество ребёнка
docs-field-child-iin = ИИН ребёнка
docs-field-applicant = Заявитель
docs-field-clerk = Работник, принявший документы
docs-field-refusal-clerk = Работник, принявший решение
docs-field-director = Директор
docs-field-academic-year = Учебный год
docs-field-language = Язык обучения

## Расписка

docs-section-documents = Перечень принятых документов
docs-documents-none = Документы не указаны

## Мотивированный отказ

docs-section-grounds = Основание отказа
docs-section-referral = Куда обратиться
docs-refusal-referral = В связи с отсутствием свободных мест в школе для получения места в другой школе обратитесь: { $department }.
docs-refusal-appeal = Данное решение может быть обжаловано в порядке, установленном законодательством Республики Казахстан.

## Приказ

docs-order-basis = В соответствии с Законом Республики Казахстан «Об образовании» и на основании заявлений родителей (законных представителей)
docs-order-command = ПРИКАЗЫВАЮ:
docs-order-admit = Зачислить в 1 класс с 1 сентября { $year } года следующих детей.
docs-order-class = { $class } класс
docs-order-class-total = Всего в классе
docs-order-total = Всего зачислено
docs-order-no-children = Зачисляемых детей нет.

## Ошибки

err-docs-qr-too-long = Ссылка для проверки слишком длинная для QR-кода.
err-docs-font = Не удалось сформировать документ: шрифт не загружен.
err-docs-pdf = Не удалось сформировать PDF-документ.
err-docs-xlsx = Не удалось сформировать файл Excel.
