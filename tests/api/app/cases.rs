//! Cases put straight into the store, as a reporter's submission would have
//! filed them, for tests that need many cases or cases at given times.

use time::Date;
use uuid::Uuid;
use varsel::core::casework::{day_of, ReportContent};
use varsel::core::clock::system_now as now;
use varsel::core::domain::{CaseStatus, Category, Severity};
use varsel::core::store::{Author, Case, Holder, KeyWrap, Message, NewCase};
use varsel_crypto::{AnyRecipient, CaseCode};

use super::TestApp;

/// A case to file with [`TestApp::seed_case`].
pub struct SeededCase<'a> {
    category: &'a str,
    severity: &'a str,
    report: ReportContent,
    received_at: i64,
    acknowledged_at: Option<i64>,
    holders: &'a [Uuid],
}

impl<'a> SeededCase<'a> {
    /// A case of `category` and `severity`, received today, not acknowledged,
    /// held by nobody: "Leverandøren fikk tilgang til lønnssystemet uten
    /// avtale.", last Tuesday, at the Bergen office.
    pub fn new(category: &'a str, severity: &'a str) -> Self {
        SeededCase {
            category,
            severity,
            report: ReportContent {
                description: "Leverandøren fikk tilgang til lønnssystemet uten avtale.".to_owned(),
                when: Some("Forrige tirsdag".to_owned()),
                place: Some("Kontoret i Bergen".to_owned()),
            },
            received_at: day_of(now()),
            acknowledged_at: None,
            holders: &[],
        }
    }

    /// The case key also wrapped to the staff `holders`, who can then work it.
    pub fn held_by(self, holders: &'a [Uuid]) -> Self {
        SeededCase { holders, ..self }
    }

    /// The report's text.
    pub fn report(self, description: String, when: &str, place: &str) -> Self {
        let report = ReportContent {
            description,
            when: Some(when.to_owned()),
            place: Some(place.to_owned()),
        };
        SeededCase { report, ..self }
    }

    /// Received on `day`, at midnight UTC.
    pub fn received(self, day: Date) -> Self {
        let received_at = day.midnight().assume_utc().unix_timestamp();
        SeededCase {
            received_at,
            ..self
        }
    }

    /// Acknowledged `days` after receipt, in the afternoon (15:00).
    pub fn acknowledged_after_days(self, days: i64) -> Self {
        let acknowledged_at = Some(self.received_at + days * 86_400 + 15 * 3_600);
        SeededCase {
            acknowledged_at,
            ..self
        }
    }
}

impl TestApp {
    /// Files `case` in the store, its key wrapped to its holders and to a
    /// reporter code; the case id and its recipient.
    pub async fn seed_case(&self, case: SeededCase<'_>) -> (Uuid, AnyRecipient) {
        let identity = varsel::core::keys::new_case_identity(varsel::core::keys::KeyKind::Hybrid);
        let recipient = identity.to_public();
        let report = serde_json::to_vec(&case.report).expect("a report as JSON");
        let code = CaseCode::generate();
        let mut wraps = vec![KeyWrap {
            holder: Holder::Reporter,
            wrapped: varsel::core::keys::wrap_case_identity(
                &identity,
                &AnyRecipient::Hybrid(code.reporter_hybrid_identity().to_public()),
            )
            .expect("wrap for the reporter"),
        }];
        for &holder in case.holders {
            let user = self
                .store
                .user_by_id(holder)
                .await
                .expect("read the holder")
                .expect("the holder exists");
            let to = varsel::core::keys::recipient(&user.recipient).expect("a recipient");
            wraps.push(KeyWrap {
                holder: Holder::User(holder),
                wrapped: varsel::core::keys::wrap_case_identity(&identity, &to)
                    .expect("wrap for a holder"),
            });
        }
        let stored = Case {
            id: Uuid::new_v4(),
            recipient: recipient.to_string(),
            category: Category::parse(case.category).expect("a category key"),
            severity: Severity::parse(case.severity).expect("a severity key"),
            suggested_severity: Severity::parse(case.severity).expect("a severity key"),
            status: if case.acknowledged_at.is_some() {
                CaseStatus::Acknowledged
            } else {
                CaseStatus::Received
            },
            received_at: case.received_at,
            acknowledged_at: case.acknowledged_at,
            updated_at: case.acknowledged_at.unwrap_or(case.received_at),
            reporter_seq: 1,
            report: varsel::core::keys::seal(&recipient, &report).expect("seal the report"),
        };
        let id = stored.id;
        let (next_deadline, rules) = varsel::core::deadlines::of_new_case(
            &stored,
            None,
            &self.settings.deadlines,
            &self.settings.taxonomy,
        );
        self.store
            .create_case(&NewCase {
                case: stored,
                subtype: None,
                lookup_tag: *code.lookup_tag().as_bytes(),
                wraps,
                sealed_exclusions: None,
                attachments: Vec::new(),
                next_deadline,
                deadline_rules: Some(rules),
                submission: None,
            })
            .await
            .expect("case filed");
        (id, recipient)
    }

    /// A message from the reporter on `case`, sealed to its `recipient`.
    pub async fn seed_reporter_message(&self, case: Uuid, recipient: &AnyRecipient, text: &str) {
        self.store
            .add_message(&Message {
                id: Uuid::new_v4(),
                case_id: case,
                seq: 0,
                author: Author::Reporter,
                author_user_id: None,
                created_at: day_of(now()),
                body: varsel::core::keys::seal(recipient, text.as_bytes()).expect("seal"),
                kind: Default::default(),
            })
            .await
            .expect("message added");
    }
}
