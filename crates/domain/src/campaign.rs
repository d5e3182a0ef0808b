//! An admission campaign (қабылдау науқаны / приёмная кампания) of a city for one academic
//! year: the windows for applications, the receipt deadline, attachment limits, which documents
//! are required of whom, and how places are allocated.
//!
//! The service standard in `seed/` gives the defaults ([`Campaign::standard_defaults`]); the
//! rules of the 2024–2026 campaigns are one configuration away ([`Campaign::current_practice`]).
//! A campaign is data the city's administrator edits, so it is serde and checked by
//! [`Campaign::validate`] before use.

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::allocation::AllocationPolicy;
use crate::application::{Citizenship, Grade, Relation};
use crate::codes::{MessageArg, code_enum};
use crate::ids::AcademicYear;

const MIB: u64 = 1024 * 1024;
/// Longest receipt deadline a campaign may set; the standard's is 5.
pub const MAX_RECEIPT_DEADLINE_WORKING_DAYS: u32 = 30;
/// Largest class a campaign may set (the sanitary rules allow 25 in primary school; crowded
/// city schools run larger classes by exception).
pub const MAX_CLASS_SIZE: u32 = 40;

/// An inclusive range of dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateWindow {
    pub opens: NaiveDate,
    pub closes: NaiveDate,
}

impl DateWindow {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.opens <= date && date <= self.closes
    }

    /// `Ok` if `date` is inside, else whether it is too early or too late.
    pub fn check(&self, date: NaiveDate) -> Result<(), WindowError> {
        let (opens, closes) = (self.opens, self.closes);
        if date < opens {
            Err(WindowError::NotYetOpen { opens, closes })
        } else if date > closes {
            Err(WindowError::Closed { opens, closes })
        } else {
            Ok(())
        }
    }
}

/// Applications are not taken on this date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("applications are taken from {opens} to {closes}: not yet open")]
    NotYetOpen { opens: NaiveDate, closes: NaiveDate },
    #[error("applications were taken from {opens} to {closes}: closed")]
    Closed { opens: NaiveDate, closes: NaiveDate },
}

impl WindowError {
    pub fn opens(&self) -> NaiveDate {
        match self {
            WindowError::NotYetOpen { opens, .. } | WindowError::Closed { opens, .. } => *opens,
        }
    }

    pub fn closes(&self) -> NaiveDate {
        match self {
            WindowError::NotYetOpen { closes, .. } | WindowError::Closed { closes, .. } => *closes,
        }
    }

    /// Fluent key; the message takes `$opens` and `$closes` (see [`WindowError::message_args`]).
    pub fn message_key(&self) -> &'static str {
        match self {
            WindowError::NotYetOpen { .. } => "err-window-not-open",
            WindowError::Closed { .. } => "err-window-closed",
        }
    }

    /// `opens` and `closes`, dates for the caller to format per locale.
    pub fn message_args(&self) -> Vec<(&'static str, MessageArg)> {
        vec![
            ("opens", MessageArg::Date(self.opens())),
            ("closes", MessageArg::Date(self.closes())),
        ]
    }
}

code_enum! {
    /// File formats a parent may upload.
    pub enum FileFormat ("file format", "format-") {
        Pdf = "pdf",
        Jpeg = "jpeg",
        Png = "png",
    }
}

impl FileFormat {
    pub fn mime_type(self) -> &'static str {
        match self {
            FileFormat::Pdf => "application/pdf",
            FileFormat::Jpeg => "image/jpeg",
            FileFormat::Png => "image/png",
        }
    }

    /// The format by the file's first bytes (its signature), never by the name a browser sent.
    pub fn sniff(content: &[u8]) -> Option<FileFormat> {
        if content.starts_with(b"%PDF-") {
            Some(FileFormat::Pdf)
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileFormat::Jpeg)
        } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileFormat::Png)
        } else {
            None
        }
    }
}

/// Limits on what a parent uploads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentLimits {
    pub max_file_bytes: u64,
    /// For all files of one application together.
    pub max_total_bytes: u64,
    pub allowed: Vec<FileFormat>,
}

impl Default for AttachmentLimits {
    /// 5 MiB a file, 20 MiB in all (the standard sets no limit; these keep a phone's photos of
    /// every document within reach), PDF, JPEG or PNG.
    fn default() -> Self {
        AttachmentLimits {
            max_file_bytes: 5 * MIB,
            max_total_bytes: 20 * MIB,
            allowed: vec![FileFormat::Pdf, FileFormat::Jpeg, FileFormat::Png],
        }
    }
}

