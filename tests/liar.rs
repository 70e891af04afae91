//! The kiosk doubts the server (issue 11, item 8): the real `capture-kiosk sync --once`
//! against a service on loopback that lies — answers that never end or say they are
//! huge, a roster with a repeated row, an empty or cut roster. The kiosk keeps its memory,
//! its roster and its ability to sync.

mod common;

use common::central::SyncKiosk;
use common::liar::{Liar, Lie};

const NO_DECISIONS: &str = r#"{"decisions":[],"cursor":0,"more":false}"#;

/// A kiosk of this liar holding the four-row roster a staff member imported.
fn kiosk_of(liar: &Liar) -> SyncKiosk {
    let kiosk = SyncKiosk::new(&liar.base, "a-token");
    let csv = kiosk.config().with_file_name("roster.csv");
    std::fs::write(
        &csv,
        "admission_no,name,education_level\n000011110001,王小明,本科\n000011110002,李华,本科\n\
         000011110003,张伟,本科\n000011110004,赵六,本科\n",
    )
    .unwrap();
    let (code, out) = kiosk.cli(&["roster", "import", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    liar.set("/v1/decisions", Lie::Json(200, NO_DECISIONS.into()));
    kiosk
}

fn roster_len(kiosk: &SyncKiosk) -> u64 {
    capture_kiosk::store::Store::open(&kiosk.data())
        .unwrap()
        .roster_len()
        .unwrap()
}

/// The largest resident size of any child process this test binary has waited for, in MB.
fn children_peak_mb() -> i64 {
    // SAFETY: getrusage writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss / 1024
}

#[test]
fn an_answer_that_never_ends_or_says_it_is_huge_is_dropped_at_its_cap() {
    let liar = Liar::start();
    let kiosk = kiosk_of(&liar);

    // 300 MB of roster, chunked: read up to the cap (48 MiB), then dropped.
    liar.set("/v1/roster", Lie::Endless(300 << 20));
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("GET /v1/roster: HTTP 200: the answer is larger than 50331648 bytes"),
        "{out}"
    );
    assert_eq!(roster_len(&kiosk), 4, "the roster in use is kept");
    let served = liar.served.load(std::sync::atomic::Ordering::Relaxed) >> 20;
    assert!(served < 150, "the kiosk stopped reading: {served} MB sent");
    let peak = children_peak_mb();
    assert!(
        peak < 250,
        "the kiosk holds at most the cap in memory, not the 300 MB offered: {peak} MB"
    );

    // A length of 300 MB declared: dropped before a byte of it is read.
    liar.set("/v1/roster", Lie::Declares(300 << 20));
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the answer is larger than"), "{out}");
    assert_eq!(roster_len(&kiosk), 4);

    // The same for a receipt-sized call: an error answer of 1 MB is not the service's.
    liar.roster(
        1,
        &[
            ("000011110001", "王小明"),
            ("000011110002", "李华"),
            ("000011110003", "张伟"),
        ],
    );
    liar.set(
        "/v1/decisions",
        Lie::Json(500, format!(r#"{{"error":"{}"}}"#, "x".repeat(5 << 20))),
    );
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("roster: version 1 applied, 3 entries"),
        "{out}"
    );
    assert!(
        out.contains("GET /v1/decisions: HTTP 500: the answer is larger than 4194304 bytes"),
        "{out}"
    );
}

#[test]
fn a_repeated_row_is_left_out_and_an_empty_or_cut_roster_waits_for_staff() {
    let liar = Liar::start();
    let kiosk = kiosk_of(&liar);

    // A repeated row: the first kept, the repeat reported, the sync goes on.
    let rows = [
        ("000011110001", "王小明"),
        ("000011110002", "李华"),
        ("000011110002", "李华"),
        ("000011110003", "张伟"),
        ("000011110005", "钱七"),
    ];
    liar.roster(2, &rows);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "roster: version 2 applied, 4 entries (0 invalid rows left out, 1 duplicated rows left out)"
        ),
        "{out}"
    );
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "a repeated row does not stop later syncs: {out}");

    // An older version than the one held, passed off as new: ignored, and said.
    liar.set(
        "/v1/roster",
        Lie::Always(r#"{"version":1,"published_at":"2026-12-01T00:00:00Z","entries":[]}"#.into()),
    );
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the service sent roster version 1, asked for one newer than 2; ignored"),
        "{out}"
    );
    assert_eq!(roster_len(&kiosk), 4);

    // An empty roster is held back: the four in use stay, at every pass, until staff decide.
    liar.roster(3, &[]);
    for _ in 0..2 {
        let (code, out) = kiosk.sync(&[]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(
                "roster version 3 has 0 usable rows against the 4 in use: kept the roster in use"
            ),
            "{out}"
        );
        assert!(out.contains("capture-kiosk roster confirm 3"), "{out}");
        assert_eq!(roster_len(&kiosk), 4);
    }

    // A cut roster, one of four: held back in its place. Staff confirm the older one:
    // refused, nothing changes.
    liar.roster(4, &rows[..1]);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("roster version 4 has 1 usable rows against the 4 in use"),
        "{out}"
    );
    let (code, out) = kiosk.cli(&["roster", "confirm", "3"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("roster version 3 is not held back (version 4 is)"),
        "{out}"
    );
    assert_eq!(roster_len(&kiosk), 4);

    // Staff confirm version 4: the next sync applies it.
    let (code, out) = kiosk.cli(&["roster", "confirm", "4"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("roster version 4 (1 usable rows) confirmed"),
        "{out}"
    );
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("roster: version 4 applied, 1 entries"),
        "{out}"
    );
    assert_eq!(roster_len(&kiosk), 1);

    // Half of the roster in use is not "under half": applied without staff.
    liar.roster(5, &rows[..2]);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    liar.roster(6, &rows[..1]);
    let (code, out) = kiosk.sync(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("roster: version 6 applied, 1 entries"),
        "{out}"
    );

    // Both the holding back and the confirmation are in the audit log.
    let db = rusqlite::Connection::open(kiosk.data().join("kiosk.db")).unwrap();
    let actions: Vec<(String, String)> = db
        .prepare("SELECT actor, action FROM audit WHERE action LIKE 'roster.%' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let held = actions.iter().filter(|a| a.1 == "roster.held_back").count();
    assert!(held >= 2, "{actions:?}");
    assert!(
        actions.contains(&("staff".into(), "roster.confirmed".into())),
        "{actions:?}"
    );
}
