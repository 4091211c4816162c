//! Routing rules and triage classifications as values: what the
//! configuration file and the administrators' page say, checked against the
//! taxonomy. Who a case reaches is computed from them in [`crate::core::routing`].

use anyhow::bail;
use serde::{Deserialize, Serialize};

use super::{Category, CategoryKey, Severity, SubtypeFlags, SubtypeKey, Taxonomy};

/// One routing rule: cases of `category` with one of `severities` go to the
/// handlers in `groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// A category key of the taxonomy.
    pub category: String,
    /// Severity keys (`lav`, `middels`, `hoy`, `kritisk`); at least one.
    pub severities: Vec<String>,
    /// Group names; at least one.
    pub groups: Vec<String>,
}

/// Why a routing rule was refused, in the configuration file or on the
/// administrators' page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The category is not one of the configured taxonomy's.
    #[error("unknown category {0:?}")]
    UnknownCategory(String),
    /// No severity at all.
    #[error("severities must name at least one severity")]
    NoSeverities,
    /// A severity that does not exist.
    #[error("unknown severity {0:?} (lav, middels, hoy, kritisk)")]
    UnknownSeverity(String),
    /// No group, or a blank group name.
    #[error("groups must name at least one group")]
    NoGroups,
}

impl RuleError {
    /// A stable key (for translated messages).
    pub fn key(&self) -> &'static str {
        match self {
            RuleError::UnknownCategory(_) => "unknown_category",
            RuleError::NoSeverities => "no_severities",
            RuleError::UnknownSeverity(_) => "unknown_severity",
            RuleError::NoGroups => "no_groups",
        }
    }
}

impl RoutingRule {
    /// Whether the rule applies to a case of `category` and `severity`.
    pub fn matches(&self, category: Category, severity: Severity) -> bool {
        self.category == category.key() && self.severities.iter().any(|s| s == severity.key())
    }

    /// Checks the rule: a category of `taxonomy`, at least one severity and
    /// only known ones, at least one group and no blank group name.
    pub fn validate(&self, taxonomy: &Taxonomy) -> Result<(), RuleError> {
        self.classification(taxonomy).map(|_| ())
    }

    /// Checks the rule like [`RoutingRule::validate`] and returns its
    /// category and its severities in their natural order.
    pub fn classification(
        &self,
        taxonomy: &Taxonomy,
    ) -> Result<(Category, Vec<Severity>), RuleError> {
        let category = Category::parse(&self.category)
            .filter(|c| taxonomy.category(&CategoryKey::from(*c)).is_some())
            .ok_or_else(|| RuleError::UnknownCategory(self.category.clone()))?;
        if self.severities.is_empty() {
            return Err(RuleError::NoSeverities);
        }
        let mut severities = Vec::with_capacity(self.severities.len());
        for s in &self.severities {
            severities
                .push(Severity::parse(s).ok_or_else(|| RuleError::UnknownSeverity(s.clone()))?);
        }
        if self.groups.is_empty() || self.groups.iter().any(|g| g.trim().is_empty()) {
            return Err(RuleError::NoGroups);
        }
        severities.sort();
        severities.dedup();
        Ok((category, severities))
    }
}

/// `[routing]`: rules, when contact points are added, and the accepted risk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingSettings {
    /// Rules; a (category, severity) no rule matches goes to every active handler.
    pub rules: Vec<RoutingRule>,
    /// `kritisk` cases also reach every contact point.
    pub contact_points_for_kritisk: bool,
    /// `sikkerhet` cases above `lav` also reach every contact point.
    pub contact_points_for_sikkerhet_above_lav: bool,
    /// Highest risk score (probability × consequence, 1–25) the organisation accepts.
    pub accepted_risk: u8,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            rules: Vec::new(),
            contact_points_for_kritisk: true,
            contact_points_for_sikkerhet_above_lav: true,
            accepted_risk: 8,
        }
    }
}