/// Why an upload is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("file is larger than {max_bytes} bytes")]
    FileTooLarge { max_bytes: u64 },
    #[error("files together are larger than {max_bytes} bytes")]
    TotalTooLarge { max_bytes: u64 },
    #[error("file format is not accepted")]
    FormatNotAllowed,
    #[error("file is empty")]
    Empty,
}

impl AttachmentError {
    /// Fluent key; size messages take `$max_mb` (see [`AttachmentError::message_args`]).
    pub fn message_key(&self) -> &'static str {
        match self {
            AttachmentError::FileTooLarge { .. } => "err-attachment-file-too-large",
            AttachmentError::TotalTooLarge { .. } => "err-attachment-total-too-large",
            AttachmentError::FormatNotAllowed => "err-attachment-format",
            AttachmentError::Empty => "err-attachment-empty",
        }
    }

    /// `max_mb`: the limit in MiB as text (`5`, or `4.5` when not whole).
    pub fn message_args(&self) -> Vec<(&'static str, MessageArg)> {
        match self {
            AttachmentError::FileTooLarge { max_bytes }
            | AttachmentError::TotalTooLarge { max_bytes } => {
                // Exact enough for a message: tenths of a MiB.
                let tenths = max_bytes.saturating_mul(10) / MIB;
                let text = if tenths.is_multiple_of(10) {
                    (tenths / 10).to_string()
                } else {
                    format!("{}.{}", tenths / 10, tenths % 10)
                };
                vec![("max_mb", MessageArg::Text(text))]
            }
            _ => Vec::new(),
        }
    }
}

impl AttachmentLimits {
    /// Checks one new file of `size` bytes and `content` signature, given the bytes already
    /// attached to the application.
    pub fn check_upload(
        &self,
        content_start: &[u8],
        size: u64,
        already_attached: u64,
    ) -> Result<FileFormat, AttachmentError> {
        if size == 0 {
            return Err(AttachmentError::Empty);
        }
        let format = FileFormat::sniff(content_start)
            .filter(|f| self.allowed.contains(f))
            .ok_or(AttachmentError::FormatNotAllowed)?;
        if size > self.max_file_bytes {
            return Err(AttachmentError::FileTooLarge {
                max_bytes: self.max_file_bytes,
            });
        }
        if already_attached.saturating_add(size) > self.max_total_bytes {
            return Err(AttachmentError::TotalTooLarge {
                max_bytes: self.max_total_bytes,
            });
        }
        Ok(format)
    }
}

/// A kind of document, as an open code (`health_063u`, …): the standard's kinds are constants,
/// and a campaign may add its own (with a title in [`DocumentRequirement::title`]).
/// A code is 1–40 characters of `a-z`, `0-9` and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentKind(Cow<'static, str>);

/// Why a text is not a document kind code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document kind must be 1–40 characters of a-z, 0-9 and _, starting with a letter")]
pub struct DocumentKindError;

impl DocumentKindError {
    pub fn message_key(&self) -> &'static str {
        "err-document-kind"
    }
}

impl DocumentKind {
    /// Copy of the birth certificate (only for births before 2008 or abroad).
    pub const BIRTH_CERTIFICATE: DocumentKind = DocumentKind(Cow::Borrowed("birth_certificate"));
    /// Health certificate, form 063/u.
    pub const HEALTH_063U: DocumentKind = DocumentKind(Cow::Borrowed("health_063u"));
    /// Health record, form 026/u-3.
    pub const HEALTH_026U3: DocumentKind = DocumentKind(Cow::Borrowed("health_026u3"));
    /// Two photographs 3×4 cm.
    pub const PHOTO_3X4: DocumentKind = DocumentKind(Cow::Borrowed("photo_3x4"));
    /// Conclusion of the psychological-medical-pedagogical consultation (ПМПК).
    pub const PMPC_CONCLUSION: DocumentKind = DocumentKind(Cow::Borrowed("pmpc_conclusion"));
    /// Status document of a non-citizen, with the registration mark.
    pub const STATUS_DOCUMENT: DocumentKind = DocumentKind(Cow::Borrowed("status_document"));
    /// Decision on guardianship (қамқоршылық / опека).
    pub const GUARDIANSHIP_DECISION: DocumentKind =
        DocumentKind(Cow::Borrowed("guardianship_decision"));
    /// Health certificate, form 065/u (later rules).
    pub const HEALTH_065U: DocumentKind = DocumentKind(Cow::Borrowed("health_065u"));
    /// Child's health passport, form 052-2/u (later rules).
    pub const HEALTH_PASSPORT_052_2U: DocumentKind =
        DocumentKind(Cow::Borrowed("health_passport_052_2u"));
    /// Migration card of a non-resident (later rules).
    pub const MIGRATION_CARD: DocumentKind = DocumentKind(Cow::Borrowed("migration_card"));

