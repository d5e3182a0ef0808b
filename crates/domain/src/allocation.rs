//! Places of a school (DOMAIN.md §5): who gets one, and how the admitted children are split
//! into classes.
//!
//! Children living in the school's service territory (микроучасток) have priority. The current
//! rule, "3 + 1", admits three children from the territory, then one from outside, the outside
//! children in order of application time; when one group runs out the other fills the rest.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::application::{Grade, Language};
use crate::codes::code_enum;

code_enum! {
    /// How a school's places are shared out among applicants.
    pub enum AllocationPolicy ("allocation policy", "policy-") {
        /// Strictly by application time.
        FirstCome = "first_come",
        /// All children from the territory (by time), then the others (by time). The default:
        /// the service standard is silent on allocation, and territory priority is the rule of
        /// the law on admission it rests on.
        TerritoryFirst = "territory_first",
        /// Three from the territory, then one from outside, repeated (current practice).
        ThreePlusOne = "three_plus_one",
    }
}

// Written by hand: `code_enum!` declares the enum and derives no `Default`.
#[allow(clippy::derivable_impls)]
impl Default for AllocationPolicy {
    fn default() -> Self {
        AllocationPolicy::TerritoryFirst
    }
}

/// The identifier of a candidate (the application id in the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CandidateId(pub i64);

impl From<i64> for CandidateId {
    fn from(id: i64) -> Self {
        CandidateId(id)
    }
}

/// An application competing for a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: CandidateId,
    /// The child lives in the school's service territory.
    pub in_territory: bool,
    /// When the application was submitted (ties are broken by id, so the result never depends
    /// on the order of the input).
    pub applied_at: DateTime<Utc>,
}

/// What allocation decided for one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum AllocationDecision {
    /// Gets a place; `rank` 1 is the first place given.
    Place { rank: u32 },
    /// No place now; `position` 1 is first in line if a place frees up.
    Waitlist { position: u32 },
}

impl AllocationDecision {
    pub fn has_place(self) -> bool {
        matches!(self, AllocationDecision::Place { .. })
    }
}

fn by_time(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    (a.applied_at, a.id).cmp(&(b.applied_at, b.id))
}

/// The order in which `policy` serves the candidates.
fn priority_order(policy: AllocationPolicy, candidates: &[Candidate]) -> Vec<Candidate> {
    let mut all = candidates.to_vec();
    all.sort_by(by_time);
    match policy {
        AllocationPolicy::FirstCome => all,
        AllocationPolicy::TerritoryFirst => {
            // A stable partition keeps time order inside each group.
            let (mut inside, outside): (Vec<_>, Vec<_>) =
                all.into_iter().partition(|c| c.in_territory);
            inside.extend(outside);
            inside
        }
        AllocationPolicy::ThreePlusOne => {
            let (inside, outside): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.in_territory);
            let mut inside = inside.into_iter().peekable();
            let mut outside = outside.into_iter().peekable();
            let mut order = Vec::with_capacity(candidates.len());
            while inside.peek().is_some() || outside.peek().is_some() {
                order.extend(inside.by_ref().take(3));
                order.extend(outside.by_ref().take(1));
            }
            order
        }
    }
}

/// Decides who of `candidates` gets one of `places` under `policy`. Returns every candidate
/// once, in priority order: first those with a place (rank 1, 2, …), then the waitlist
/// (position 1, 2, …). Candidates should have distinct ids; duplicates are kept as given.
pub fn allocate(
    policy: AllocationPolicy,
    places: u32,
    candidates: &[Candidate],
) -> Vec<(CandidateId, AllocationDecision)> {
    let mut rank = 0u32;
    let mut position = 0u32;
    priority_order(policy, candidates)
        .into_iter()
        .map(|c| {
            let decision = if rank < places {
                rank += 1;
                AllocationDecision::Place { rank }
            } else {
                position = position.saturating_add(1);
                AllocationDecision::Waitlist { position }
            };
            (c.id, decision)
        })
        .collect()
}

