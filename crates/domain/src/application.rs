//! The application (өтініш / заявление): its coded attributes and the state machine that says
//! who may move it where.
//!
//! ```text
//!            Submit (parent)           StartReview (staff)
//!   Draft ───────────────▶ Submitted ───────────────▶ UnderReview
//!     │                      │  ▲                        │
//!     │       ReturnForCorrection (staff) │ Resubmit (parent)
//!     │                      ▼  │                        │
//!     │                    Returned ◀────────────────────┘
//!     │                                Accept / Refuse (staff) from Submitted or UnderReview
//!     └─ Withdraw (parent) from Draft, Submitted, UnderReview, Returned → Withdrawn
//!   Accepted ── Admit (staff: the director's order) ──▶ Admitted
//! ```
//! Refused, Admitted and Withdrawn are final.

use serde::{Deserialize, Serialize};

use crate::codes::code_enum;

code_enum! {
    /// Where an application stands.
    pub enum ApplicationStatus ("application status", "status-") {
        /// Being filled in by the parent; the school does not see it.
        Draft = "draft",
        /// Signed and sent (or registered on paper); the receipt deadline runs.
        Submitted = "submitted",
        /// A clerk is looking at it.
        UnderReview = "under_review",
        /// Sent back to the parent to correct; the parent resubmits.
        Returned = "returned",
        /// Documents accepted: the receipt (қолхат / расписка) is issued.
        Accepted = "accepted",
        /// Reasoned refusal (дәлелді бас тарту / мотивированный отказ).
        Refused = "refused",
        /// In the admission order (бұйрық / приказ).
        Admitted = "admitted",
        /// Withdrawn by the parent.
        Withdrawn = "withdrawn",
    }
}

impl ApplicationStatus {
    /// No action leads out of a final status.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Refused | ApplicationStatus::Admitted | ApplicationStatus::Withdrawn
        )
    }

    /// Whether the school has decided on the documents (accepted or refused, or admitted).
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Accepted | ApplicationStatus::Refused | ApplicationStatus::Admitted
        )
    }

    /// Whether the school must still act (the receipt deadline applies).
    pub fn awaits_school(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Submitted | ApplicationStatus::UnderReview
        )
    }

    /// The status a new application starts in: an electronic one as the parent's draft, a paper
    /// one registered by a clerk from a walk-in parent's package as already submitted.
    pub fn initial(channel: Channel) -> Self {
        match channel {
            Channel::Electronic => ApplicationStatus::Draft,
            Channel::Paper => ApplicationStatus::Submitted,
        }
    }
}

code_enum! {
    /// The child's citizenship status; everyone but citizens presents a status document.
    pub enum Citizenship ("citizenship", "citizenship-") {
        Citizen = "citizen",
        /// Holds a residence permit.
        Foreigner = "foreigner",
        /// Holds a stateless person's identity certificate.
        Stateless = "stateless",
        Refugee = "refugee",
        AsylumSeeker = "asylum_seeker",
        /// Ethnic Kazakh returnee (қандас, formerly оралман), holds a kandas certificate.
        Kandas = "kandas",
    }
}

impl Citizenship {
    pub fn is_citizen(self) -> bool {
        self == Citizenship::Citizen
    }
}

code_enum! {
    /// How the applicant relates to the child.
    pub enum Relation ("relation", "relation-") {
        Mother = "mother",
        Father = "father",
        /// A guardian or trustee (қамқоршы / опекун); adds the guardianship decision.
        Guardian = "guardian",
    }
}

code_enum! {
    /// Language of instruction (оқыту тілі / язык обучения). The order is the order classes are
    /// lettered in: Kazakh first.
    pub enum Language ("language", "language-") {
        Kazakh = "kk",
        Russian = "ru",
        English = "en",
        /// Mixed-language classes.
        Mixed = "mixed",
    }
}

code_enum! {
    /// Form of study.
    pub enum StudyForm ("study form", "study-form-") {
        /// Күндізгі / очная.
        FullTime = "full_time",
        /// Кешкі / вечерняя.
        Evening = "evening",
    }
}

code_enum! {
    /// How the application reached the school.
    pub enum Channel ("channel", "channel-") {
        Electronic = "electronic",
        Paper = "paper",
    }
}

code_enum! {
    /// Ground of a reasoned refusal.
    pub enum RefusalGround ("refusal ground", "refusal-") {
        /// The package is incomplete (the standard's list).
        IncompleteDocuments = "incomplete_documents",
        /// Documents or data are unreliable or contradict each other.
        UnreliableData = "unreliable_data",
        /// The child does not meet the conditions (age for first grade).
        NotEligible = "not_eligible",
        /// The school has no free places; the parent is referred to the education department.
        NoFreePlaces = "no_free_places",
        Other = "other",
    }
}