    /// Every kind this crate knows, with a title in `domain.ftl`.
    pub const KNOWN: [DocumentKind; 10] = [
        Self::BIRTH_CERTIFICATE,
        Self::HEALTH_063U,
        Self::HEALTH_026U3,
        Self::PHOTO_3X4,
        Self::PMPC_CONCLUSION,
        Self::STATUS_DOCUMENT,
        Self::GUARDIANSHIP_DECISION,
        Self::HEALTH_065U,
        Self::HEALTH_PASSPORT_052_2U,
        Self::MIGRATION_CARD,
    ];

    pub fn parse(code: &str) -> Result<Self, DocumentKindError> {
        let code = code.trim();
        let ok = (1..=40).contains(&code.len())
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(DocumentKindError);
        }
        Ok(Self::KNOWN
            .into_iter()
            .find(|k| k.as_str() == code)
            .unwrap_or_else(|| DocumentKind(Cow::Owned(code.to_owned()))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Fluent key of the title (`doc-health_063u`) for the known kinds; custom kinds carry
    /// their title in the requirement.
    pub fn title_key(&self) -> Option<&'static str> {
        Some(match self.as_str() {
            "birth_certificate" => "doc-birth_certificate",
            "health_063u" => "doc-health_063u",
            "health_026u3" => "doc-health_026u3",
            "photo_3x4" => "doc-photo_3x4",
            "pmpc_conclusion" => "doc-pmpc_conclusion",
            "status_document" => "doc-status_document",
            "guardianship_decision" => "doc-guardianship_decision",
            "health_065u" => "doc-health_065u",
            "health_passport_052_2u" => "doc-health_passport_052_2u",
            "migration_card" => "doc-migration_card",
            _ => return None,
        })
    }
}

crate::ids::string_type!(DocumentKind, DocumentKindError);

/// Title of the status document a non-citizen presents, by status (the standard's list):
/// residence permit, stateless person's certificate, refugee's or asylum seeker's certificate,
/// kandas certificate.
pub fn status_document_title_key(citizenship: Citizenship) -> Option<&'static str> {
    match citizenship {
        Citizenship::Citizen => None,
        Citizenship::Foreigner => Some("doc-status-foreigner"),
        Citizenship::Stateless => Some("doc-status-stateless"),
        Citizenship::Refugee => Some("doc-status-refugee"),
        Citizenship::AsylumSeeker => Some("doc-status-asylum_seeker"),
        Citizenship::Kandas => Some("doc-status-kandas"),
    }
}

/// A title in the three languages, for document kinds a campaign adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

/// When a document is required. Serialized in snake case: `"always"`,
/// `{"born_before": "2008-01-01"}`, `{"any": ["born_abroad", …]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementCondition {
    Always,
    /// The child was born before this date (births from 2008 are in the registry by IIN).
    BornBefore(NaiveDate),
    BornAbroad,
    /// Any status but citizen (foreigner, stateless, refugee, asylum seeker, kandas).
    NotCitizen,
    /// The child needs special educational conditions.
    SpecialNeeds,
    /// The applicant is the child's guardian.
    Guardian,
    /// The child is a non-citizen without residence in Kazakhstan (holds a migration card).
    NonResident,
    /// Any of these holds.
    Any(Vec<RequirementCondition>),
}

impl RequirementCondition {
    pub fn holds_for(&self, facts: &ApplicantFacts) -> bool {
        match self {
            RequirementCondition::Always => true,
            RequirementCondition::BornBefore(date) => facts.child_birth_date < *date,
            RequirementCondition::BornAbroad => facts.born_abroad,
            RequirementCondition::NotCitizen => !facts.citizenship.is_citizen(),
            RequirementCondition::SpecialNeeds => facts.special_needs,
            RequirementCondition::Guardian => facts.relation == Relation::Guardian,
            RequirementCondition::NonResident => !facts.resident && !facts.citizenship.is_citizen(),
            RequirementCondition::Any(conditions) => conditions.iter().any(|c| c.holds_for(facts)),
        }
    }
}

/// A document the campaign requires, how many files it takes, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRequirement {
    pub kind: DocumentKind,
    pub min_files: u8,
    pub max_files: u8,
    pub condition: RequirementCondition,
    /// Title for a kind this crate does not know; known kinds use [`DocumentKind::title_key`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<LocalizedText>,
}

impl DocumentRequirement {
    pub fn new(
        kind: DocumentKind,
        min_files: u8,
        max_files: u8,
        condition: RequirementCondition,
    ) -> Self {
        DocumentRequirement {
            kind,
            min_files,
            max_files,
            condition,
            title: None,
        }
    }
}