/// Letters of parallel classes, in order. Schools of Kazakhstan letter classes with the Russian
/// alphabet in both Kazakh- and Russian-language streams (1 А, 1 Б, 1 В …), skipping letters
/// that cannot start a class name (Ё, Й, Ъ, Ы, Ь).
pub const CLASS_LETTERS: [&str; 28] = [
    "А", "Б", "В", "Г", "Д", "Е", "Ж", "З", "И", "К", "Л", "М", "Н", "О", "П", "Р", "С", "Т", "У",
    "Ф", "Х", "Ц", "Ч", "Ш", "Щ", "Э", "Ю", "Я",
];

/// A class (сынып / класс) formed for one grade and language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class<T> {
    /// E.g. `1 А`.
    pub name: String,
    pub language: Language,
    pub members: Vec<T>,
}

/// Why children could not be split into classes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    #[error("class size must be at least 1")]
    ZeroClassSize,
    #[error("{needed} classes are needed but only {} letters exist", CLASS_LETTERS.len())]
    TooManyClasses { needed: usize },
}

impl DistributionError {
    pub fn message_key(&self) -> &'static str {
        match self {
            DistributionError::ZeroClassSize => "err-classes-zero-size",
            DistributionError::TooManyClasses { .. } => "err-classes-too-many",
        }
    }
}

