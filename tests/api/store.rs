//! Store conformance: every check runs unchanged against SQLite and
//! PostgreSQL, each on a fresh database.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use uuid::Uuid;
use varsel::core::domain::{
    Authority, CaseStatus, Category, Decision, LegalBasis, Role, Severity, SubtypeKey,
};
use varsel::core::store::{
    Attachment, Author, Case, EscalationRecord, Holder, KeyWrap, Message, NewCase, Retriage, Store,
    StoreError, StoredDeadlineFacts, StoredFeedbackExtension, TriageFacts, User,
};

use crate::helpers::{self, PgTestDb};

/// Runs `check` on a fresh SQLite store.
async fn on_sqlite<F, Fut>(check: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, _dir) = helpers::sqlite_store().await;
    check(store).await;
}

/// Runs `check` on a fresh PostgreSQL database, dropping it afterwards even
/// if the check fails.
async fn on_postgres<F, Fut>(check: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, db) = PgTestDb::create().await;
    let outcome = AssertUnwindSafe(check(store)).catch_unwind().await;
    db.destroy().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// One test per backend for a check: `store::<check>::sqlite` and
/// `store::<check>::postgres`.
macro_rules! conformance {
    ($($check:ident),* $(,)?) => {$(
        mod $check {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::on_sqlite(super::$check).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::on_postgres(super::$check).await;
            }
        }
    )*};
}

conformance!(
    check_migrate_is_idempotent,
    check_users_round_trip,
    check_duplicate_username_conflicts,
    check_settings,
    check_setting_is_initialised_once,
    check_case_round_trip,
    check_lookup_tag_collision_stores_nothing,
    check_duplicate_wrap_stores_nothing,
    check_inbox_and_unread,
    check_messages_in_order,
    check_concurrent_messages_get_distinct_seqs,
    check_status_and_acknowledge,
    check_unknown_case_is_not_found,
    check_attachments,
    check_case_created_with_attachments,
    check_thread_entries_are_atomic_and_bounded,
    check_every_byte_value_round_trips,
    check_audit_log_appends_a_verifiable_chain,
    check_concurrent_audit_appends_form_one_chain,
    check_groups_members_and_leads,
    check_routing_rules_are_stored_in_order,
    check_deadline_facts_take_the_earliest_real_decisions,
    check_feedback_extension_is_recorded_once,
);

// ---- fixtures -------------------------------------------------------------

/// Every byte value once, then again reversed.
fn all_bytes() -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..=255).collect();
    bytes.extend((0..=255u8).rev());
    bytes
}

fn user(username: &str) -> User {
    User {
        id: Uuid::new_v4(),
        username: username.to_owned(),
        display_name: format!("Display {username}"),
        roles: vec![Role::Handler, Role::Admin],
        recipient: format!("age1{username}"),
        wrapped_identity: format!("identity of {username}").into_bytes(),
        email: Some(format!("{username}@example.org")),
        active: true,
        groups: vec!["okonomi".to_owned(), "hr".to_owned()],
        created_at: 1_700_000_000,
    }
}

fn case(received_at: i64) -> Case {
    Case {
        id: Uuid::new_v4(),
        recipient: "age1case".to_owned(),
        category: Category::Varsling,
        severity: Severity::Middels,
        suggested_severity: Severity::Hoy,
        status: CaseStatus::Received,
        received_at,
        acknowledged_at: None,
        updated_at: received_at,
        reporter_seq: 1,
        report: b"age-encryption.org/v1 report".to_vec(),
    }
}

fn tag(n: u8) -> [u8; 32] {
    let mut tag = [n; 32];
    tag[0] = 0;
    tag[31] = 0xff;
    tag
}

fn wrap(holder: Holder) -> KeyWrap {
    let wrapped = format!("wrap for {}", holder.as_db()).into_bytes();
    KeyWrap { holder, wrapped }
}

fn new_case(case: Case, tag: [u8; 32], wrapped_to: &[Uuid]) -> NewCase {
    let mut wraps = vec![wrap(Holder::Reporter), wrap(Holder::Recovery)];
    wraps.extend(wrapped_to.iter().map(|id| wrap(Holder::User(*id))));
    NewCase {
        case,
        subtype: None,
        lookup_tag: tag,
        wraps,
        sealed_exclusions: None,
        attachments: Vec::new(),
        next_deadline: None,
        deadline_rules: None,
        submission: None,
    }
}

fn message(case_id: Uuid, author: Author, by: Option<Uuid>, at: i64, body: &[u8]) -> Message {
    Message {
        id: Uuid::new_v4(),
        case_id,
        seq: 99,
        author,
        author_user_id: by,
        created_at: at,
        body: body.to_vec(),
        kind: Default::default(),
    }
}

fn attachment(case_id: Uuid, author: Author, at: i64, name: &[u8]) -> Attachment {
    Attachment {
        id: Uuid::new_v4(),
        case_id,
        author,
        name: name.to_vec(),
        size: 1234,
        created_at: at,
    }
}

fn assert_user_eq(got: &User, want: &User) {
    let mut groups = want.groups.clone();
    groups.sort();
    assert_eq!(got.id, want.id);
    assert_eq!(got.username, want.username);
    assert_eq!(got.display_name, want.display_name);
    assert_eq!(got.roles, want.roles);
    assert_eq!(got.recipient, want.recipient);
    assert_eq!(got.wrapped_identity, want.wrapped_identity);
    assert_eq!(got.email, want.email);
    assert_eq!(got.active, want.active);
    assert_eq!(got.groups, groups);
    assert_eq!(got.created_at, want.created_at);
}

fn assert_case_eq(got: &Case, want: &Case) {
    assert_eq!(got.id, want.id);
    assert_eq!(got.recipient, want.recipient);
    assert_eq!(got.category, want.category);
    assert_eq!(got.severity, want.severity);
    assert_eq!(got.suggested_severity, want.suggested_severity);
    assert_eq!(got.status, want.status);
    assert_eq!(got.received_at, want.received_at);
    assert_eq!(got.acknowledged_at, want.acknowledged_at);
    assert_eq!(got.updated_at, want.updated_at);
    assert_eq!(got.reporter_seq, want.reporter_seq);
    assert_eq!(got.report, want.report);
}