/// What the application form tells about the child and the applicant, enough to decide which
/// documents are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantFacts {
    pub child_birth_date: NaiveDate,
    pub born_abroad: bool,
    pub citizenship: Citizenship,
    pub special_needs: bool,
    pub relation: Relation,
    /// Lives in Kazakhstan permanently (citizen, or a residence permit).
    pub resident: bool,
}

/// The requirements of `campaign` that apply to this applicant, in the campaign's order.
/// The school may not demand anything beyond this list.
pub fn required_documents<'a>(
    campaign: &'a Campaign,
    facts: &ApplicantFacts,
) -> Vec<&'a DocumentRequirement> {
    campaign
        .document_requirements
        .iter()
        .filter(|r| r.condition.holds_for(facts))
        .collect()
}

/// The birth-date boundary of the standard: births from 2008 are in the registry by IIN.
fn registry_births_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2008, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The documents of the service standard (DOMAIN.md §3).
pub fn standard_documents() -> Vec<DocumentRequirement> {
    use RequirementCondition as C;
    vec![
        DocumentRequirement::new(
            DocumentKind::BIRTH_CERTIFICATE,
            1,
            2,
            C::Any(vec![C::BornBefore(registry_births_from()), C::BornAbroad]),
        ),
        DocumentRequirement::new(DocumentKind::HEALTH_063U, 1, 3, C::Always),
        DocumentRequirement::new(DocumentKind::HEALTH_026U3, 1, 5, C::Always),
        DocumentRequirement::new(DocumentKind::PMPC_CONCLUSION, 1, 3, C::SpecialNeeds),
        DocumentRequirement::new(DocumentKind::PHOTO_3X4, 2, 2, C::Always),
        DocumentRequirement::new(DocumentKind::STATUS_DOCUMENT, 1, 2, C::NotCitizen),
        DocumentRequirement::new(DocumentKind::GUARDIANSHIP_DECISION, 1, 3, C::Guardian),
    ]
}

/// The documents of the 2024–2026 campaigns: 065/u and the health passport 052-2/u instead of
/// 063/u and 026/u-3, and a migration card for non-residents.
pub fn current_practice_documents() -> Vec<DocumentRequirement> {
    use RequirementCondition as C;
    let mut documents = standard_documents();
    documents
        .retain(|r| r.kind != DocumentKind::HEALTH_063U && r.kind != DocumentKind::HEALTH_026U3);
    documents.insert(
        1,
        DocumentRequirement::new(DocumentKind::HEALTH_065U, 1, 3, C::Always),
    );
    documents.insert(
        2,
        DocumentRequirement::new(DocumentKind::HEALTH_PASSPORT_052_2U, 1, 10, C::Always),
    );
    documents.push(DocumentRequirement::new(
        DocumentKind::MIGRATION_CARD,
        1,
        2,
        C::NonResident,
    ));
    documents
}

/// A campaign's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub academic_year: AcademicYear,
    /// First-grade applications, inclusive (standard: 1 June – 30 August).
    pub first_grade_window: DateWindow,
    /// Last day for other grades, full-time and evening (standard: 30 August). Other grades
    /// open together with the first-grade window.
    pub other_grades_until: NaiveDate,
    /// The receipt is due within this many working days (standard: 5).
    pub receipt_deadline_working_days: u32,
    pub attachments: AttachmentLimits,
    pub document_requirements: Vec<DocumentRequirement>,
    pub allocation_policy: AllocationPolicy,
    pub class_size_max: u32,
    /// At most one active application per child in the whole system (current practice); the
    /// store enforces it, this flag says whether to.
    #[serde(default)]
    pub one_application_per_child: bool,
}

fn in_year(year: &AcademicYear, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.start_year(), month, day).unwrap_or(NaiveDate::MIN)
}

impl Campaign {
    /// The service standard's campaign: first grade 1 June – 30 August, other grades until
    /// 30 August, receipt in 5 working days, the standard's documents, territory first.
    ///
    /// `TerritoryFirst` rather than "3 + 1": the standard itself is silent on allocation, the
    /// law it rests on gives children of the service territory priority, and "3 + 1" is a later
    /// practice that [`Campaign::current_practice`] selects.
    pub fn standard_defaults(academic_year: AcademicYear) -> Self {
        Campaign {
            academic_year,
            first_grade_window: DateWindow {
                opens: in_year(&academic_year, 6, 1),
                closes: in_year(&academic_year, 8, 30),
            },
            other_grades_until: in_year(&academic_year, 8, 30),
            receipt_deadline_working_days: 5,
            attachments: AttachmentLimits::default(),
            document_requirements: standard_documents(),
            allocation_policy: AllocationPolicy::TerritoryFirst,
            class_size_max: 25,
            one_application_per_child: false,
        }
    }

