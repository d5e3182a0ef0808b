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

## Coded values stored with an application

err-code-unknown = Белгісіз код.

status-draft = Жоба
status-submitted = Жіберілді
status-under_review = Қаралуда
status-returned = Түзетуге қайтарылды
status-accepted = Құжаттар қабылданды
status-refused = Бас тартылды
status-admitted = Мектепке қабылданды
status-withdrawn = Кері қайтарып алынды

citizenship-citizen = Қазақстан Республикасының азаматы
citizenship-foreigner = Шетел азаматы
citizenship-stateless = Азаматтығы жоқ адам
citizenship-refugee = Босқын
citizenship-asylum_seeker = Пана іздеуші адам
citizenship-kandas = Қандас

relation-mother = Анасы
relation-father = Әкесі
relation-guardian = Қорғаншысы (қамқоршысы)

language-kk = Қазақ тілі
language-ru = Орыс тілі
language-en = Ағылшын тілі
language-mixed = Аралас тілде

study-form-full_time = Күндізгі оқу нысаны
study-form-evening = Кешкі оқу нысаны

channel-electronic = Электрондық түрде (портал арқылы)
channel-paper = Қағаз түрінде (мектепте)

refusal-incomplete_documents = Құжаттар топтамасы толық емес
refusal-unreliable_data = Ұсынылған құжаттар немесе мәліметтер анық емес
refusal-not_eligible = Бала қабылдау шарттарына сәйкес келмейді
refusal-no_free_places = Мектепте бос орын жоқ: басқа мектепті ұсыну үшін білім бөліміне жүгініңіз
refusal-other = Басқа негіз

action-submit = Жіберу
action-start_review = Қарауды бастау
action-return_for_correction = Түзетуге қайтару
action-accept = Құжаттарды қабылдау
action-refuse = Бас тарту
action-admit = Мектепке қабылдау
action-withdraw = Кері қайтарып алу
action-resubmit = Қайта жіберу

actor-parent = Ата-ана
actor-staff = Мектеп қызметкері
actor-system = Жүйе

# $grade: the grade number.
grade-label = { $grade }-сынып
err-grade-range = Сынып 1-ден 11-ге дейін болуы керек.

## Application state machine

err-transition-final = Өтініш бойынша түпкілікті шешім қабылданған, оны енді өзгертуге болмайды.
err-transition-not-permitted = Бұл әрекетті орындауға құқығыңыз жоқ.
err-transition-wrong-status = Өтініштің қазіргі мәртебесінде бұл әрекетті орындауға болмайды.

## Campaign: windows, attachments, documents

# $opens, $closes: dates.
err-window-not-open = Өтініш қабылдау мерзімі: { $opens } – { $closes }. Қабылдау әлі басталған жоқ.
err-window-closed = Өтініш қабылдау мерзімі: { $opens } – { $closes }. Қабылдау аяқталды.

format-pdf = PDF
format-jpeg = JPEG
format-png = PNG

# $max_mb: the limit in megabytes.
err-attachment-file-too-large = Файл тым үлкен: бір файлдың ең үлкен көлемі — { $max_mb } МБ.
err-attachment-total-too-large = Файлдардың жалпы көлемі { $max_mb } МБ шегінен асып кетті. Кейбір файлдарды кішірейтіңіз немесе жойыңыз.
err-attachment-format = Бұл файл түрі қабылданбайды. PDF, JPEG немесе PNG файлын жүктеңіз.
err-attachment-empty = Файл бос.

err-document-kind = Құжат түрінің коды латынның кіші әріптерінен, цифрлардан және _ белгісінен тұруы және әріптен басталуы керек (40 таңбаға дейін).

