//! Demo mode: a fresh database gets the city of Aktobe (schools, streets, service territories,
//! a campaign open today, staff) and a demo certification authority whose keys the demo people
//! sign in with. Demo data never goes into a database that is not a demo one, and a demo
//! database never runs as the real service.

use std::path::Path;

use chrono::{NaiveDate, Utc};
use domain::campaign::Campaign;
use domain::ids::{AcademicYear, iin_check_digit};
use pki::KeyKind;
use pki::testca::{IssuedKey, TestCa, Validity};
use store::{NewSchool, StaffRoleKind, Store};
use web::DemoPerson;

use crate::config::Config;

pub struct DemoSetup {
    pub trust_anchors: Vec<Vec<u8>>,
    pub people: Vec<DemoPerson>,
}

const MODE_KEY: &str = "mode";

pub async fn prepare(store: &Store, c: &Config) -> Result<DemoSetup, String> {
    let none = DemoSetup {
        trust_anchors: Vec::new(),
        people: Vec::new(),
    };
    let mode = store.setting(MODE_KEY).await.map_err(|e| e.to_string())?;
    let fresh = store.schools().await.map_err(|e| e.to_string())?.is_empty();
    match (c.demo, mode.as_deref()) {
        (false, Some("demo")) => Err(format!(
            "the database in {} holds demo data; start it with --demo, or use another --data-dir for the real service",
            c.data_dir.display()
        )),
        (false, _) => {
            if mode.is_none() {
                store
                    .set_setting(MODE_KEY, "production")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(none)
        }
        (true, Some("demo")) => {
            let setup = load_people(&c.data_dir.join("demo-pki"))?;
            keep_campaign_open(store).await?;
            Ok(setup)
        }
        (true, None) if fresh => {
            store
                .set_setting(MODE_KEY, "demo")
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "First start in demo mode: creating the demo city and demo keys (a few seconds)…"
            );
            let setup = create_people(&c.data_dir.join("demo-pki"))?;
            load_city(store, &setup).await?;
            Ok(setup)
        }
        (true, _) => Err(format!(
            "refusing to load demo data into {}: it is not a demo database. Use a fresh --data-dir for the demo",
            c.data_dir.display()
        )),
    }
}

/// A valid IIN for a birth date and sex/century digit, from the first serial that has a check
/// digit.
fn make_iin(birth: &str, century_sex: u8, serial: u32) -> String {
    with_check_digit(serial, |s| format!("{birth}{century_sex}{:04}", s % 10_000))
}

/// A valid BIN: registration year and month, type 4 (resident legal entity), head office.
fn make_bin(yymm: &str, serial: u32) -> String {
    with_check_digit(serial, |s| format!("{yymm}40{:05}", s % 100_000))
}

/// The first of `first11(serial)`, `first11(serial + 1)`, … whose check digit exists (about
/// one prefix in eleven has none), completed with it.
fn with_check_digit(serial: u32, first11: impl Fn(u32) -> String) -> String {
    (serial..)
        .map(first11)
        .find_map(|prefix| {
            let digits: [u8; 11] = prefix
                .bytes()
                .map(|b| b.wrapping_sub(b'0'))
                .collect::<Vec<_>>()
                .try_into()
                .ok()?;
            iin_check_digit(&digits).map(|c| format!("{prefix}{c}"))
        })
        .unwrap_or_default()
}

struct PersonSpec {
    role_key: &'static str,
    file: &'static str,
    surname: &'static str,
    given: &'static str,
    patronymic: &'static str,
    birth: &'static str,
    century_sex: u8,
}