async fn stored_case(store: &Arc<dyn Store>, id: Uuid) -> Case {
    store.case_by_id(id).await.unwrap().expect("case stored")
}

/// (case id, unread) for each inbox line, in order.
async fn inbox_of(store: &Arc<dyn Store>, user: Uuid) -> Vec<(Uuid, bool)> {
    crate::app::inbox_lines(store, user)
        .await
        .into_iter()
        .map(|e| (e.case_id, e.unread))
        .collect()
}

// ---- checks ---------------------------------------------------------------

async fn check_migrate_is_idempotent(store: Arc<dyn Store>) {
    // The fixture migrated once already.
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);
    store.create_user(&user("after")).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
}

async fn check_users_round_trip(store: Arc<dyn Store>) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    assert!(store.list_users().await.unwrap().is_empty());

    let kari = user("kari");
    // Ordered by code point, on both backends: upper case before lower.
    let capital = user("Zelda");
    let mut bare = user("anders");
    bare.roles = Vec::new();
    bare.groups = Vec::new();
    bare.email = None;
    bare.active = false;
    let mut ola = user("ola");
    ola.roles = vec![Role::Contact, Role::Handler, Role::Admin, Role::Auditor];
    ola.groups = vec!["c".to_owned(), "a".to_owned(), "b".to_owned()];
    for u in [&kari, &bare, &ola, &capital] {
        store.create_user(u).await.unwrap();
    }

    assert_eq!(store.count_users().await.unwrap(), 4);
    assert_user_eq(
        &store.user_by_username("kari").await.unwrap().unwrap(),
        &kari,
    );
    assert_user_eq(&store.user_by_id(ola.id).await.unwrap().unwrap(), &ola);
    assert_user_eq(&store.user_by_id(bare.id).await.unwrap().unwrap(), &bare);
    assert_eq!(
        store.user_by_id(ola.id).await.unwrap().unwrap().groups,
        ["a", "b", "c"]
    );
    assert!(store.user_by_username("nobody").await.unwrap().is_none());
    assert!(store.user_by_username("KARI").await.unwrap().is_none());
    assert!(store.user_by_id(Uuid::new_v4()).await.unwrap().is_none());

    let all = store.list_users().await.unwrap();
    let names: Vec<&str> = all.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["Zelda", "anders", "kari", "ola"]);
    assert_user_eq(&all[0], &capital);
    assert_user_eq(&all[1], &bare);
    assert_user_eq(&all[2], &kari);
    assert_user_eq(&all[3], &ola);
}

async fn check_duplicate_username_conflicts(store: Arc<dyn Store>) {
    let first = user("kari");
    store.create_user(&first).await.unwrap();

    let mut second = user("kari");
    second.groups = vec!["other".to_owned()];
    let err = store.create_user(&second).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "got {err:?}");
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert!(store.user_by_id(second.id).await.unwrap().is_none());
    assert_user_eq(
        &store.user_by_username("kari").await.unwrap().unwrap(),
        &first,
    );

    // The same id under another name is a conflict too.
    let mut same_id = user("other");
    same_id.id = first.id;
    let err = store.create_user(&same_id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "got {err:?}");
    assert_eq!(store.count_users().await.unwrap(), 1);
}

async fn check_settings(store: Arc<dyn Store>) {
    assert_eq!(store.setting("org_name").await.unwrap(), None);
    store.set_setting("org_name", "Kommune").await.unwrap();
    store.set_setting("lang", "nb").await.unwrap();
    assert_eq!(
        store.setting("org_name").await.unwrap().as_deref(),
        Some("Kommune")
    );
    store.set_setting("org_name", "Fylke æøå").await.unwrap();
    assert_eq!(
        store.setting("org_name").await.unwrap().as_deref(),
        Some("Fylke æøå")
    );
    assert_eq!(store.setting("lang").await.unwrap().as_deref(), Some("nb"));
    store.set_setting("empty", "").await.unwrap();
    assert_eq!(store.setting("empty").await.unwrap().as_deref(), Some(""));
}

async fn check_setting_is_initialised_once(store: Arc<dyn Store>) {
    let racers = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .setting_or_init("shared_key", &format!("candidate-{i}"))
                .await
                .unwrap()
        })
    });
    let won: Vec<String> = futures_util::future::join_all(racers)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(won[0].starts_with("candidate-"));
    assert!(
        won.iter().all(|v| *v == won[0]),
        "every racer sees one value: {won:?}"
    );
    assert_eq!(
        store.setting_or_init("shared_key", "later").await.unwrap(),
        won[0],
        "an initialised setting keeps its value"
    );
}

async fn check_case_round_trip(store: Arc<dyn Store>) {
    let handler = user("handler");
    let excluded = user("excluded");
    let other = user("other");
    for u in [&handler, &excluded, &other] {
        store.create_user(u).await.unwrap();
    }
    let mut c = case(1_700_000_000);
    c.acknowledged_at = Some(1_700_000_100);
    let mut new = new_case(c.clone(), tag(7), &[handler.id, other.id]);
    new.sealed_exclusions = Some(b"sealed exclusions".to_vec());
    store.create_case(&new).await.unwrap();

    assert_case_eq(&store.case_by_tag(&tag(7)).await.unwrap().unwrap(), &c);
    assert_case_eq(&stored_case(&store, c.id).await, &c);
    assert!(store.case_by_tag(&tag(8)).await.unwrap().is_none());
    assert!(store.case_by_id(Uuid::new_v4()).await.unwrap().is_none());

    for w in &new.wraps {
        assert_eq!(
            store.key_wrap(c.id, &w.holder).await.unwrap().as_deref(),
            Some(&w.wrapped[..]),
            "wrap for {:?}",
            w.holder
        );
    }
    assert!(store
        .key_wrap(c.id, &Holder::User(excluded.id))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .key_wrap(Uuid::new_v4(), &Holder::Reporter)
        .await
        .unwrap()
        .is_none());

    let mut holders = store.key_holders(c.id).await.unwrap();
    holders.sort_by_key(Holder::as_db);
    let mut want: Vec<Holder> = new.wraps.iter().map(|w| w.holder.clone()).collect();
    want.sort_by_key(Holder::as_db);
    assert_eq!(holders, want);
    assert!(store.key_holders(Uuid::new_v4()).await.unwrap().is_empty());

    assert_eq!(
        store.sealed_exclusions(c.id).await.unwrap().as_deref(),
        Some(&b"sealed exclusions"[..])
    );
    assert!(store
        .sealed_exclusions(Uuid::new_v4())
        .await
        .unwrap()
        .is_none());

    // A case with no user wraps and no exclusions row.
    let c2 = case(1_700_086_400);
    let new2 = new_case(c2.clone(), tag(9), &[]);
    store.create_case(&new2).await.unwrap();
    assert!(store.sealed_exclusions(c2.id).await.unwrap().is_none());
    assert!(store.plaintext_exclusions().await.unwrap().is_empty());
    assert_eq!(store.key_holders(c2.id).await.unwrap().len(), 2);
}