impl RoutingSettings {
    /// Rejects rules naming unknown categories or severities, or no groups.
    pub fn validate(&self, taxonomy: &Taxonomy) -> anyhow::Result<()> {
        for (i, rule) in self.rules.iter().enumerate() {
            if let Err(e) = rule.validate(taxonomy) {
                bail!("routing.rules[{}]: {e}", i + 1);
            }
        }
        if !(1..=25).contains(&self.accepted_risk) {
            bail!("routing.accepted_risk must be between 1 and 25");
        }
        Ok(())
    }

    /// Whether a case of `category`, `severity` and sub-type duties `flags`
    /// also reaches the contact points. A Security-Act sub-type always does:
    /// NSM must be notified at once (sikkerhetsloven § 4-5).
    pub fn reaches_contact_points(
        &self,
        category: Category,
        severity: Severity,
        flags: SubtypeFlags,
    ) -> bool {
        flags.security_act
            || (self.contact_points_for_kritisk && severity == Severity::Kritisk)
            || (self.contact_points_for_sikkerhet_above_lav
                && category == Category::Sikkerhet
                && severity > Severity::Lav)
    }
}

/// Risk as probability × consequence, each 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Risk {
    probability: u8,
    consequence: u8,
}

impl Risk {
    /// Both in 1–5, else `None`.
    pub fn new(probability: u8, consequence: u8) -> Option<Self> {
        let ok = |v: u8| (1..=5).contains(&v);
        (ok(probability) && ok(consequence)).then_some(Risk {
            probability,
            consequence,
        })
    }

    /// Probability, 1–5.
    pub fn probability(self) -> u8 {
        self.probability
    }

    /// Consequence, 1–5.
    pub fn consequence(self) -> u8 {
        self.consequence
    }

    /// probability × consequence, 1–25.
    pub fn score(self) -> u8 {
        self.probability * self.consequence
    }

    /// Whether the score exceeds the accepted risk.
    pub fn above(self, accepted: u8) -> bool {
        self.score() > accepted
    }
}

/// A handler's classification of a case.
#[derive(Debug, Clone)]
pub struct TriageInput {
    /// Category.
    pub category: Category,
    /// Sub-type, one of the category's.
    pub subtype: Option<SubtypeKey>,
    /// Severity.
    pub severity: Severity,
    /// Risk, if assessed.
    pub risk: Option<Risk>,
}

/// A triage as submitted: every field as the text it arrived as (a number
/// sent as JSON is given as its decimal text).
#[derive(Debug, Default, Clone, Copy)]
pub struct TriageDraft<'a> {
    /// Category key.
    pub category: &'a str,
    /// Sub-type key of that category; empty for none.
    pub subtype: &'a str,
    /// Severity key.
    pub severity: &'a str,
    /// Probability 1–5; empty when the risk is not assessed.
    pub probability: &'a str,
    /// Consequence 1–5; empty when the risk is not assessed.
    pub consequence: &'a str,
}

impl TriageDraft<'_> {
    /// The classification, or `None` if any part of it is invalid: an unknown
    /// category, severity or sub-type, a sub-type of another category, or a
    /// risk with only one part or a part outside 1–5.
    pub fn parse(&self, taxonomy: &Taxonomy) -> Option<TriageInput> {
        let category = Category::parse(self.category.trim())?;
        let subtype = parse_subtype(taxonomy, category, self.subtype)?;
        let severity = Severity::parse(self.severity.trim())?;
        let risk = match (self.probability.trim(), self.consequence.trim()) {
            ("", "") => None,
            (p, c) => Some(Risk::new(p.parse().ok()?, c.parse().ok()?)?),
        };
        Some(TriageInput {
            category,
            subtype,
            severity,
            risk,
        })
    }
}

/// Parses a sub-type of `category` (empty: none); `None` if the category is
/// not in the configured taxonomy or the sub-type is not one of its own.
pub fn parse_subtype(
    taxonomy: &Taxonomy,
    category: Category,
    raw: &str,
) -> Option<Option<SubtypeKey>> {
    let def = taxonomy.category(&CategoryKey::from(category))?;
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(None);
    }
    let key = SubtypeKey::parse(raw).ok()?;
    def.subtype(&key).map(|_| Some(key))
}