    /// The 2024–2026 practice: first grade 1 April – 31 August, 5 MiB of attachments in all,
    /// "3 + 1", the later document list, one application per child.
    pub fn current_practice(academic_year: AcademicYear) -> Self {
        Campaign {
            first_grade_window: DateWindow {
                opens: in_year(&academic_year, 4, 1),
                closes: in_year(&academic_year, 8, 31),
            },
            attachments: AttachmentLimits {
                max_file_bytes: 5 * MIB,
                max_total_bytes: 5 * MIB,
                ..AttachmentLimits::default()
            },
            document_requirements: current_practice_documents(),
            allocation_policy: AllocationPolicy::ThreePlusOne,
            one_application_per_child: true,
            ..Self::standard_defaults(academic_year)
        }
    }

    /// The window of applications for `grade`.
    pub fn window_for(&self, grade: Grade) -> DateWindow {
        if grade.is_first() {
            self.first_grade_window
        } else {
            DateWindow {
                opens: self.first_grade_window.opens,
                closes: self.other_grades_until,
            }
        }
    }

    /// Whether applications for `grade` are taken on the local date `at`.
    pub fn is_open_for(&self, grade: Grade, at: NaiveDate) -> Result<(), WindowError> {
        self.window_for(grade).check(at)
    }

    /// Checks the configuration is coherent; the first problem found is reported.
    pub fn validate(&self) -> Result<(), CampaignError> {
        let start = self.academic_year.starts_on();
        let window = self.first_grade_window;
        if window.opens > window.closes {
            return Err(CampaignError::WindowReversed);
        }
        if window.closes >= start {
            return Err(CampaignError::WindowAfterYearStart);
        }
        if self.other_grades_until >= start {
            return Err(CampaignError::OtherGradesAfterYearStart);
        }
        if self.other_grades_until < window.opens {
            return Err(CampaignError::OtherGradesBeforeOpening);
        }
        if !(1..=MAX_RECEIPT_DEADLINE_WORKING_DAYS).contains(&self.receipt_deadline_working_days) {
            return Err(CampaignError::ReceiptDeadline);
        }
        let limits = &self.attachments;
        if limits.max_file_bytes == 0
            || limits.max_total_bytes == 0
            || limits.max_file_bytes > limits.max_total_bytes
        {
            return Err(CampaignError::AttachmentSizes);
        }
        if limits.allowed.is_empty() {
            return Err(CampaignError::NoFileFormats);
        }
        if !(1..=MAX_CLASS_SIZE).contains(&self.class_size_max) {
            return Err(CampaignError::ClassSize);
        }
        let mut kinds = BTreeSet::new();
        for requirement in &self.document_requirements {
            let kind = requirement.kind.clone();
            if !kinds.insert(kind.clone()) {
                return Err(CampaignError::DuplicateDocument { kind });
            }
            if requirement.max_files == 0 || requirement.min_files > requirement.max_files {
                return Err(CampaignError::DocumentFileCounts { kind });
            }
            if requirement.kind.title_key().is_none() && requirement.title.is_none() {
                return Err(CampaignError::DocumentTitleMissing { kind });
            }
        }
        Ok(())
    }
}

/// Why a campaign's configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("the first-grade window closes before it opens")]
    WindowReversed,
    #[error("the first-grade window must close before the academic year starts (1 September)")]
    WindowAfterYearStart,
    #[error("other grades must close before the academic year starts (1 September)")]
    OtherGradesAfterYearStart,
    #[error("other grades close before the campaign opens")]
    OtherGradesBeforeOpening,
    #[error("the receipt deadline must be 1 to {MAX_RECEIPT_DEADLINE_WORKING_DAYS} working days")]
    ReceiptDeadline,
    #[error("attachment limits must be positive and a file's limit not above the total")]
    AttachmentSizes,
    #[error("at least one file format must be allowed")]
    NoFileFormats,
    #[error("class size must be 1 to {MAX_CLASS_SIZE}")]
    ClassSize,
    #[error("document {kind} is listed twice (combine conditions with `any`)")]
    DuplicateDocument { kind: DocumentKind },
    #[error("document {kind}: at least one file, and the minimum not above the maximum")]
    DocumentFileCounts { kind: DocumentKind },
    #[error("document {kind} is not a known kind and has no title")]
    DocumentTitleMissing { kind: DocumentKind },
}

