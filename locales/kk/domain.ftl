# Mektep: messages of the domain crate (rules of the service). Kazakh.
# Keys are stable; variables are noted next to the messages that use them.

## Identifiers: IIN

err-iin-empty = ЖСН-ді енгізіңіз.
err-iin-length = ЖСН 12 цифрдан тұруы керек.
err-iin-non-digit = ЖСН тек цифрлардан тұруы керек.
err-iin-checksum = ЖСН қате: бір цифр қате терілген сияқты. Құжаттан қайта тексеріңіз.
err-iin-century = ЖСН қате: жетінші цифр 1-ден 6-ға дейін болуы керек.
err-iin-date = ЖСН қате: алғашқы алты цифр нақты туған күнді (ЖЖААКК) көрсетпейді.
err-iin-birth-date-mismatch = ЖСН көрсетілген туған күнге сәйкес келмейді.

sex-male = ер
sex-female = әйел

## Identifiers: BIN

err-bin-empty = БСН-ді енгізіңіз.
err-bin-length = БСН 12 цифрдан тұруы керек.
err-bin-non-digit = БСН тек цифрлардан тұруы керек.
err-bin-month = БСН қате: үшінші және төртінші цифрлар айды (01–12) көрсетуі керек.
err-bin-organization-type = БСН қате: бесінші цифр 4, 5 немесе 6 болуы керек.
err-bin-checksum = БСН қате: бір цифр қате терілген сияқты.

## Identifiers: phone

err-phone-empty = Ұялы телефон нөмірін енгізіңіз.
err-phone-character = Телефон нөмірінде тек цифрлар, бос орын, сызықша, жақша және басындағы + болуы мүмкін.
err-phone-length = Телефон нөмірі +7-ден кейін 10 цифрдан тұруы керек, мысалы +7 701 234 56 78.
err-phone-country = Телефон нөмірі +7 немесе 8 цифрынан басталуы керек.
err-phone-not-mobile = Қазақстандық ұялы нөмірді енгізіңіз (+7 70x, 747, 75x, 76x, 77x): хабарламалар SMS арқылы жіберіледі.

## Identifiers: e-mail

err-email-empty = Электрондық поштаны енгізіңіз.
err-email-too-long = Электрондық пошта мекенжайы тым ұзын.
err-email-whitespace = Электрондық пошта мекенжайында бос орын болмауы керек.
err-email-at = Электрондық пошта мекенжайында бір ғана @ белгісі болуы керек.
err-email-local-part = @ белгісіне дейінгі бөлік 1-ден 64 таңбаға дейін болуы керек.
err-email-domain = @ белгісінен кейін нүктесі бар домен болуы керек, мысалы mail.kz.

## Identifiers: names

err-name-empty = Атын енгізіңіз.
err-name-too-long = Аты 60 таңбадан аспауы керек.
err-name-start = Аты әріптен басталуы керек.
err-name-character = Атында тек қазақ, орыс немесе латын әріптері, сызықша, апостроф және бос орын болуы мүмкін.
err-name-separator = Сызықша, апостроф немесе бос орын әріптердің арасында бір-бірден ғана тұруы керек.

## Identifiers: academic year

err-academic-year-format = Оқу жылын 2026-2027 түрінде жазыңыз.
err-academic-year-consecutive = Оқу жылының екінші жылы біріншісінен кейін келуі керек (2026-2027).
err-academic-year-range = Оқу жылы 2000 бен 2199 жылдар аралығында басталуы керек.

## Working-day calendar

holiday-new-year = Жаңа жыл
holiday-orthodox-christmas = Православиелік Рождество
holiday-womens-day = Халықаралық әйелдер күні
holiday-nauryz = Наурыз мейрамы
holiday-unity-day = Қазақстан халқының бірлігі мерекесі
holiday-defender-day = Отан қорғаушы күні
holiday-victory-day = Жеңіс күні
holiday-capital-day = Астана күні
holiday-constitution-day = Қазақстан Республикасының Конституциясы күні
holiday-republic-day = Республика күні
holiday-independence-day = Тәуелсіздік күні
holiday-kurban-ait = Құрбан айттың бірінші күні
holiday-transferred = Мереке демалыс күніне сәйкес келгендіктен ауыстырылған демалыс күні
holiday-decree-day-off = Үкімет қаулысы бойынша демалыс күні

err-calendar-no-working-weekday = Аптаның кемінде бір күні жұмыс күні болуы керек.
err-calendar-decree-conflict = Бір күн әрі қосымша демалыс, әрі жұмыс күні бола алмайды.
err-calendar-kurban-ait-year = Құрбан айт күні көрсетілген жылға жатуы керек.