async fn check_lookup_tag_collision_stores_nothing(store: Arc<dyn Store>) {
    let handler = user("handler");
    let excluded = user("excluded");
    store.create_user(&handler).await.unwrap();
    store.create_user(&excluded).await.unwrap();
    let first = case(1_700_000_000);
    store
        .create_case(&new_case(first.clone(), tag(1), &[]))
        .await
        .unwrap();

    let second = case(1_700_086_400);
    let mut clash = new_case(second.clone(), tag(1), &[handler.id]);
    clash.sealed_exclusions = Some(excluded.id.to_string().into_bytes());
    let err = store.create_case(&clash).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "got {err:?}");

    assert!(store.case_by_id(second.id).await.unwrap().is_none());
    for holder in [Holder::Reporter, Holder::Recovery, Holder::User(handler.id)] {
        assert!(store.key_wrap(second.id, &holder).await.unwrap().is_none());
    }
    assert!(store.key_holders(second.id).await.unwrap().is_empty());
    assert!(store.sealed_exclusions(second.id).await.unwrap().is_none());
    assert!(inbox_of(&store, handler.id).await.is_empty());
    assert_case_eq(&store.case_by_tag(&tag(1)).await.unwrap().unwrap(), &first);
    assert_eq!(store.key_holders(first.id).await.unwrap().len(), 2);

    // The same case id under another tag is a conflict as well.
    let mut same_id = case(1_700_000_000);
    same_id.id = first.id;
    let err = store
        .create_case(&new_case(same_id, tag(2), &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "got {err:?}");
    assert!(store.case_by_tag(&tag(2)).await.unwrap().is_none());
}

async fn check_duplicate_wrap_stores_nothing(store: Arc<dyn Store>) {
    // A failure after the case row went in (two wraps for one holder) rolls
    // the case back too.
    let c = case(1_700_000_000);
    let mut new = new_case(c.clone(), tag(3), &[]);
    new.wraps.push(wrap(Holder::Reporter));
    let err = store.create_case(&new).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "got {err:?}");
    assert!(store.case_by_id(c.id).await.unwrap().is_none());
    assert!(store.case_by_tag(&tag(3)).await.unwrap().is_none());
    assert!(store.key_holders(c.id).await.unwrap().is_empty());

    // The tag is free for a correct case afterwards.
    store
        .create_case(&new_case(c.clone(), tag(3), &[]))
        .await
        .unwrap();
    assert_case_eq(&stored_case(&store, c.id).await, &c);
}

async fn check_inbox_and_unread(store: Arc<dyn Store>) {
    let a = user("a");
    let b = user("b");
    let nobody = user("nobody");
    for u in [&a, &b, &nobody] {
        store.create_user(u).await.unwrap();
    }
    let day = 86_400;
    let older = case(1_700_000_000);
    let newer = case(1_700_000_000 + day);
    let unrouted = case(1_700_000_000 + 2 * day);
    store
        .create_case(&new_case(older.clone(), tag(1), &[a.id]))
        .await
        .unwrap();
    store
        .create_case(&new_case(newer.clone(), tag(2), &[a.id, b.id]))
        .await
        .unwrap();
    store
        .create_case(&new_case(unrouted.clone(), tag(3), &[]))
        .await
        .unwrap();

    // Newest first; everything unread to start with.
    let inbox = crate::app::inbox_lines(&store, a.id).await;
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].case_id, newer.id);
    assert_eq!(inbox[1].case_id, older.id);
    assert_eq!(
        inbox_of(&store, a.id).await,
        [(newer.id, true), (older.id, true)]
    );
    assert_eq!(inbox_of(&store, b.id).await, [(newer.id, true)]);
    assert!(inbox_of(&store, nobody.id).await.is_empty());
    assert!(inbox_of(&store, Uuid::new_v4()).await.is_empty());

    // Reading is per user.
    store.mark_read(newer.id, a.id).await.unwrap();
    assert_eq!(
        inbox_of(&store, a.id).await,
        [(newer.id, false), (older.id, true)]
    );
    assert_eq!(inbox_of(&store, b.id).await, [(newer.id, true)]);

    // A reporter message makes it unread again; reading clears it.
    let at = 1_700_000_000 + 3 * day;
    store
        .add_message(&message(newer.id, Author::Reporter, None, at, b"hello"))
        .await
        .unwrap();
    assert_eq!(
        inbox_of(&store, a.id).await,
        [(newer.id, true), (older.id, true)]
    );
    store.mark_read(newer.id, a.id).await.unwrap();
    store.mark_read(newer.id, a.id).await.unwrap();
    assert_eq!(
        inbox_of(&store, a.id).await,
        [(newer.id, false), (older.id, true)]
    );

    // Staff activity does not.
    store
        .add_message(&message(
            newer.id,
            Author::Staff,
            Some(b.id),
            at + 10,
            b"hi",
        ))
        .await
        .unwrap();
    store
        .add_attachment(&attachment(newer.id, Author::Staff, at + 20, b"x.pdf"))
        .await
        .unwrap();
    assert_eq!(
        inbox_of(&store, a.id).await,
        [(newer.id, false), (older.id, true)]
    );

    // A reporter upload does.
    store
        .add_attachment(&attachment(newer.id, Author::Reporter, at, b"y.pdf"))
        .await
        .unwrap();
    assert_eq!(
        inbox_of(&store, a.id).await,
        [(newer.id, true), (older.id, true)]
    );

    // Cases received the same day are in their order of arrival.
    let same_day: Vec<Case> = (0..3).map(|_| case(1_600_000_000)).collect();
    for (i, c) in same_day.iter().enumerate() {
        let n = u8::try_from(10 + i).unwrap();
        store
            .create_case(&new_case(c.clone(), tag(n), &[nobody.id]))
            .await
            .unwrap();
    }
    let ids: Vec<Uuid> = inbox_of(&store, nobody.id)
        .await
        .iter()
        .map(|(id, _)| *id)
        .collect();
    let want: Vec<Uuid> = same_day.iter().map(|c| c.id).collect();
    assert_eq!(ids, want);
}