/// Splits the admitted children of one grade into classes of at most `max_per_class`, per
/// language: each language gets ⌈n / max⌉ classes whose sizes differ by at most one (the first
/// classes take the extra child). Members keep their given order (for example alphabetical) and
/// fill the classes one after another. Letters continue across languages in the order of
/// [`Language`]: Kazakh classes first (1 А, 1 Б), then Russian (1 В), and so on. Languages with
/// no children get no class.
pub fn distribute_into_classes<T>(
    grade: Grade,
    children_by_language: BTreeMap<Language, Vec<T>>,
    max_per_class: u32,
) -> Result<Vec<Class<T>>, DistributionError> {
    let max = usize::try_from(max_per_class).unwrap_or(usize::MAX);
    if max == 0 {
        return Err(DistributionError::ZeroClassSize);
    }
    let needed: usize = children_by_language
        .values()
        .map(|children| children.len().div_ceil(max))
        .sum();
    if needed > CLASS_LETTERS.len() {
        return Err(DistributionError::TooManyClasses { needed });
    }

    let mut letters = CLASS_LETTERS.iter();
    let mut classes = Vec::with_capacity(needed);
    for (language, children) in children_by_language {
        let count = children.len().div_ceil(max);
        if count == 0 {
            continue;
        }
        let (base, extra) = (children.len() / count, children.len() % count);
        let mut children = children.into_iter();
        for index in 0..count {
            let size = base + usize::from(index < extra);
            let letter = letters.next().copied().unwrap_or("?");
            classes.push(Class {
                name: format!("{grade} {letter}"),
                language,
                members: children.by_ref().take(size).collect(),
            });
        }
    }
    Ok(classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn cand(id: i64, in_territory: bool, minute: u32) -> Candidate {
        Candidate {
            id: CandidateId(id),
            in_territory,
            applied_at: Utc.with_ymd_and_hms(2026, 4, 1, 0, minute, 0).unwrap(),
        }
    }

    fn placed(result: &[(CandidateId, AllocationDecision)]) -> Vec<i64> {
        result
            .iter()
            .filter(|(_, d)| d.has_place())
            .map(|(id, _)| id.0)
            .collect()
    }

    fn order(result: &[(CandidateId, AllocationDecision)]) -> Vec<i64> {
        result.iter().map(|(id, _)| id.0).collect()
    }

    /// Territory children T1..T5 (ids 1–5), outside children O1..O3 (ids 11–13), interleaved in
    /// time so that the policies differ.
    fn field() -> Vec<Candidate> {
        vec![
            cand(11, false, 0),
            cand(1, true, 1),
            cand(12, false, 2),
            cand(2, true, 3),
            cand(3, true, 4),
            cand(13, false, 5),
            cand(4, true, 6),
            cand(5, true, 7),
        ]
    }

    #[test]
    fn policies_order_differently() {
        let cases = [
            (AllocationPolicy::FirstCome, vec![11, 1, 12, 2, 3, 13, 4, 5]),
            (
                AllocationPolicy::TerritoryFirst,
                vec![1, 2, 3, 4, 5, 11, 12, 13],
            ),
            (
                AllocationPolicy::ThreePlusOne,
                vec![1, 2, 3, 11, 4, 5, 12, 13],
            ),
        ];
        for (policy, expected) in cases {
            let result = allocate(policy, 8, &field());
            assert_eq!(order(&result), expected, "{policy}");
        }
    }

    #[test]
    fn places_and_waitlist() {
        let result = allocate(AllocationPolicy::ThreePlusOne, 5, &field());
        assert_eq!(placed(&result), vec![1, 2, 3, 11, 4]);
        assert_eq!(
            result[4..].iter().map(|(_, d)| *d).collect::<Vec<_>>(),
            vec![
                AllocationDecision::Place { rank: 5 },
                AllocationDecision::Waitlist { position: 1 },
                AllocationDecision::Waitlist { position: 2 },
                AllocationDecision::Waitlist { position: 3 },
            ]
        );
    }

    #[test]
    fn three_plus_one_when_a_group_runs_out() {
        // Only outside children: they take every place in time order.
        let outside = vec![cand(12, false, 2), cand(11, false, 1), cand(13, false, 3)];
        assert_eq!(
            order(&allocate(AllocationPolicy::ThreePlusOne, 2, &outside)),
            vec![11, 12, 13]
        );
        // One territory child, many outside: the territory child first, then the rest by time.
        let mut few = outside.clone();
        few.push(cand(1, true, 9));
        assert_eq!(
            order(&allocate(AllocationPolicy::ThreePlusOne, 3, &few)),
            vec![1, 11, 12, 13]
        );
        // Seven territory children and one outside: 3, 1, then the remaining 4 territory.
        let mut many: Vec<_> = (1..=7)
            .map(|i| cand(i, true, u32::try_from(i).unwrap()))
            .collect();
        many.push(cand(11, false, 0));
        assert_eq!(
            order(&allocate(AllocationPolicy::ThreePlusOne, 8, &many)),
            vec![1, 2, 3, 11, 4, 5, 6, 7]
        );
    }

    #[test]
    fn ties_break_by_id_and_input_order_does_not_matter() {
        let a = vec![cand(2, true, 0), cand(1, true, 0), cand(3, false, 0)];
        let mut b = a.clone();
        b.reverse();
        for policy in AllocationPolicy::ALL {
            assert_eq!(allocate(*policy, 2, &a), allocate(*policy, 2, &b));
        }
        assert_eq!(
            order(&allocate(AllocationPolicy::FirstCome, 2, &a)),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn no_places_or_no_candidates() {
        assert!(allocate(AllocationPolicy::ThreePlusOne, 10, &[]).is_empty());
        let result = allocate(AllocationPolicy::ThreePlusOne, 0, &field());
        assert!(placed(&result).is_empty());
        assert_eq!(result.len(), 8);
    }

    fn classes_of(sizes: &[(Language, usize)], max: u32) -> Vec<(String, Language, usize)> {
        let input: BTreeMap<Language, Vec<usize>> =
            sizes.iter().map(|(l, n)| (*l, (0..*n).collect())).collect();
        distribute_into_classes(Grade::FIRST, input, max)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.language, c.members.len()))
            .collect()
    }

    #[test]
    fn classes_are_balanced_and_lettered_across_languages() {
        use Language::*;
        let s = |name: &str, l, n| (name.to_owned(), l, n);
        assert_eq!(
            classes_of(&[(Russian, 20), (Kazakh, 51)], 25),
            vec![
                s("1 А", Kazakh, 17),
                s("1 Б", Kazakh, 17),
                s("1 В", Kazakh, 17),
                s("1 Г", Russian, 20),
            ]
        );
        assert_eq!(
            classes_of(&[(Kazakh, 50), (Russian, 26), (English, 0)], 25),
            vec![
                s("1 А", Kazakh, 25),
                s("1 Б", Kazakh, 25),
                s("1 В", Russian, 13),
                s("1 Г", Russian, 13),
            ]
        );
        assert_eq!(
            classes_of(&[(Kazakh, 26)], 25),
            vec![s("1 А", Kazakh, 13), s("1 Б", Kazakh, 13)]
        );
        assert_eq!(classes_of(&[(Mixed, 7)], 25), vec![s("1 А", Mixed, 7)]);
        assert!(classes_of(&[], 25).is_empty());
    }

    #[test]
    fn members_keep_their_order() {
        let input = BTreeMap::from([(Language::Kazakh, vec!["Ә", "Б", "В", "Г", "Д"])]);
        let classes = distribute_into_classes(Grade::FIRST, input, 3).unwrap();
        assert_eq!(classes[0].members, vec!["Ә", "Б", "В"]);
        assert_eq!(classes[1].members, vec!["Г", "Д"]);
        assert_eq!(classes[1].name, "1 Б");
    }

    #[test]
    fn distribution_errors() {
        let input = BTreeMap::from([(Language::Kazakh, vec![1, 2])]);
        assert_eq!(
            distribute_into_classes(Grade::FIRST, input, 0),
            Err(DistributionError::ZeroClassSize)
        );
        let input = BTreeMap::from([(Language::Kazakh, vec![0; 29])]);
        let err = distribute_into_classes(Grade::FIRST, input, 1).unwrap_err();
        assert_eq!(err, DistributionError::TooManyClasses { needed: 29 });
        assert_eq!(err.message_key(), "err-classes-too-many");
    }

    proptest! {
        #[test]
        fn allocation_invariants(
            raw in proptest::collection::vec((any::<bool>(), 0u32..30), 0..60),
            places in 0u32..70,
            policy_index in 0usize..3,
        ) {
            let policy = AllocationPolicy::ALL[policy_index];
            let candidates: Vec<_> = raw
                .iter()
                .enumerate()
                .map(|(i, (t, m))| cand(i64::try_from(i).unwrap(), *t, *m))
                .collect();
            let result = allocate(policy, places, &candidates);
            prop_assert_eq!(result.len(), candidates.len());
            let got = placed(&result).len();
            prop_assert_eq!(got, candidates.len().min(usize::try_from(places).unwrap()));
            // Within each group, earlier applicants come first under every policy.
            for group in [true, false] {
                let times: Vec<_> = order(&result)
                    .iter()
                    .map(|id| candidates[usize::try_from(*id).unwrap()])
                    .filter(|c| c.in_territory == group)
                    .map(|c| (c.applied_at, c.id))
                    .collect();
                prop_assert!(times.windows(2).all(|w| w[0] <= w[1]));
            }
            // Under 3+1, any prefix of the order has at most 3 territory children per outside
            // child, unless the outside group has run out.
            if policy == AllocationPolicy::ThreePlusOne {
                let total_outside = candidates.iter().filter(|c| !c.in_territory).count();
                let (mut inside, mut outside) = (0usize, 0usize);
                for id in order(&result) {
                    if candidates[usize::try_from(id).unwrap()].in_territory {
                        inside += 1;
                        prop_assert!(inside <= 3 * (outside + 1) || outside == total_outside);
                    } else {
                        outside += 1;
                    }
                }
            }
        }

        #[test]
        fn classes_invariants(kk in 0usize..120, ru in 0usize..120, max in 1u32..40) {
            let input = BTreeMap::from([
                (Language::Kazakh, (0..kk).collect::<Vec<_>>()),
                (Language::Russian, (0..ru).collect::<Vec<_>>()),
            ]);
            let Ok(classes) = distribute_into_classes(Grade::FIRST, input, max) else {
                let m = usize::try_from(max).unwrap();
                prop_assert!(kk.div_ceil(m) + ru.div_ceil(m) > CLASS_LETTERS.len());
                return Ok(());
            };
            let m = usize::try_from(max).unwrap();
            for (language, n) in [(Language::Kazakh, kk), (Language::Russian, ru)] {
                let sizes: Vec<_> = classes
                    .iter()
                    .filter(|c| c.language == language)
                    .map(|c| c.members.len())
                    .collect();
                prop_assert_eq!(sizes.len(), n.div_ceil(m));
                prop_assert_eq!(sizes.iter().sum::<usize>(), n);
                prop_assert!(sizes.iter().all(|s| *s <= m && *s > 0));
                if let (Some(lo), Some(hi)) = (sizes.iter().min(), sizes.iter().max()) {
                    prop_assert!(hi - lo <= 1);
                }
            }
            let names: std::collections::BTreeSet<_> = classes.iter().map(|c| &c.name).collect();
            prop_assert_eq!(names.len(), classes.len());
        }
    }
}