doc-birth_certificate = Баланың туу туралы куәлігінің көшірмесі
doc-health_063u = Денсаулық жағдайы туралы анықтама (№ 063/у нысаны)
doc-health_026u3 = Баланың медициналық картасы (№ 026/у-3 нысаны)
doc-photo_3x4 = Баланың 3×4 см өлшемді екі фотосуреті
doc-pmpc_conclusion = Психологиялық-медициналық-педагогикалық консультацияның (ПМПК) қорытындысы
doc-status_document = Мәртебені растайтын құжат (тұрғылықты жері бойынша тіркелгені туралы белгісі бар)
doc-guardianship_decision = Қорғаншылық (қамқоршылық) белгілеу туралы шешім
doc-health_065u = Денсаулық жағдайы туралы анықтама (№ 065/у нысаны)
doc-health_passport_052_2u = Баланың денсаулық паспорты (№ 052-2/у нысаны)
doc-migration_card = Көші-қон карточкасы

doc-status-foreigner = Шетелдіктің Қазақстан Республикасында тұруға ықтиярхаты
doc-status-stateless = Азаматтығы жоқ адамның куәлігі
doc-status-refugee = Босқын куәлігі
doc-status-asylum_seeker = Пана іздеуші адамның куәлігі
doc-status-kandas = Қандас куәлігі

policy-first_come = Өтініш берілген уақыт кезегімен
policy-territory_first = Алдымен қызмет көрсету аумағында тұратын балалар
policy-three_plus_one = «3 + 1»: аумақтан үш бала, содан кейін аумақтан тыс бір бала

# $kind: the document kind code.
err-campaign-window-reversed = Бірінші сыныпқа қабылдау мерзімі басталмай тұрып аяқталып тұр.
err-campaign-window-after-year-start = Бірінші сыныпқа қабылдау оқу жылы басталғанға дейін (1 қыркүйек) аяқталуы керек.
err-campaign-other-grades-after-year-start = Басқа сыныптарға қабылдау оқу жылы басталғанға дейін (1 қыркүйек) аяқталуы керек.
err-campaign-other-grades-before-opening = Басқа сыныптарға қабылдау науқан ашылмай тұрып аяқталып тұр.
err-campaign-receipt-deadline = Қолхат беру мерзімі 1-ден 30 жұмыс күніне дейін болуы керек.
err-campaign-attachment-sizes = Файл көлемінің шектері оң сан болуы керек, бір файлдың шегі жалпы шектен аспауы керек.
err-campaign-no-file-formats = Кемінде бір файл түріне рұқсат беріңіз.
err-campaign-class-size = Сыныптағы оқушылар саны 1-ден 40-қа дейін болуы керек.
err-campaign-duplicate-document = «{ $kind }» құжаты тізімде екі рет көрсетілген: шарттарды біріктіріңіз.
err-campaign-document-file-counts = «{ $kind }» құжаты: кемінде бір файл, ал ең аз саны ең көп санынан аспауы керек.
err-campaign-document-title = «{ $kind }» құжатының атауы үш тілде берілуі керек.

## First-grade age rule

# $years, $months: numbers (age on 1 September); $turns_six_on: a date; $earliest_year: 2027-2028.
age-eligible = 1 қыркүйекте баланың жасы { $years } жас { $months } ай болады: бала бірінші сыныпқа қабылдана алады.
age-needs-parent-confirmation = Бала алты жасқа { $turns_six_on } күні, яғни 1 қыркүйектен кейін толады. Мұндай бала ата-анасының қалауы бойынша қабылданады: шешіміңізді растаңыз.
age-older-than-usual = 1 қыркүйекте баланың жасы { $years } жас { $months } ай болады. Бала қабылданады, мектеп бұл туралы хабардар етіледі.
age-too-young = Бала алты жасқа { $turns_six_on } күні толады, сондықтан биыл бірінші сыныпқа қабылдана алмайды. Өтінішті { $earliest_year } оқу жылына беруге болады.
age-no-rule = Екінші және одан жоғары сыныптарға қабылдауда жас шектеуі жоқ.

## Classes

err-classes-zero-size = Сыныптағы оқушылардың ең көп саны кемінде 1 болуы керек.
err-classes-too-many = Сыныптар тым көп, әріптер жетпейді: сыныптағы оқушылардың ең көп санын арттырыңыз.