async fn check_messages_in_order(store: Arc<dyn Store>) {
    let staff = user("staff");
    store.create_user(&staff).await.unwrap();
    let c = case(1_700_000_000);
    let other = case(1_700_000_000);
    store
        .create_case(&new_case(c.clone(), tag(1), &[staff.id]))
        .await
        .unwrap();
    store
        .create_case(&new_case(other.clone(), tag(2), &[staff.id]))
        .await
        .unwrap();
    assert!(store.messages(c.id).await.unwrap().is_empty());

    let sent = [
        message(c.id, Author::Reporter, None, 1_700_086_400, b"first"),
        message(
            c.id,
            Author::Staff,
            Some(staff.id),
            1_700_090_000,
            b"second",
        ),
        message(c.id, Author::Reporter, None, 1_700_172_800, &all_bytes()),
    ];
    for (i, m) in sent.iter().enumerate() {
        let seq = store.add_message(m).await.unwrap();
        assert_eq!(seq, i64::try_from(i).unwrap() + 1);
    }
    // Another case's thread starts from 1.
    let seq = store
        .add_message(&message(other.id, Author::Staff, None, 1, b"own"))
        .await
        .unwrap();
    assert_eq!(seq, 1);

    let got = store.messages(c.id).await.unwrap();
    assert_eq!(got.len(), 3);
    for (i, (got, want)) in got.iter().zip(&sent).enumerate() {
        assert_eq!(got.seq, i64::try_from(i).unwrap() + 1);
        assert_eq!(got.id, want.id);
        assert_eq!(got.case_id, c.id);
        assert_eq!(got.author, want.author);
        assert_eq!(got.author_user_id, want.author_user_id);
        assert_eq!(got.created_at, want.created_at);
        assert_eq!(got.body, want.body);
    }

    // Two reporter messages raised the counter; the last message set updated_at.
    let stored = stored_case(&store, c.id).await;
    assert_eq!(stored.reporter_seq, 3);
    assert_eq!(stored.updated_at, 1_700_172_800);
    let stored = stored_case(&store, other.id).await;
    assert_eq!(stored.reporter_seq, 1);
    assert_eq!(stored.updated_at, 1);
    assert_eq!(store.messages(other.id).await.unwrap().len(), 1);
}

async fn check_concurrent_messages_get_distinct_seqs(store: Arc<dyn Store>) {
    let c = case(1_700_000_000);
    store
        .create_case(&new_case(c.clone(), tag(1), &[]))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = Arc::clone(&store);
        let author = if i % 2 == 0 {
            Author::Reporter
        } else {
            Author::Staff
        };
        let m = message(
            c.id,
            author,
            None,
            1_700_000_000 + i,
            &[u8::try_from(i).unwrap()],
        );
        tasks.push(tokio::spawn(async move { store.add_message(&m).await }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=12).collect::<Vec<i64>>());
    let got: Vec<i64> = store
        .messages(c.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(got, (1..=12).collect::<Vec<i64>>());
    assert_eq!(stored_case(&store, c.id).await.reporter_seq, 1 + 6);
}

async fn check_audit_log_appends_a_verifiable_chain(store: Arc<dyn Store>) {
    use varsel::core::audit::{verify, GENESIS_HASH};
    assert!(store.audit_entries().await.unwrap().is_empty());
    let case_id = Uuid::new_v4();
    let user = format!("user:{}", Uuid::new_v4());
    let appended = [
        (
            86_400,
            "cli",
            "user.created",
            None,
            r#"{"roles":["handler"]}"#,
        ),
        (172_800, "reporter", "case.created", Some(case_id), "{}"),
        (
            172_861,
            user.as_str(),
            "case.status_changed",
            Some(case_id),
            r#"{"from":"mottatt","to":"lukket","ø":"æå"}"#,
        ),
    ];
    for (i, (at, actor, action, case, detail)) in appended.iter().enumerate() {
        let seq = store
            .append_audit(*at, actor, action, *case, detail)
            .await
            .unwrap();
        assert_eq!(seq, i as i64 + 1);
    }
    let entries = store.audit_entries().await.unwrap();
    assert_eq!(verify(&entries), Ok(3));
    assert_eq!(entries[0].prev_hash, GENESIS_HASH.to_vec());
    for (e, (at, actor, action, case, detail)) in entries.iter().zip(appended) {
        assert_eq!(e.at, at);
        assert_eq!(e.actor, actor);
        assert_eq!(e.action, action);
        assert_eq!(e.case_id, case.map(|c| c.to_string()));
        assert_eq!(e.detail, detail);
        assert_eq!(e.hash.len(), 32);
        assert_eq!(e.hash, e.expected_hash().to_vec());
    }
    assert_eq!(entries[2].prev_hash, entries[1].hash);
}

async fn check_concurrent_audit_appends_form_one_chain(store: Arc<dyn Store>) {
    const WRITERS: i64 = 20;
    let mut tasks = Vec::new();
    for i in 0..WRITERS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let detail = format!(r#"{{"writer":{i}}}"#);
            store
                .append_audit(1_700_000_000 + i, "system", "case.read", None, &detail)
                .await
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=WRITERS).collect::<Vec<i64>>());
    let entries = store.audit_entries().await.unwrap();
    assert_eq!(varsel::core::audit::verify(&entries), Ok(WRITERS as usize));
}

