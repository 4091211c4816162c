//! Categories, severities, statuses and bounded text fields of a case (SPEC §4).

use serde::{Deserialize, Serialize};

/// A case category (SPEC §4). The default set; issue #4 makes it configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Kritikkverdige forhold (arbeidsmiljøloven kap. 2 A).
    Varsling,
    /// Information-security deviation.
    Avvik,
    /// Personnel-security incident.
    Sikkerhet,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 3] = [Category::Varsling, Category::Avvik, Category::Sikkerhet];

    /// The stored and transmitted key.
    pub fn key(self) -> &'static str {
        match self {
            Category::Varsling => "varsling",
            Category::Avvik => "avvik",
            Category::Sikkerhet => "sikkerhet",
        }
    }

    /// Parses a key; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == s)
    }
}

/// How serious a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Low.
    Lav,
    /// Medium.
    Middels,
    /// High.
    Hoy,
    /// Critical.
    Kritisk,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Lav,
        Severity::Middels,
        Severity::Hoy,
        Severity::Kritisk,
    ];

    /// The stored and transmitted key.
    pub fn key(self) -> &'static str {
        match self {
            Severity::Lav => "lav",
            Severity::Middels => "middels",
            Severity::Hoy => "hoy",
            Severity::Kritisk => "kritisk",
        }
    }

    /// Parses a key; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == s)
    }
}

/// Where a case is in its life (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Submitted, not yet acknowledged.
    Received,
    /// Receipt acknowledged to the reporter.
    Acknowledged,
    /// Being investigated.
    UnderInvestigation,
    /// Feedback given to the reporter.
    FeedbackGiven,
    /// Closed.
    Closed,
}

impl CaseStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [CaseStatus; 5] = [
        CaseStatus::Received,
        CaseStatus::Acknowledged,
        CaseStatus::UnderInvestigation,
        CaseStatus::FeedbackGiven,
        CaseStatus::Closed,
    ];

    /// The stored and transmitted key.
    pub fn key(self) -> &'static str {
        match self {
            CaseStatus::Received => "received",
            CaseStatus::Acknowledged => "acknowledged",
            CaseStatus::UnderInvestigation => "under_investigation",
            CaseStatus::FeedbackGiven => "feedback_given",
            CaseStatus::Closed => "closed",
        }
    }

    /// Parses a key; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == s)
    }
}

/// Why a text field was rejected. Carries no part of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFieldError {
    /// Empty (or only whitespace or other invisible characters) where text
    /// is required.
    Empty,
    /// Longer than the configured limit (in characters).
    TooLong {
        /// The limit.
        max: usize,
    },
}

/// Free text a user wrote, trimmed, non-empty and within a character limit.
/// No `Debug` or `Display`: it may be case content.
pub struct TextField(String);

/// True for a character that shows nothing on its own: whitespace, control
/// characters, and the format and default-ignorable characters (zero-width
/// space and joiners, word joiner, byte-order mark, soft hyphen, directional
/// marks, variation selectors, tags, Hangul and braille fillers). Text made
/// only of these looks empty to the person who reads it, so it is empty.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

impl TextField {
    /// Validates `input` against `max_chars`: invisible characters
    /// ([`is_invisible`]) at either end are trimmed, and text with nothing
    /// visible is [`TextFieldError::Empty`]. Invisible characters between
    /// visible ones (a joiner inside an emoji, say) are kept.
    pub fn parse(input: &str, max_chars: usize) -> Result<Self, TextFieldError> {
        let trimmed = input.trim_matches(is_invisible);
        if trimmed.is_empty() {
            return Err(TextFieldError::Empty);
        }
        if trimmed.chars().count() > max_chars {
            return Err(TextFieldError::TooLong { max: max_chars });
        }
        Ok(TextField(trimmed.to_owned()))
    }

    /// Like [`TextField::parse`], but empty input is `Ok(None)`.
    pub fn parse_optional(input: &str, max_chars: usize) -> Result<Option<Self>, TextFieldError> {
        match Self::parse(input, max_chars) {
            Ok(t) => Ok(Some(t)),
            Err(TextFieldError::Empty) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for TextField {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.key()), Some(c));
        }
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.key()), Some(s));
        }
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.key()), Some(s));
        }
        assert_eq!(Category::parse("Varsling"), None);
        assert_eq!(Severity::parse("høy"), None);
    }

    #[test]
    fn text_fields_are_trimmed_and_bounded() {
        assert_eq!(
            TextField::parse("  hei  ", 10).map(|t| t.as_str().to_owned()),
            Ok("hei".into())
        );
        assert_eq!(
            TextField::parse("   ", 10).err(),
            Some(TextFieldError::Empty)
        );
        assert_eq!(TextField::parse("æøå", 3).map(|t| t.as_str().len()), Ok(6));
        assert_eq!(
            TextField::parse("æøåæ", 3).err(),
            Some(TextFieldError::TooLong { max: 3 })
        );
        assert!(matches!(TextField::parse_optional("", 3), Ok(None)));
    }

    #[test]
    fn text_of_only_invisible_characters_is_empty() {
        for invisible in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
            "\u{00AD}\u{00AD}",
            " \u{200B}\n\t\u{3000}\u{202E}\u{E0041}\u{FE0F}\u{2800}\u{3164}",
        ] {
            assert_eq!(
                TextField::parse(invisible, 100).err(),
                Some(TextFieldError::Empty)
            );
            assert!(matches!(
                TextField::parse_optional(invisible, 100),
                Ok(None)
            ));
        }
        // Visible text keeps its inner joiners; the invisible ends go.
        let family = "\u{200B}a\u{200D}b\u{FEFF}";
        assert_eq!(
            TextField::parse(family, 10).map(|t| t.as_str().to_owned()),
            Ok("a\u{200D}b".into())
        );
    }
}
