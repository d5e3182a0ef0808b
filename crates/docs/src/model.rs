//! Plain data the documents are rendered from.
//!
//! Deliberately free of domain types: the caller has already validated IINs and BINs, chosen the
//! document number and translated catalogue titles. Dates and times are local (Kazakhstan) time,
//! as printed on the paper.

use chrono::{NaiveDate, NaiveDateTime};

/// A person's name as it appears in documents: surname, given name, patronymic (if any).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonName {
    /// Surname (тегі / фамилия).
    pub surname: String,
    /// Given name (аты / имя).
    pub given_name: String,
    /// Patronymic (әкесінің аты / отчество), absent for many people.
    pub patronymic: Option<String>,
}

impl PersonName {
    /// "Surname Given Patronymic", skipping empty parts.
    pub fn full(&self) -> String {
        [
            self.surname.as_str(),
            self.given_name.as_str(),
            self.patronymic.as_deref().unwrap_or(""),
        ]
        .iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// The school (білім беру ұйымы / организация образования) that issues the document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct School {
    /// Official name in Kazakh.
    pub name_kk: String,
    /// Official name in Russian.
    pub name_ru: String,
    /// Business identification number (БСН / БИН), 12 digits.
    pub bin: String,
}

/// The child the application is for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Child {
    /// Full name.
    pub name: PersonName,
    /// Individual identification number (ЖСН / ИИН), printed in full on the document itself.
    pub iin: String,
}

/// The EDS (ЭЦҚ / ЭЦП) signature that makes the electronic document official.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EdsSignature {
    /// Signer as named in the certificate (e.g. "ИВАНОВА АЙГҮЛ").
    pub signer: String,
    /// Certificate serial number, hex as NCALayer shows it.
    pub certificate_serial: String,
    /// When it was signed (local time).
    pub signed_at: NaiveDateTime,
}

/// Where and how anyone holding the paper can check it is genuine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verification {
    /// Public verification page; the QR code encodes exactly this.
    pub url: String,
    /// Short code to type in on the verification page.
    pub code: String,
}

/// Receipt (қолхат / расписка) that the school accepted the application's documents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptData {
    /// Receipt number.
    pub number: String,
    /// When the receipt was issued.
    pub issued_at: NaiveDateTime,
    /// Issuing school.
    pub school: School,
    /// Number of the application (өтініш / заявление) the receipt answers.
    pub application_number: String,
    /// When the application was submitted.
    pub submitted_at: NaiveDateTime,
    /// The child.
    pub child: Child,
    /// Parent or legal representative who applied.
    pub applicant: PersonName,
    /// Documents accepted, titles already translated by the caller, one entry each.
    pub documents: Vec<String>,
    /// School employee who accepted the documents.
    pub clerk: PersonName,
    /// The clerk's EDS signature; `None` renders an "not signed" note (a preview).
    pub signature: Option<EdsSignature>,
    /// QR target and code.
    pub verification: Verification,
}

/// Reasoned refusal (дәлелді бас тарту / мотивированный отказ) to accept the documents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefusalData {
    /// Refusal number.
    pub number: String,
    /// When the refusal was issued.
    pub issued_at: NaiveDateTime,
    /// Issuing school.
    pub school: School,
    /// Number of the refused application.
    pub application_number: String,
    /// When the application was submitted.
    pub submitted_at: NaiveDateTime,
    /// The child.
    pub child: Child,
    /// Parent or legal representative who applied.
    pub applicant: PersonName,
    /// The grounds of refusal, as the clerk wrote or chose them (may contain line breaks).
    pub grounds: String,
    /// When there were no free places: the education department (name, address, phone) the
    /// parent is referred to for a place in another school.
    pub referral_department: Option<String>,
    /// School employee who refused.
    pub clerk: PersonName,
    /// The clerk's EDS signature; `None` renders an "not signed" note.
    pub signature: Option<EdsSignature>,
    /// QR target and code.
    pub verification: Verification,
}

/// One first-grade class in the admission order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderClass {
    /// Class name as the school writes it, e.g. "1 «А»".
    pub name: String,
    /// Language of instruction, already translated, e.g. "қазақ тілі / казахский язык".
    pub language: String,
    /// Children admitted to the class, in the order they are to be listed.
    pub children: Vec<PersonName>,
}

/// Admission order (бұйрық / приказ) on admitting children to the first grade.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdmissionOrderData {
    /// Order number.
    pub number: String,
    /// Date of the order.
    pub date: NaiveDate,
    /// Issuing school.
    pub school: School,
    /// Calendar year the academic year starts in: admission is from 1 September of it, and the
    /// academic year printed is `year`–`year + 1`.
    pub academic_year_start: i32,
    /// Classes with their children.
    pub classes: Vec<OrderClass>,
    /// The director who signs the order.
    pub director: PersonName,
    /// The director's EDS signature; `None` renders an "not signed" note (a draft).
    pub signature: Option<EdsSignature>,
    /// QR target and code.
    pub verification: Verification,
}