async fn check_status_and_acknowledge(store: Arc<dyn Store>) {
    let c = case(1_700_000_000);
    store
        .create_case(&new_case(c.clone(), tag(1), &[]))
        .await
        .unwrap();

    store
        .set_status(c.id, CaseStatus::UnderInvestigation, 1_700_000_500, None)
        .await
        .unwrap();
    let s = stored_case(&store, c.id).await;
    assert_eq!(s.status, CaseStatus::UnderInvestigation);
    assert_eq!(s.updated_at, 1_700_000_500);
    assert_eq!(s.acknowledged_at, None);

    store
        .acknowledge(c.id, CaseStatus::Acknowledged, 1_700_001_000, None)
        .await
        .unwrap();
    let s = stored_case(&store, c.id).await;
    assert_eq!(s.status, CaseStatus::Acknowledged);
    assert_eq!(s.acknowledged_at, Some(1_700_001_000));
    assert_eq!(s.updated_at, 1_700_001_000);

    // A second acknowledgement keeps the first time but updates the rest.
    store
        .acknowledge(c.id, CaseStatus::UnderInvestigation, 1_700_002_000, None)
        .await
        .unwrap();
    let s = stored_case(&store, c.id).await;
    assert_eq!(s.status, CaseStatus::UnderInvestigation);
    assert_eq!(s.acknowledged_at, Some(1_700_001_000));
    assert_eq!(s.updated_at, 1_700_002_000);

    // Other fields are untouched.
    assert_eq!(s.report, c.report);
    assert_eq!(s.received_at, c.received_at);
    assert_eq!(s.reporter_seq, c.reporter_seq);
}

async fn check_unknown_case_is_not_found(store: Arc<dyn Store>) {
    let u = user("u");
    store.create_user(&u).await.unwrap();
    let missing = Uuid::new_v4();
    let not_found = |r: Result<_, StoreError>| matches!(r, Err(StoreError::NotFound));
    assert!(not_found(
        store
            .set_status(missing, CaseStatus::Closed, 1, None)
            .await
            .map(|_| 0)
    ));
    assert!(not_found(
        store
            .acknowledge(missing, CaseStatus::Closed, 1, None)
            .await
            .map(|_| 0)
    ));
    assert!(not_found(store.mark_read(missing, u.id).await.map(|_| 0)));
    assert!(not_found(
        store
            .add_message(&message(missing, Author::Reporter, None, 1, b"m"))
            .await
    ));
    assert!(not_found(
        store
            .add_attachment(&attachment(missing, Author::Reporter, 1, b"a"))
            .await
            .map(|_| 0)
    ));
    assert!(store.messages(missing).await.unwrap().is_empty());
    assert!(store.attachments(missing).await.unwrap().is_empty());
}

async fn check_attachments(store: Arc<dyn Store>) {
    let c = case(1_700_000_000);
    store
        .create_case(&new_case(c.clone(), tag(1), &[]))
        .await
        .unwrap();
    assert!(store.attachments(c.id).await.unwrap().is_empty());

    let first = attachment(c.id, Author::Reporter, 1_700_000_000, b"report.pdf");
    let mut second = attachment(c.id, Author::Staff, 1_700_090_000, &all_bytes());
    second.size = 5 * 1024 * 1024 * 1024;
    let third = attachment(c.id, Author::Reporter, 1_700_172_800, b"photo.jpg");
    // Stored out of order: listed oldest first.
    for a in [&second, &first, &third] {
        store.add_attachment(a).await.unwrap();
    }

    let listed = store.attachments(c.id).await.unwrap();
    let ids: Vec<Uuid> = listed.iter().map(|a| a.id).collect();
    assert_eq!(ids, [first.id, second.id, third.id]);
    for (got, want) in listed.iter().zip([&first, &second, &third]) {
        assert_eq!(got.case_id, want.case_id);
        assert_eq!(got.author, want.author);
        assert_eq!(got.name, want.name);
        assert_eq!(got.size, want.size);
        assert_eq!(got.created_at, want.created_at);
    }

    let got = store.attachment(second.id).await.unwrap().unwrap();
    assert_eq!(got.id, second.id);
    assert_eq!(got.author, Author::Staff);
    assert_eq!(got.name, all_bytes());
    assert_eq!(got.size, 5 * 1024 * 1024 * 1024);
    assert!(store.attachment(Uuid::new_v4()).await.unwrap().is_none());

    // Two reporter uploads raised the counter; the staff one did not.
    assert_eq!(stored_case(&store, c.id).await.reporter_seq, 3);
}