code_enum! {
    /// What someone does to an application.
    pub enum Action ("action", "action-") {
        Submit = "submit",
        StartReview = "start_review",
        ReturnForCorrection = "return_for_correction",
        Accept = "accept",
        Refuse = "refuse",
        Admit = "admit",
        Withdraw = "withdraw",
        Resubmit = "resubmit",
    }
}

code_enum! {
    /// Who acts. Staff covers clerks and directors: that only a director signs the admission
    /// order is a question of roles, checked where the roles are known.
    pub enum ActorKind ("actor", "actor-") {
        Parent = "parent",
        Staff = "staff",
        /// The service itself (e.g. refusing for lack of places after allocation).
        System = "system",
    }
}

/// A school grade (сынып / класс), 1 to 11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Grade(u8);

/// Why a number is not a grade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("grade must be from 1 to 11")]
pub struct GradeError;

impl GradeError {
    pub fn message_key(&self) -> &'static str {
        "err-grade-range"
    }
}

impl Grade {
    pub const FIRST: Grade = Grade(1);
    pub const LAST: Grade = Grade(11);

    pub fn new(number: u8) -> Result<Self, GradeError> {
        if (1..=11).contains(&number) {
            Ok(Grade(number))
        } else {
            Err(GradeError)
        }
    }

    pub fn parse(text: &str) -> Result<Self, GradeError> {
        text.trim()
            .parse::<u8>()
            .map_err(|_| GradeError)
            .and_then(Self::new)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn is_first(self) -> bool {
        self.0 == 1
    }

    /// Fluent key of the label; the message takes `$grade`.
    pub fn label_key(self) -> &'static str {
        "grade-label"
    }
}

impl TryFrom<u8> for Grade {
    type Error = GradeError;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Self::new(n)
    }
}

impl From<Grade> for u8 {
    fn from(g: Grade) -> u8 {
        g.0
    }
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for Grade {
    type Err = GradeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why an action is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the application is {from} and can no longer change")]
    Final { from: ApplicationStatus },
    #[error("{actor} may not {action} an application")]
    NotPermitted { action: Action, actor: ActorKind },
    #[error("cannot {action} an application that is {from}")]
    WrongStatus {
        from: ApplicationStatus,
        action: Action,
    },
}

impl TransitionError {
    pub fn message_key(&self) -> &'static str {
        match self {
            TransitionError::Final { .. } => "err-transition-final",
            TransitionError::NotPermitted { .. } => "err-transition-not-permitted",
            TransitionError::WrongStatus { .. } => "err-transition-wrong-status",
        }
    }
}

fn actor_may(actor: ActorKind, action: Action) -> bool {
    use Action::*;
    match actor {
        ActorKind::Parent => matches!(action, Submit | Resubmit | Withdraw),
        ActorKind::Staff => matches!(
            action,
            StartReview | ReturnForCorrection | Accept | Refuse | Admit
        ),
        ActorKind::System => matches!(action, Refuse),
    }
}