const PEOPLE: [PersonSpec; 6] = [
    PersonSpec {
        role_key: "demo-role-parent",
        file: "parent",
        surname: "ӘБІЛОВА",
        given: "АЙГЕРІМ",
        patronymic: "САПАРҚЫЗЫ",
        birth: "900512",
        century_sex: 4,
    },
    PersonSpec {
        role_key: "demo-role-parent-second",
        file: "parent2",
        surname: "СЕРІКОВ",
        given: "ДӘУЛЕТ",
        patronymic: "ЕРЛАНҰЛЫ",
        birth: "880301",
        century_sex: 3,
    },
    PersonSpec {
        role_key: "demo-role-clerk",
        file: "clerk",
        surname: "НҰРЛАНОВА",
        given: "ГҮЛНАР",
        patronymic: "БОЛАТҚЫЗЫ",
        birth: "850715",
        century_sex: 4,
    },
    PersonSpec {
        role_key: "demo-role-director",
        file: "director",
        surname: "ҚАСЫМОВ",
        given: "БОЛАТ",
        patronymic: "ТӨЛЕУҰЛЫ",
        birth: "700220",
        century_sex: 3,
    },
    PersonSpec {
        role_key: "demo-role-clerk",
        file: "clerk2",
        surname: "ЖАНҰЗАҚОВА",
        given: "ӘСЕЛ",
        patronymic: "МАРАТҚЫЗЫ",
        birth: "920909",
        century_sex: 4,
    },
    PersonSpec {
        role_key: "demo-role-admin",
        file: "admin",
        surname: "ТӨЛЕГЕНОВ",
        given: "АРМАН",
        patronymic: "ЖОМАРТҰЛЫ",
        birth: "800101",
        century_sex: 3,
    },
];

fn person_iin(p: &PersonSpec, index: usize) -> String {
    make_iin(p.birth, p.century_sex, 100 + index as u32 * 7)
}

fn create_people(dir: &Path) -> Result<DemoSetup, String> {
    let ca = TestCa::generate("Mektep DEMO").map_err(|e| format!("demo CA: {e}"))?;
    ca.save(dir)
        .map_err(|e| format!("saving the demo CA: {e}"))?;
    let people_dir = dir.join("people");
    std::fs::create_dir_all(&people_dir).map_err(|e| e.to_string())?;
    for (i, p) in PEOPLE.iter().enumerate() {
        let iin = person_iin(p, i);
        for (kind, suffix) in [(KeyKind::Auth, "auth"), (KeyKind::Sign, "sign")] {
            let key = ca
                .issue_person(
                    &iin,
                    p.surname,
                    p.given,
                    Some(p.patronymic),
                    kind,
                    Validity::days_from_now(3 * 365),
                )
                .map_err(|e| format!("demo key: {e}"))?;
            std::fs::write(
                people_dir.join(format!("{}-{suffix}.pem", p.file)),
                key.to_pem(),
            )
            .map_err(|e| e.to_string())?;
        }
    }
    load_people(dir)
}