async fn check_every_byte_value_round_trips(store: Arc<dyn Store>) {
    let bytes = all_bytes();
    let mut big = Vec::with_capacity(1 << 20);
    let mut x: u32 = 0x9e37_79b9;
    while big.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.extend_from_slice(&x.to_le_bytes());
    }

    let mut u = user("bytes");
    u.wrapped_identity = bytes.clone();
    store.create_user(&u).await.unwrap();
    assert_eq!(
        store
            .user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .wrapped_identity,
        bytes
    );

    let mut c = case(1_700_000_000);
    c.report = big.clone();
    let mut lookup = [0u8; 32];
    for (i, b) in lookup.iter_mut().enumerate() {
        *b = u8::try_from(i * 8).unwrap();
    }
    lookup[31] = 0xff;
    let mut new = new_case(c.clone(), lookup, &[u.id]);
    for w in &mut new.wraps {
        w.wrapped = bytes.clone();
    }
    store.create_case(&new).await.unwrap();
    let got = store.case_by_tag(&lookup).await.unwrap().unwrap();
    assert_eq!(got.id, c.id);
    assert_eq!(got.report, big);
    for holder in [Holder::Reporter, Holder::Recovery, Holder::User(u.id)] {
        assert_eq!(store.key_wrap(c.id, &holder).await.unwrap().unwrap(), bytes);
    }

    store
        .add_message(&message(c.id, Author::Reporter, None, 1, &bytes))
        .await
        .unwrap();
    store
        .add_message(&message(c.id, Author::Staff, Some(u.id), 2, &[]))
        .await
        .unwrap();
    let msgs = store.messages(c.id).await.unwrap();
    assert_eq!(msgs[0].body, bytes);
    assert!(msgs[1].body.is_empty());

    let a = attachment(c.id, Author::Reporter, 1, &bytes);
    store.add_attachment(&a).await.unwrap();
    assert_eq!(store.attachment(a.id).await.unwrap().unwrap().name, bytes);
}

// ---- backend-specific -----------------------------------------------------

#[tokio::test]
async fn sqlite_creates_missing_parent_directories() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a").join("b").join("varsel.db");
    let store = varsel::core::store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.set_setting("k", "v").await.unwrap();
    assert!(file.is_file());
    drop(store);

    // Reopening finds the data.
    let store = varsel::core::store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.setting("k").await.unwrap().as_deref(), Some("v"));
}

#[tokio::test]
async fn sqlite_in_memory_works() {
    let store = varsel::core::store::connect("sqlite::memory:")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.create_user(&user("mem")).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert!(store.user_by_username("mem").await.unwrap().is_some());
}

#[tokio::test]
async fn unsupported_url_is_rejected() {
    for url in ["mysql://localhost/x", "", "file:///tmp/x.db"] {
        let err = varsel::core::store::connect(url).await.err();
        assert!(
            matches!(err, Some(StoreError::UnsupportedUrl)),
            "{url}: {err:?}"
        );
    }
}