/// The status after `actor` does `action` to an application in status `from`, or why not.
pub fn transition(
    from: ApplicationStatus,
    action: Action,
    actor: ActorKind,
) -> Result<ApplicationStatus, TransitionError> {
    use ApplicationStatus as S;
    if from.is_final() {
        return Err(TransitionError::Final { from });
    }
    if !actor_may(actor, action) {
        return Err(TransitionError::NotPermitted { action, actor });
    }
    let to = match (action, from) {
        (Action::Submit, S::Draft) => S::Submitted,
        (Action::Resubmit, S::Returned) => S::Submitted,
        (Action::Withdraw, S::Draft | S::Submitted | S::UnderReview | S::Returned) => S::Withdrawn,
        (Action::StartReview, S::Submitted) => S::UnderReview,
        (Action::ReturnForCorrection, S::Submitted | S::UnderReview) => S::Returned,
        (Action::Accept, S::Submitted | S::UnderReview) => S::Accepted,
        (Action::Refuse, S::Submitted | S::UnderReview) => S::Refused,
        (Action::Admit, S::Accepted) => S::Admitted,
        _ => return Err(TransitionError::WrongStatus { from, action }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActorKind::*;
    use ApplicationStatus as S;

    /// Every allowed (from, action, actor) → to; everything else must fail.
    const ALLOWED: &[(ApplicationStatus, Action, ActorKind, ApplicationStatus)] = &[
        (S::Draft, Action::Submit, Parent, S::Submitted),
        (S::Returned, Action::Resubmit, Parent, S::Submitted),
        (S::Draft, Action::Withdraw, Parent, S::Withdrawn),
        (S::Submitted, Action::Withdraw, Parent, S::Withdrawn),
        (S::UnderReview, Action::Withdraw, Parent, S::Withdrawn),
        (S::Returned, Action::Withdraw, Parent, S::Withdrawn),
        (S::Submitted, Action::StartReview, Staff, S::UnderReview),
        (
            S::Submitted,
            Action::ReturnForCorrection,
            Staff,
            S::Returned,
        ),
        (
            S::UnderReview,
            Action::ReturnForCorrection,
            Staff,
            S::Returned,
        ),
        (S::Submitted, Action::Accept, Staff, S::Accepted),
        (S::UnderReview, Action::Accept, Staff, S::Accepted),
        (S::Submitted, Action::Refuse, Staff, S::Refused),
        (S::UnderReview, Action::Refuse, Staff, S::Refused),
        (S::Submitted, Action::Refuse, System, S::Refused),
        (S::UnderReview, Action::Refuse, System, S::Refused),
        (S::Accepted, Action::Admit, Staff, S::Admitted),
    ];

    #[test]
    fn exhaustive_transition_table() {
        let mut checked = 0;
        for &from in ApplicationStatus::ALL {
            for &action in Action::ALL {
                for &actor in ActorKind::ALL {
                    let expected = ALLOWED
                        .iter()
                        .find(|(f, a, who, _)| (*f, *a, *who) == (from, action, actor))
                        .map(|(_, _, _, to)| *to);
                    let got = transition(from, action, actor);
                    match expected {
                        Some(to) => assert_eq!(got, Ok(to), "{from} {action} {actor}"),
                        None => {
                            let err = got.expect_err(&format!("{from} {action} {actor}"));
                            let expected_err = if from.is_final() {
                                TransitionError::Final { from }
                            } else if !actor_may(actor, action) {
                                TransitionError::NotPermitted { action, actor }
                            } else {
                                TransitionError::WrongStatus { from, action }
                            };
                            assert_eq!(err, expected_err);
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 8 * 3);
    }

    #[test]
    fn final_statuses_have_no_way_out_and_others_do() {
        for &from in ApplicationStatus::ALL {
            let has_exit = ALLOWED.iter().any(|(f, ..)| *f == from);
            assert_eq!(has_exit, !from.is_final(), "{from}");
        }
    }

    #[test]
    fn decisions_are_final_or_lead_only_to_admission() {
        for &(from, _, _, to) in ALLOWED {
            if from.is_decided() {
                assert_eq!((from, to), (S::Accepted, S::Admitted));
            }
        }
    }

    #[test]
    fn initial_status_by_channel() {
        assert_eq!(ApplicationStatus::initial(Channel::Electronic), S::Draft);
        assert_eq!(ApplicationStatus::initial(Channel::Paper), S::Submitted);
    }

    #[test]
    fn codes_round_trip_and_serde_matches() {
        fn check<T>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Result<T, crate::codes::UnknownCode>,
        ) where
            T: Copy + PartialEq + std::fmt::Debug + Serialize + for<'de> Deserialize<'de>,
        {
            let mut seen = std::collections::BTreeSet::new();
            for &v in all {
                let code = as_str(v);
                assert!(seen.insert(code), "duplicate code {code}");
                assert_eq!(parse(code), Ok(v));
                assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{code}\""));
                assert_eq!(
                    serde_json::from_str::<T>(&format!("\"{code}\"")).unwrap(),
                    v
                );
            }
            assert!(parse("nonsense").is_err());
            assert!(parse("").is_err());
        }
        check(
            ApplicationStatus::ALL,
            ApplicationStatus::as_str,
            ApplicationStatus::parse,
        );
        check(Citizenship::ALL, Citizenship::as_str, Citizenship::parse);
        check(Relation::ALL, Relation::as_str, Relation::parse);
        check(Language::ALL, Language::as_str, Language::parse);
        check(StudyForm::ALL, StudyForm::as_str, StudyForm::parse);
        check(Channel::ALL, Channel::as_str, Channel::parse);
        check(
            RefusalGround::ALL,
            RefusalGround::as_str,
            RefusalGround::parse,
        );
        check(Action::ALL, Action::as_str, Action::parse);
        check(ActorKind::ALL, ActorKind::as_str, ActorKind::parse);
        assert_eq!(Language::parse("kk"), Ok(Language::Kazakh));
        assert_eq!(Language::Mixed.label_key(), "language-mixed");
        assert_eq!(S::UnderReview.label_key(), "status-under_review");
        let err = Citizenship::parse(&"x".repeat(1000)).unwrap_err();
        assert_eq!(err.code.len(), 64);
        assert_eq!(err.message_key(), "err-code-unknown");
    }

    #[test]
    fn grades() {
        for (text, expected) in [
            ("1", Ok(1)),
            (" 11 ", Ok(11)),
            ("0", Err(GradeError)),
            ("12", Err(GradeError)),
            ("-1", Err(GradeError)),
            ("one", Err(GradeError)),
            ("", Err(GradeError)),
            ("300", Err(GradeError)),
        ] {
            assert_eq!(Grade::parse(text).map(Grade::get), expected, "{text:?}");
        }
        assert!(Grade::FIRST.is_first());
        assert_eq!(serde_json::to_string(&Grade::LAST).unwrap(), "11");
        assert_eq!(serde_json::from_str::<Grade>("3").unwrap().get(), 3);
        assert!(serde_json::from_str::<Grade>("12").is_err());
    }
}