fn load_people(dir: &Path) -> Result<DemoSetup, String> {
    let ca = TestCa::load(dir).map_err(|e| format!("demo CA in {}: {e}", dir.display()))?;
    let read = |name: String| -> Result<IssuedKey, String> {
        let path = dir.join("people").join(&name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        IssuedKey::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut people = Vec::new();
    for (i, p) in PEOPLE.iter().enumerate() {
        people.push(DemoPerson {
            role_key: p.role_key,
            name: format!("{} {} {}", p.surname, p.given, p.patronymic),
            iin: person_iin(p, i),
            auth: read(format!("{}-auth.pem", p.file))?,
            sign: read(format!("{}-sign.pem", p.file))?,
        });
    }
    // NCALayer embeds only the signer certificate, so the issuing CA must be an anchor too.
    Ok(DemoSetup {
        trust_anchors: vec![ca.root_cert_der().to_vec(), ca.issuing_cert_der().to_vec()],
        people,
    })
}

/// Schools of Aktobe (names as the city writes them), with first-grade places per language.
const SCHOOLS: [(&str, &str, &str, &[(&str, i64)]); 12] = [
    (
        "№1 мектеп-гимназия",
        "Школа-гимназия №1",
        "Әбілқайыр хан даңғылы, 40",
        &[("kk", 75), ("ru", 50)],
    ),
    (
        "№3 жалпы орта білім беретін мектеп",
        "Средняя общеобразовательная школа №3",
        "Ахмет Байтұрсынұлы көшесі, 12",
        &[("kk", 100)],
    ),
    (
        "№6 мектеп-лицей",
        "Школа-лицей №6",
        "Сәңкібай батыр даңғылы, 21",
        &[("kk", 50), ("ru", 50)],
    ),
    (
        "№11 жалпы орта білім беретін мектеп",
        "Средняя общеобразовательная школа №11",
        "Есет батыр көшесі, 85",
        &[("kk", 75), ("ru", 25)],
    ),
    (
        "№14 мектеп-гимназия",
        "Школа-гимназия №14",
        "Бөкенбай батыр көшесі, 5",
        &[("kk", 50), ("ru", 25), ("en", 25)],
    ),
    (
        "№19 жалпы орта білім беретін мектеп",
        "Средняя общеобразовательная школа №19",
        "Маресьев көшесі, 64",
        &[("kk", 75)],
    ),
    (
        "№21 жалпы орта білім беретін мектеп",
        "Средняя общеобразовательная школа №21",
        "Алтынсарин көшесі, 30",
        &[("kk", 50), ("ru", 50)],
    ),
    (
        "№25 мектеп-лицей",
        "Школа-лицей №25",
        "Тұрғынов көшесі, 2",
        &[("kk", 100)],
    ),
    (
        "№32 жалпы орта білім беретін мектеп",
        "Средняя общеобразовательная школа №32",
        "Шернияз көшесі, 17",
        &[("kk", 75), ("ru", 25)],
    ),
    (
        "№43 жалпы орта білім беретін мектеп",
        "Средняя общеобразовательная школа №43",
        "Молдағұлова даңғылы, 48",
        &[("kk", 125)],
    ),
    (
        "№51 мектеп-гимназия",
        "Школа-гимназия №51",
        "Әбілқайыр хан даңғылы, 95",
        &[("kk", 75), ("ru", 25)],
    ),
    (
        "№66 жалпы орта білім беретін мектеп",
        "Средняя общеобразовательная школа №66",
        "Батыс-2 шағын ауданы, 14",
        &[("kk", 100)],
    ),
];

const STREETS: [(&str, &str); 12] = [
    ("Әбілқайыр хан даңғылы", "проспект Абулхаир хана"),
    ("Ахмет Байтұрсынұлы көшесі", "улица Ахмета Байтурсынова"),
    ("Сәңкібай батыр даңғылы", "проспект Санкибай батыра"),
    ("Есет батыр көшесі", "улица Есет батыра"),
    ("Бөкенбай батыр көшесі", "улица Бокенбай батыра"),
    ("Маресьев көшесі", "улица Маресьева"),
    ("Алтынсарин көшесі", "улица Алтынсарина"),
    ("Тұрғынов көшесі", "улица Тургунова"),
    ("Шернияз көшесі", "улица Шернияза"),
    ("Молдағұлова даңғылы", "проспект Молдагуловой"),
    ("Батыс-2 шағын ауданы", "микрорайон Батыс-2"),
    ("Жанкожа батыр көшесі", "улица Жанкожа батыра"),
];

async fn load_city(store: &Store, setup: &DemoSetup) -> Result<(), String> {
    let now = Utc::now();
    let actor = "system:demo";
    let err = |e: store::StoreError| e.to_string();
    let mut school_ids = Vec::new();
    for (i, (kk, ru, address, places)) in SCHOOLS.iter().enumerate() {
        let bin = school_bin(i);
        let design: i64 = places.iter().map(|(_, p)| p).sum::<i64>() * 10;
        let id = store
            .create_school(
                &NewSchool {
                    bin: &bin,
                    name_kk: kk,
                    name_ru: ru,
                    address,
                    phone: &format!("+7 7132 {:02} {:02} {:02}", 50 + i, 10 + i, 20 + i),
                    email: &format!("school{}@aktobe-edu.kz", i + 1),
                    design_capacity: design,
                    places,
                },
                actor,
                "cli",
                now,
            )
            .await
            .map_err(err)?;
        school_ids.push(id);
    }
    // Each street is split among the schools near it: the school on it serves houses 1–60,
    // the next school 61–150; the last street belongs to no school (an uncovered address).
    for (i, (kk, ru)) in STREETS.iter().enumerate() {
        let street = store.create_street(kk, ru).await.map_err(err)?;
        if i < school_ids.len() {
            store
                .add_territory_range(school_ids[i], street, 1, 60)
                .await
                .map_err(err)?;
            store
                .add_territory_range(school_ids[(i + 1) % school_ids.len()], street, 61, 150)
                .await
                .map_err(err)?;
        }
    }
    let today = now.date_naive();
    let year = AcademicYear::next_intake_on_or_after(today).map_err(|e| e.to_string())?;
    let mut campaign = Campaign::standard_defaults(year);
    campaign.one_application_per_child = true;
    open_for_demo(&mut campaign, today);
    campaign
        .validate()
        .map_err(|e| format!("demo campaign: {e:?}"))?;
    let rules = serde_json::to_string(&campaign).map_err(|e| e.to_string())?;
    store
        .create_campaign(year.as_str(), &rules, actor, "cli", now)
        .await
        .map_err(err)?;
    // Staff: the clerk and the director of school 1, the clerk of school 2, the administrator.
    let grants = [
        (2, StaffRoleKind::Clerk, Some(school_ids[0])),
        (3, StaffRoleKind::Director, Some(school_ids[0])),
        (4, StaffRoleKind::Clerk, Some(school_ids[1])),
        (5, StaffRoleKind::Admin, None),
    ];
    for (person, role, school) in grants {
        let iin = &setup.people[person].iin;
        store
            .grant_staff_role(iin, role, school, actor, "cli", now)
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Registered in 1995–1999, one month apart.
fn school_bin(i: usize) -> String {
    make_bin(
        &format!("{:02}{:02}", 95 + i % 5, 1 + i),
        1000 + i as u32 * 37,
    )
}

/// The demo campaign is open on the day the demo runs, whatever the date; the standard's
/// dates stay the default of a real campaign.
fn open_for_demo(c: &mut Campaign, today: NaiveDate) {
    c.first_grade_window.opens = c.first_grade_window.opens.min(today);
    c.first_grade_window.closes = c.first_grade_window.closes.max(today);
    c.other_grades_until = c.other_grades_until.max(today);
}

async fn keep_campaign_open(store: &Store) -> Result<(), String> {
    let today = Utc::now().date_naive();
    for record in store.campaigns().await.map_err(|e| e.to_string())? {
        let Ok(mut campaign) = serde_json::from_str::<Campaign>(&record.rules) else {
            continue;
        };
        let before = campaign.clone();
        open_for_demo(&mut campaign, today);
        if campaign != before {
            let rules = serde_json::to_string(&campaign).map_err(|e| e.to_string())?;
            store
                .update_campaign_rules(record.id, &rules, "system:demo", "cli", Utc::now())
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_identifiers_pass_their_check_digits() {
        for (i, p) in PEOPLE.iter().enumerate() {
            let iin = person_iin(p, i);
            domain::ids::Iin::parse(&iin).unwrap_or_else(|e| panic!("{iin}: {e:?}"));
        }
        for i in 0..SCHOOLS.len() {
            let bin = school_bin(i);
            domain::ids::Bin::parse(&bin).unwrap_or_else(|e| panic!("{bin}: {e:?}"));
        }
    }
}