#[test]
fn postgres_url_database_is_replaced() {
    assert_eq!(
        helpers::with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        helpers::with_database("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        helpers::with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

async fn check_case_created_with_attachments(store: Arc<dyn Store>) {
    let c = case(1_700_000_000);
    let mut new = new_case(c.clone(), tag(7), &[]);
    new.attachments = vec![
        attachment(c.id, Author::Reporter, 1_700_000_000, b"a.pdf"),
        attachment(c.id, Author::Reporter, 1_700_000_000, b"b.pdf"),
    ];
    store.create_case(&new).await.unwrap();
    assert_eq!(store.attachments(c.id).await.unwrap().len(), 2);

    // A collision rolls back the case and its attachment rows together.
    let other = case(1_700_000_001);
    let mut clash = new_case(other.clone(), tag(7), &[]);
    clash.attachments = vec![attachment(
        other.id,
        Author::Reporter,
        1_700_000_001,
        b"c.pdf",
    )];
    assert!(matches!(
        store.create_case(&clash).await,
        Err(StoreError::Conflict)
    ));
    assert!(store.attachments(other.id).await.unwrap().is_empty());
    assert!(store.case_by_id(other.id).await.unwrap().is_none());
}

async fn check_thread_entries_are_atomic_and_bounded(store: Arc<dyn Store>) {
    let c = case(1_700_000_000);
    store
        .create_case(&new_case(c.clone(), tag(8), &[]))
        .await
        .unwrap();
    let before = store.case_by_id(c.id).await.unwrap().unwrap().reporter_seq;
    let m = message(c.id, Author::Reporter, None, 1_700_086_400, b"melding");
    let files = [
        attachment(c.id, Author::Reporter, 1_700_086_400, b"1.txt"),
        attachment(c.id, Author::Reporter, 1_700_086_400, b"2.txt"),
    ];
    store
        .add_thread_entry(c.id, Author::Reporter, 1_700_086_400, Some(&m), &files, 2)
        .await
        .unwrap();
    assert_eq!(store.messages(c.id).await.unwrap().len(), 1);
    assert_eq!(store.attachments(c.id).await.unwrap().len(), 2);
    let after = store.case_by_id(c.id).await.unwrap().unwrap().reporter_seq;
    assert_eq!(
        after,
        before + 1,
        "one reporter entry raises the counter once"
    );

    // Over the limit: neither the message nor the attachment is stored.
    let m2 = message(c.id, Author::Reporter, None, 1_700_172_800, b"for mye");
    let extra = [attachment(c.id, Author::Reporter, 1_700_172_800, b"3.txt")];
    let refused = store
        .add_thread_entry(c.id, Author::Reporter, 1_700_172_800, Some(&m2), &extra, 2)
        .await;
    assert!(matches!(refused, Err(StoreError::LimitReached)));
    assert_eq!(store.messages(c.id).await.unwrap().len(), 1);
    assert_eq!(store.attachments(c.id).await.unwrap().len(), 2);

    // A staff message alone is fine at the limit and does not raise the counter.
    let m3 = message(c.id, Author::Staff, None, 1_700_172_900, b"svar");
    store
        .add_thread_entry(c.id, Author::Staff, 1_700_172_900, Some(&m3), &[], 2)
        .await
        .unwrap();
    let messages = store.messages(c.id).await.unwrap();
    assert_eq!(
        messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        store.case_by_id(c.id).await.unwrap().unwrap().reporter_seq,
        after
    );
    assert!(matches!(
        store
            .add_thread_entry(Uuid::new_v4(), Author::Staff, 1, Some(&m3), &[], 2)
            .await,
        Err(StoreError::NotFound)
    ));
}

// ---- deadlines --------------------------------------------------------------

fn decision(
    case_id: Uuid,
    by: Uuid,
    authority: &str,
    decision: &str,
    decided_at: i64,
) -> EscalationRecord {
    EscalationRecord {
        id: Uuid::new_v4(),
        case_id,
        authority: Authority::parse(authority).expect("authority"),
        decision: Decision::parse(decision).expect("decision"),
        legal_basis: LegalBasis::Other,
        rationale: b"age-encryption.org/v1 rationale".to_vec(),
        aware_at: decided_at - 50,
        decided_at,
        notified_at: None,
        decided_by: by,
        authority_reference: None,
        confirmed_by: None,
        confirmed_at: None,
        recorded_at: 1_800_000_000 - decided_at,
    }
}

async fn check_deadline_facts_take_the_earliest_real_decisions(store: Arc<dyn Store>) {
    let u = user("kontakt");
    store.create_user(&u).await.unwrap();
    let a = case(1_700_000_000);
    let b = case(1_700_086_400);
    for (c, n) in [(&a, 1), (&b, 2)] {
        store
            .create_case(&new_case(c.clone(), tag(n), &[]))
            .await
            .unwrap();
    }
    store
        .retriage(&Retriage {
            case_id: a.id,
            category: Category::Avvik,
            severity: Severity::Kritisk,
            facts: TriageFacts {
                subtype: Some(SubtypeKey::parse("personvernbrudd").expect("sub-type")),
                ..TriageFacts::default()
            },
            at: 1_700_000_100,
            added: Vec::new(),
            removed: Vec::new(),
        })
        .await
        .unwrap();
    let base = 1_700_000_000;
    for d in [
        // "defer" decides nothing, however early.
        decision(a.id, u.id, "datatilsynet", "defer", base + 100),
        decision(a.id, u.id, "nsm", "defer", base + 150),
        decision(a.id, u.id, "politi", "escalate", base + 300),
        decision(a.id, u.id, "datatilsynet", "do_not_escalate", base + 500),
        decision(a.id, u.id, "datatilsynet", "escalate", base + 400),
    ] {
        store.insert_decision(&d).await.unwrap();
    }
    store
        .acknowledge(a.id, CaseStatus::Acknowledged, base + 600, None)
        .await
        .unwrap();

    let facts = store.deadline_facts(a.id).await.unwrap().expect("stored");
    assert_eq!(
        facts,
        StoredDeadlineFacts {
            case_id: a.id,
            category: Category::Avvik,
            subtype: Some(SubtypeKey::parse("personvernbrudd").expect("sub-type")),
            severity: Severity::Kritisk,
            status: CaseStatus::Acknowledged,
            received_at: base,
            acknowledged_at: Some(base + 600),
            feedback_given_at: None,
            feedback_extended_at: None,
            first_decision_at: Some(base + 300),
            datatilsynet_decision_at: Some(base + 400),
            nsm_decision_at: None,
            retaliation_reported_at: None,
            retaliation_answered_at: None,
        }
    );

    // An NSM decision, earlier than the rest, is the first decision too.
    store
        .insert_decision(&decision(a.id, u.id, "nsm", "do_not_escalate", base + 250))
        .await
        .unwrap();
    store
        .set_status(
            a.id,
            CaseStatus::FeedbackGiven,
            base + 700,
            Some(base + 700),
        )
        .await
        .unwrap();
    let facts = store.deadline_facts(a.id).await.unwrap().expect("stored");
    assert_eq!(facts.first_decision_at, Some(base + 250));
    assert_eq!(facts.nsm_decision_at, Some(base + 250));
    assert_eq!(facts.datatilsynet_decision_at, Some(base + 400));
    assert_eq!(facts.feedback_given_at, Some(base + 700));

    assert_eq!(store.deadline_facts(Uuid::new_v4()).await.unwrap(), None);

    // Acknowledging straight to "feedback given" records the feedback too.
    store
        .acknowledge(
            b.id,
            CaseStatus::FeedbackGiven,
            base + 90_000,
            Some(base + 90_000),
        )
        .await
        .unwrap();
    store
        .acknowledge(
            b.id,
            CaseStatus::FeedbackGiven,
            base + 95_000,
            Some(base + 95_000),
        )
        .await
        .unwrap();

    // A set of cases at once: unknown ids are skipped, many ids are fine.
    let mut ids: Vec<Uuid> = (0..1_200).map(|_| Uuid::new_v4()).collect();
    ids[3] = b.id;
    ids[900] = a.id;
    let mut all = store.deadline_facts_of(&ids).await.unwrap();
    all.sort_by_key(|f| f.received_at);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], facts);
    assert_eq!(all[1].case_id, b.id);
    assert_eq!(all[1].subtype, None);
    assert_eq!(all[1].acknowledged_at, Some(base + 90_000));
    assert_eq!(all[1].feedback_given_at, Some(base + 90_000));
    assert_eq!(all[1].first_decision_at, None);
    assert_eq!(all[1].datatilsynet_decision_at, None);
    assert_eq!(all[1].nsm_decision_at, None);
    assert!(store.deadline_facts_of(&[]).await.unwrap().is_empty());
}

async fn check_feedback_extension_is_recorded_once(store: Arc<dyn Store>) {
    let u = user("hanne");
    let v = user("per");
    store.create_user(&u).await.unwrap();
    store.create_user(&v).await.unwrap();
    let c = case(1_700_000_000);
    store
        .create_case(&new_case(c.clone(), tag(1), &[u.id]))
        .await
        .unwrap();
    assert_eq!(store.feedback_extension(c.id).await.unwrap(), None);

    let reason = all_bytes();
    store
        .extend_feedback(c.id, u.id, 1_700_100_000, &reason)
        .await
        .unwrap();
    let want = StoredFeedbackExtension {
        at: 1_700_100_000,
        by: Some(u.id),
        reason: reason.clone(),
    };
    assert_eq!(
        store.feedback_extension(c.id).await.unwrap(),
        Some(want.clone())
    );
    let facts = store.deadline_facts(c.id).await.unwrap().expect("stored");
    assert_eq!(facts.feedback_extended_at, Some(1_700_100_000));
    assert_eq!(stored_case(&store, c.id).await.updated_at, 1_700_100_000);

    // Once only: a second extension changes nothing.
    assert!(matches!(
        store
            .extend_feedback(c.id, v.id, 1_700_200_000, b"again")
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.feedback_extension(c.id).await.unwrap(), Some(want));
    assert_eq!(stored_case(&store, c.id).await.updated_at, 1_700_100_000);

    assert!(matches!(
        store
            .extend_feedback(Uuid::new_v4(), u.id, 1_700_100_000, b"r")
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.feedback_extension(Uuid::new_v4()).await.unwrap(),
        None
    );
}

// ---- groups and stored routing rules ---------------------------------------

async fn check_groups_members_and_leads(store: Arc<dyn Store>) {
    use varsel::core::store::Group;
    let not_found = |r: Result<(), StoreError>| matches!(r, Err(StoreError::NotFound));
    let conflict = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Conflict));
    // An account created with groups registers them (user() is in hr and okonomi).
    let mut kari = user("kari");
    kari.groups = vec!["hr".to_owned()];
    let mut berit = user("berit");
    berit.groups = Vec::new();
    for u in [&kari, &berit] {
        store.create_user(u).await.unwrap();
    }
    store
        .create_group("infosec", "Informasjonssikkerhet", 1_700_000_000)
        .await
        .unwrap();
    assert!(conflict(store.create_group("infosec", "", 1).await));
    assert!(conflict(store.create_group("hr", "", 1).await));

    let infosec = Uuid::new_v4();
    assert!(not_found(store.add_group_member("ukjent", kari.id).await));
    assert!(not_found(store.add_group_member("infosec", infosec).await));
    store.add_group_member("infosec", kari.id).await.unwrap();
    store.add_group_member("infosec", berit.id).await.unwrap();
    assert!(conflict(store.add_group_member("infosec", kari.id).await));

    // A lead must be a member.
    let outsider = user("ola");
    store
        .create_user(&User {
            groups: Vec::new(),
            ..outsider.clone()
        })
        .await
        .unwrap();
    assert!(not_found(
        store.add_group_lead("infosec", outsider.id).await
    ));
    assert!(not_found(store.add_group_lead("ukjent", kari.id).await));
    store.add_group_lead("infosec", kari.id).await.unwrap();
    assert!(conflict(store.add_group_lead("infosec", kari.id).await));
    assert!(not_found(
        store.remove_group_lead("infosec", berit.id).await
    ));

    let groups = store.groups().await.unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["hr", "infosec"]);
    let infosec: &Group = &groups[1];
    assert_eq!(infosec.description, "Informasjonssikkerhet");
    assert_eq!(infosec.created_at, 1_700_000_000);
    assert_eq!(infosec.members, [berit.id, kari.id], "ordered by username");
    assert_eq!(infosec.leads, [kari.id]);
    assert_eq!(groups[0].members, [kari.id]);
    assert!(groups[0].leads.is_empty());
    // Membership is user_groups: the account sees its new group.
    let kari_now = store.user_by_id(kari.id).await.unwrap().unwrap();
    assert_eq!(kari_now.groups, ["hr", "infosec"]);

    // Removing a lead's membership removes the lead too.
    store.remove_group_member("infosec", kari.id).await.unwrap();
    assert!(not_found(
        store.remove_group_member("infosec", kari.id).await
    ));
    let groups = store.groups().await.unwrap();
    assert_eq!(groups[1].members, [berit.id]);
    assert!(groups[1].leads.is_empty());
    store.add_group_lead("infosec", berit.id).await.unwrap();
    store.remove_group_lead("infosec", berit.id).await.unwrap();
    assert!(store.groups().await.unwrap()[1].leads.is_empty());
}

