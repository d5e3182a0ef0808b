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

## Coded values stored with an application

err-code-unknown = Unknown code.

status-draft = Draft
status-submitted = Submitted
status-under_review = Under review
status-returned = Returned for correction
status-accepted = Documents accepted
status-refused = Refused
status-admitted = Admitted to school
status-withdrawn = Withdrawn

citizenship-citizen = Citizen of the Republic of Kazakhstan
citizenship-foreigner = Foreign citizen
citizenship-stateless = Stateless person
citizenship-refugee = Refugee
citizenship-asylum_seeker = Asylum seeker
citizenship-kandas = Kandas

relation-mother = Mother
relation-father = Father
relation-guardian = Guardian (trustee)

language-kk = Kazakh
language-ru = Russian
language-en = English
language-mixed = Mixed

study-form-full_time = Full-time (day)
study-form-evening = Evening

channel-electronic = Online (through the portal)
channel-paper = On paper (at the school)

refusal-incomplete_documents = The set of documents is incomplete
refusal-unreliable_data = The documents or information given are not reliable
refusal-not_eligible = The child does not meet the conditions of admission
refusal-no_free_places = The school has no free places: the education department will offer another school
refusal-other = Other ground

action-submit = Submit
action-start_review = Start review
action-return_for_correction = Return for correction
action-accept = Accept documents
action-refuse = Refuse
action-admit = Admit
action-withdraw = Withdraw
action-resubmit = Resubmit

actor-parent = Parent
actor-staff = School staff
actor-system = System

# $grade: the grade number.
grade-label = Grade { $grade }
err-grade-range = The grade must be from 1 to 11.

## Application state machine

err-transition-final = A final decision has been made on this application; it can no longer change.
err-transition-not-permitted = You are not allowed to do this.
err-transition-wrong-status = This cannot be done while the application has its current status.

## Campaign: windows, attachments, documents

# $opens, $closes: dates.
err-window-not-open = Applications are accepted from { $opens } to { $closes }. The window has not opened yet.
err-window-closed = Applications were accepted from { $opens } to { $closes }. The window has closed.

format-pdf = PDF
format-jpeg = JPEG
format-png = PNG

# $max_mb: the limit in megabytes.
err-attachment-file-too-large = The file is too large: one file can be at most { $max_mb } MB.
err-attachment-total-too-large = The files together exceed { $max_mb } MB. Make some files smaller or remove them.
err-attachment-format = This type of file is not accepted. Upload a PDF, JPEG or PNG file.
err-attachment-empty = The file is empty.

err-document-kind = A document kind code must be lowercase Latin letters, digits and _, starting with a letter (up to 40 characters).

doc-birth_certificate = Copy of the child's birth certificate
doc-health_063u = Health certificate (form No. 063/u)
doc-health_026u3 = Child's medical record (form No. 026/u-3)
doc-photo_3x4 = Two photographs of the child, 3×4 cm
doc-pmpc_conclusion = Conclusion of the psychological-medical-pedagogical consultation (PMPC)
doc-status_document = Document confirming status (with the mark of registration at the place of residence)
doc-guardianship_decision = Decision establishing guardianship (trusteeship)
doc-health_065u = Health certificate (form No. 065/u)
doc-health_passport_052_2u = Child's health passport (form No. 052-2/u)
doc-migration_card = Migration card

doc-status-foreigner = Foreigner's residence permit in the Republic of Kazakhstan
doc-status-stateless = Stateless person's identity certificate
doc-status-refugee = Refugee certificate
doc-status-asylum_seeker = Asylum seeker's certificate
doc-status-kandas = Kandas certificate

policy-first_come = In order of application time
policy-territory_first = Children living in the service territory first
policy-three_plus_one = "3 + 1": three children from the territory, then one from outside

# $kind: the document kind code.
err-campaign-window-reversed = The first-grade window closes before it opens.
err-campaign-window-after-year-start = First-grade applications must close before the academic year starts (1 September).
err-campaign-other-grades-after-year-start = Applications for other grades must close before the academic year starts (1 September).
err-campaign-other-grades-before-opening = Applications for other grades close before the campaign opens.
err-campaign-receipt-deadline = The receipt deadline must be 1 to 30 working days.
err-campaign-attachment-sizes = File size limits must be positive, and the limit for one file not above the total.
err-campaign-no-file-formats = Allow at least one file type.
err-campaign-class-size = Class size must be 1 to 40.
err-campaign-duplicate-document = Document "{ $kind }" is listed twice: combine its conditions.
err-campaign-document-file-counts = Document "{ $kind }": at least one file, and the minimum not above the maximum.
err-campaign-document-title = Document "{ $kind }" needs a title in all three languages.

## First-grade age rule

# $years, $months: numbers (age on 1 September); $turns_six_on: a date; $earliest_year: 2027-2028.
age-eligible = On 1 September the child will be { $years } { $years ->
        [one] year
       *[other] years
    } { $months } { $months ->
        [one] month
       *[other] months
    } old: the child can enter first grade.
age-needs-parent-confirmation = The child turns six on { $turns_six_on }, after 1 September. Such a child is admitted if the parents wish: please confirm your decision.
age-older-than-usual = On 1 September the child will be { $years } { $years ->
        [one] year
       *[other] years
    } { $months } { $months ->
        [one] month
       *[other] months
    } old. The child will be admitted, and the school will be told.
age-too-young = The child turns six on { $turns_six_on }, so cannot enter first grade this year. You can apply for the { $earliest_year } academic year.
age-no-rule = There is no age rule for second grade and above.

## Classes

err-classes-zero-size = Class size must be at least 1.
err-classes-too-many = Too many classes, not enough letters: raise the class size.