impl CampaignError {
    /// Fluent key; document messages take `$kind` (see [`CampaignError::message_args`]).
    pub fn message_key(&self) -> &'static str {
        match self {
            CampaignError::WindowReversed => "err-campaign-window-reversed",
            CampaignError::WindowAfterYearStart => "err-campaign-window-after-year-start",
            CampaignError::OtherGradesAfterYearStart => {
                "err-campaign-other-grades-after-year-start"
            }
            CampaignError::OtherGradesBeforeOpening => "err-campaign-other-grades-before-opening",
            CampaignError::ReceiptDeadline => "err-campaign-receipt-deadline",
            CampaignError::AttachmentSizes => "err-campaign-attachment-sizes",
            CampaignError::NoFileFormats => "err-campaign-no-file-formats",
            CampaignError::ClassSize => "err-campaign-class-size",
            CampaignError::DuplicateDocument { .. } => "err-campaign-duplicate-document",
            CampaignError::DocumentFileCounts { .. } => "err-campaign-document-file-counts",
            CampaignError::DocumentTitleMissing { .. } => "err-campaign-document-title",
        }
    }

    pub fn message_args(&self) -> Vec<(&'static str, MessageArg)> {
        match self {
            CampaignError::DuplicateDocument { kind }
            | CampaignError::DocumentFileCounts { kind }
            | CampaignError::DocumentTitleMissing { kind } => {
                vec![("kind", MessageArg::Text(kind.as_str().to_owned()))]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn year() -> AcademicYear {
        AcademicYear::parse("2026-2027").unwrap()
    }

    fn facts() -> ApplicantFacts {
        ApplicantFacts {
            child_birth_date: date(2020, 3, 15),
            born_abroad: false,
            citizenship: Citizenship::Citizen,
            special_needs: false,
            relation: Relation::Mother,
            resident: true,
        }
    }

    fn kinds(campaign: &Campaign, facts: &ApplicantFacts) -> Vec<String> {
        required_documents(campaign, facts)
            .into_iter()
            .map(|r| r.kind.as_str().to_owned())
            .collect()
    }

    #[test]
    fn defaults_are_valid_and_as_documented() {
        let standard = Campaign::standard_defaults(year());
        assert_eq!(standard.validate(), Ok(()));
        assert_eq!(
            standard.first_grade_window,
            DateWindow {
                opens: date(2026, 6, 1),
                closes: date(2026, 8, 30)
            }
        );
        assert_eq!(standard.other_grades_until, date(2026, 8, 30));
        assert_eq!(standard.receipt_deadline_working_days, 5);
        assert_eq!(standard.allocation_policy, AllocationPolicy::TerritoryFirst);
        assert_eq!(standard.attachments.max_file_bytes, 5 * 1024 * 1024);
        assert_eq!(standard.class_size_max, 25);

        let current = Campaign::current_practice(year());
        assert_eq!(current.validate(), Ok(()));
        assert_eq!(
            current.first_grade_window,
            DateWindow {
                opens: date(2026, 4, 1),
                closes: date(2026, 8, 31)
            }
        );
        assert_eq!(current.attachments.max_total_bytes, 5 * 1024 * 1024);
        assert_eq!(current.allocation_policy, AllocationPolicy::ThreePlusOne);
        assert!(current.one_application_per_child);
    }

    #[test]
    fn windows() {
        let standard = Campaign::standard_defaults(year());
        let fifth = Grade::new(5).unwrap();
        let cases = [
            (Grade::FIRST, date(2026, 5, 31), Some("err-window-not-open")),
            (Grade::FIRST, date(2026, 6, 1), None),
            (Grade::FIRST, date(2026, 8, 30), None),
            (Grade::FIRST, date(2026, 8, 31), Some("err-window-closed")),
            (fifth, date(2026, 6, 1), None),
            (fifth, date(2026, 8, 30), None),
            (fifth, date(2026, 8, 31), Some("err-window-closed")),
        ];
        for (grade, at, expected) in cases {
            let got = standard.is_open_for(grade, at);
            assert_eq!(
                got.err().map(|e| e.message_key()),
                expected,
                "grade {grade} on {at}"
            );
        }
        let current = Campaign::current_practice(year());
        assert_eq!(current.is_open_for(Grade::FIRST, date(2026, 4, 1)), Ok(()));
        assert_eq!(current.is_open_for(Grade::FIRST, date(2026, 8, 31)), Ok(()));
        let err = current
            .is_open_for(Grade::FIRST, date(2026, 3, 31))
            .unwrap_err();
        assert_eq!(
            err,
            WindowError::NotYetOpen {
                opens: date(2026, 4, 1),
                closes: date(2026, 8, 31)
            }
        );
        assert_eq!(
            err.message_args(),
            vec![
                ("opens", MessageArg::Date(date(2026, 4, 1))),
                ("closes", MessageArg::Date(date(2026, 8, 31))),
            ]
        );
    }

    #[test]
    fn documents_by_applicant() {
        let standard = Campaign::standard_defaults(year());
        let current = Campaign::current_practice(year());
        let base = facts();
        let guardian = ApplicantFacts {
            relation: Relation::Guardian,
            ..base.clone()
        };
        let abroad = ApplicantFacts {
            born_abroad: true,
            ..base.clone()
        };
        let old = ApplicantFacts {
            child_birth_date: date(2007, 12, 31),
            ..base.clone()
        };
        let born_2008 = ApplicantFacts {
            child_birth_date: date(2008, 1, 1),
            ..base.clone()
        };
        let special = ApplicantFacts {
            special_needs: true,
            ..base.clone()
        };
        let kandas = ApplicantFacts {
            citizenship: Citizenship::Kandas,
            ..base.clone()
        };
        let visitor = ApplicantFacts {
            citizenship: Citizenship::Foreigner,
            resident: false,
            born_abroad: true,
            ..base.clone()
        };
        let citizen_not_resident = ApplicantFacts {
            resident: false,
            ..base.clone()
        };

        let cases: Vec<(&Campaign, &ApplicantFacts, &[&str])> = vec![
            (
                &standard,
                &base,
                &["health_063u", "health_026u3", "photo_3x4"],
            ),
            (
                &standard,
                &guardian,
                &[
                    "health_063u",
                    "health_026u3",
                    "photo_3x4",
                    "guardianship_decision",
                ],
            ),
            (
                &standard,
                &abroad,
                &[
                    "birth_certificate",
                    "health_063u",
                    "health_026u3",
                    "photo_3x4",
                ],
            ),
            (
                &standard,
                &old,
                &[
                    "birth_certificate",
                    "health_063u",
                    "health_026u3",
                    "photo_3x4",
                ],
            ),
            (
                &standard,
                &born_2008,
                &["health_063u", "health_026u3", "photo_3x4"],
            ),
            (
                &standard,
                &special,
                &[
                    "health_063u",
                    "health_026u3",
                    "pmpc_conclusion",
                    "photo_3x4",
                ],
            ),
            (
                &standard,
                &kandas,
                &[
                    "health_063u",
                    "health_026u3",
                    "photo_3x4",
                    "status_document",
                ],
            ),
            (
                &current,
                &base,
                &["health_065u", "health_passport_052_2u", "photo_3x4"],
            ),
            (
                &current,
                &visitor,
                &[
                    "birth_certificate",
                    "health_065u",
                    "health_passport_052_2u",
                    "photo_3x4",
                    "status_document",
                    "migration_card",
                ],
            ),
            (
                &current,
                &citizen_not_resident,
                &["health_065u", "health_passport_052_2u", "photo_3x4"],
            ),
        ];
        for (campaign, facts, expected) in cases {
            assert_eq!(kinds(campaign, facts), expected, "{facts:?}");
        }
        let photos = required_documents(&standard, &base)
            .into_iter()
            .find(|r| r.kind == DocumentKind::PHOTO_3X4)
            .unwrap();
        assert_eq!((photos.min_files, photos.max_files), (2, 2));
    }

    #[test]
    fn invalid_campaigns() {
        let good = Campaign::standard_defaults(year());
        let with = |f: &dyn Fn(&mut Campaign)| {
            let mut c = good.clone();
            f(&mut c);
            c.validate().unwrap_err().message_key()
        };
        assert_eq!(
            with(&|c| c.first_grade_window.opens = date(2026, 9, 1)),
            "err-campaign-window-reversed"
        );
        assert_eq!(
            with(&|c| c.first_grade_window.closes = date(2026, 9, 1)),
            "err-campaign-window-after-year-start"
        );
        assert_eq!(
            with(&|c| c.other_grades_until = date(2026, 9, 2)),
            "err-campaign-other-grades-after-year-start"
        );
        assert_eq!(
            with(&|c| c.other_grades_until = date(2026, 5, 1)),
            "err-campaign-other-grades-before-opening"
        );
        assert_eq!(
            with(&|c| c.receipt_deadline_working_days = 0),
            "err-campaign-receipt-deadline"
        );
        assert_eq!(
            with(&|c| c.receipt_deadline_working_days = 31),
            "err-campaign-receipt-deadline"
        );
        assert_eq!(
            with(&|c| c.attachments.max_file_bytes = 0),
            "err-campaign-attachment-sizes"
        );
        assert_eq!(
            with(&|c| c.attachments.max_total_bytes = 1),
            "err-campaign-attachment-sizes"
        );
        assert_eq!(
            with(&|c| c.attachments.allowed.clear()),
            "err-campaign-no-file-formats"
        );
        assert_eq!(with(&|c| c.class_size_max = 0), "err-campaign-class-size");
        assert_eq!(
            with(&|c| {
                let first = c.document_requirements[0].clone();
                c.document_requirements.push(first);
            }),
            "err-campaign-duplicate-document"
        );
        assert_eq!(
            with(&|c| c.document_requirements[1].min_files = 4),
            "err-campaign-document-file-counts"
        );
        assert_eq!(
            with(&|c| c.document_requirements[1].max_files = 0),
            "err-campaign-document-file-counts"
        );
        assert_eq!(
            with(&|c| c.document_requirements.push(DocumentRequirement::new(
                DocumentKind::parse("vaccination_card").unwrap(),
                1,
                1,
                RequirementCondition::Always,
            ))),
            "err-campaign-document-title"
        );
        let mut custom = good.clone();
        let mut requirement = DocumentRequirement::new(
            DocumentKind::parse("vaccination_card").unwrap(),
            1,
            1,
            RequirementCondition::Always,
        );
        requirement.title = Some(LocalizedText {
            kk: "Екпе картасы".into(),
            ru: "Карта прививок".into(),
            en: "Vaccination card".into(),
        });
        custom.document_requirements.push(requirement);
        assert_eq!(custom.validate(), Ok(()));
    }

    #[test]
    fn document_kinds() {
        for kind in DocumentKind::KNOWN {
            assert_eq!(DocumentKind::parse(kind.as_str()), Ok(kind.clone()));
            assert_eq!(kind.title_key().unwrap(), format!("doc-{}", kind.as_str()));
        }
        for bad in ["", "Health", "1abc", "a-b", "a b", "ә", &"a".repeat(41)] {
            assert_eq!(DocumentKind::parse(bad), Err(DocumentKindError), "{bad:?}");
        }
        assert_eq!(DocumentKind::parse("x_1").unwrap().title_key(), None);
        assert_eq!(
            serde_json::to_string(&DocumentKind::PHOTO_3X4).unwrap(),
            "\"photo_3x4\""
        );
        for c in Citizenship::ALL {
            assert_eq!(status_document_title_key(*c).is_none(), c.is_citizen());
        }
    }

    #[test]
    fn attachments() {
        let limits = Campaign::current_practice(year()).attachments;
        let pdf = b"%PDF-1.7\n...";
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0];
        let png = b"\x89PNG\r\n\x1a\n\0\0";
        assert_eq!(limits.check_upload(pdf, 1000, 0), Ok(FileFormat::Pdf));
        assert_eq!(limits.check_upload(&jpeg, 1000, 0), Ok(FileFormat::Jpeg));
        assert_eq!(limits.check_upload(png, 1000, 0), Ok(FileFormat::Png));
        assert_eq!(
            limits.check_upload(b"GIF89a", 1000, 0),
            Err(AttachmentError::FormatNotAllowed)
        );
        assert_eq!(limits.check_upload(b"", 0, 0), Err(AttachmentError::Empty));
        let five = 5 * 1024 * 1024;
        assert_eq!(limits.check_upload(pdf, five, 0), Ok(FileFormat::Pdf));
        assert_eq!(
            limits.check_upload(pdf, five + 1, 0),
            Err(AttachmentError::FileTooLarge { max_bytes: five })
        );
        let err = limits.check_upload(pdf, 2, five - 1).unwrap_err();
        assert_eq!(err, AttachmentError::TotalTooLarge { max_bytes: five });
        assert_eq!(
            err.message_args(),
            vec![("max_mb", MessageArg::Text("5".to_owned()))]
        );
        let odd = AttachmentError::FileTooLarge {
            max_bytes: 4_718_592,
        };
        assert_eq!(
            odd.message_args(),
            vec![("max_mb", MessageArg::Text("4.5".to_owned()))]
        );
        assert!(limits.check_upload(pdf, u64::MAX, u64::MAX).is_err());
        let only_pdf = AttachmentLimits {
            allowed: vec![FileFormat::Pdf],
            ..limits
        };
        assert_eq!(
            only_pdf.check_upload(png, 10, 0),
            Err(AttachmentError::FormatNotAllowed)
        );
    }

    #[test]
    fn serde_round_trip_and_shape() {
        let campaign = Campaign::current_practice(year());
        let json = serde_json::to_value(&campaign).unwrap();
        assert_eq!(json["academic_year"], "2026-2027");
        assert_eq!(json["allocation_policy"], "three_plus_one");
        assert_eq!(
            json["document_requirements"][0]["condition"]["any"][0]["born_before"],
            "2008-01-01"
        );
        assert_eq!(
            json["document_requirements"][0]["condition"]["any"][1],
            "born_abroad"
        );
        let back: Campaign = serde_json::from_value(json).unwrap();
        assert_eq!(back, campaign);
        // A campaign edited by hand with a bad document code is refused at the boundary.
        let mut edited = serde_json::to_value(&campaign).unwrap();
        edited["document_requirements"][0]["kind"] = "Birth Certificate".into();
        assert!(serde_json::from_value::<Campaign>(edited).is_err());
    }
}