async fn check_routing_rules_are_stored_in_order(store: Arc<dyn Store>) {
    use varsel::core::store::StoredRule;
    store.create_group("infosec", "", 1).await.unwrap();
    store.create_group("drift", "", 1).await.unwrap();
    let rule = |category: &str, severities: &[&str], groups: &[&str]| StoredRule {
        id: Uuid::new_v4(),
        position: 0,
        category: Category::parse(category).expect("category"),
        severities: severities
            .iter()
            .map(|s| Severity::parse(s).expect("severity"))
            .collect(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        created_at: 1_700_000_000,
    };
    assert!(store.routing_rules().await.unwrap().is_empty());
    let first = rule("avvik", &["lav", "kritisk"], &["infosec", "drift"]);
    let second = rule("varsling", &["hoy"], &["drift"]);
    assert_eq!(store.add_routing_rule(&first).await.unwrap(), 1);
    assert_eq!(store.add_routing_rule(&second).await.unwrap(), 2);
    // A rule naming an unregistered group is refused whole.
    let bad = rule("avvik", &["lav"], &["drift", "ukjent"]);
    assert!(matches!(
        store.add_routing_rule(&bad).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.add_routing_rule(&first).await,
        Err(StoreError::Conflict)
    ));

    let stored = store.routing_rules().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].id, first.id);
    assert_eq!(stored[0].position, 1);
    assert_eq!(stored[0].severities, [Severity::Lav, Severity::Kritisk]);
    assert_eq!(stored[0].groups, ["drift", "infosec"]);
    assert_eq!(stored[0].created_at, 1_700_000_000);
    assert_eq!(stored[1].id, second.id);
    assert_eq!(stored[1].groups, ["drift"]);

    store.delete_routing_rule(first.id).await.unwrap();
    assert!(matches!(
        store.delete_routing_rule(first.id).await,
        Err(StoreError::NotFound)
    ));
    let third = rule("sikkerhet", &["middels"], &["infosec"]);
    assert_eq!(store.add_routing_rule(&third).await.unwrap(), 3);
    let ids: Vec<Uuid> = store
        .routing_rules()
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [second.id, third.id]);

    // What overdue notices need to know of a case.
    let c = case(1_700_000_000);
    store
        .create_case(&new_case(c.clone(), tag(7), &[]))
        .await
        .unwrap();
    assert_eq!(
        store.case_classification(c.id).await.unwrap(),
        Some((Category::Varsling, Severity::Middels))
    );
    assert_eq!(
        store.case_classification(Uuid::new_v4()).await.unwrap(),
        None
    );
}
