//! The kind of a thread message and the protective measures (SPEC §4,
//! follow-up of the reporter); stored by `store::protection`.

use uuid::Uuid;

/// What a thread message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageKind {
    /// An ordinary message.
    #[default]
    Message,
    /// The reporter reports retaliation (arbeidsmiljøloven § 2 A-4).
    Retaliation,
}

impl MessageKind {
    /// The stored form.
    pub fn as_db(self) -> &'static str {
        match self {
            MessageKind::Message => "message",
            MessageKind::Retaliation => "retaliation",
        }
    }

    /// Parses the stored form; an unknown kind reads as an ordinary message.
    pub fn from_db(s: &str) -> Self {
        match s {
            "retaliation" => MessageKind::Retaliation,
            _ => MessageKind::Message,
        }
    }
}

/// A measure taken to protect the reporter; `body` is an age file sealed
/// to the case.
#[derive(Debug, Clone)]
pub struct Measure {
    /// Stable id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// Who recorded it (`None` once the account is gone).
    pub author_user_id: Option<Uuid>,
    /// When (UNIX seconds).
    pub created_at: i64,
    /// Whether the reporter's case page shows it.
    pub visible_to_reporter: bool,
    /// The sealed text.
    pub body: Vec<u8>,
}
