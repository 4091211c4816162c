//! A report as the reporter submits it: parsed once, from the form or the
//! JSON API, into a [`ReportInput`] that can only hold valid values.
//!
//! An empty severity means the reporter did not choose one: it is taken as
//! [`DEFAULT_SEVERITY`] (`middels`), on the page and in the API alike; an
//! unknown one is an error. A sub-type may be given as `key` or, as the
//! form's grouped list sends it, `category.key`; either way it must belong
//! to the chosen category.

use uuid::Uuid;

use super::routing::parse_subtype;
use super::{Category, Severity, SubtypeKey, Taxonomy, TextField, TextFieldError};
use crate::core::error::{FieldError, FieldProblem};

/// The severity of a report whose reporter did not choose one.
pub const DEFAULT_SEVERITY: Severity = Severity::Middels;

/// A valid report submission.
pub struct ReportInput {
    /// Category.
    pub category: Category,
    /// The sub-type the reporter chose, one of the category's; optional.
    pub subtype: Option<SubtypeKey>,
    /// The reporter's suggested severity.
    pub severity: Severity,
    /// The description.
    pub description: TextField,
    /// When it happened.
    pub when: Option<TextField>,
    /// Where it happened.
    pub place: Option<TextField>,
    /// Handlers the reporter excludes.
    pub excluded: Vec<Uuid>,
}

/// A report as submitted: every field as the text it arrived as.
#[derive(Default)]
pub struct ReportDraft<'a> {
    /// Category key.
    pub category: &'a str,
    /// Sub-type key (`key` or `category.key`); empty for none.
    pub subtype: &'a str,
    /// Severity key; empty for the default.
    pub severity: &'a str,
    /// The description.
    pub description: &'a str,
    /// When, optional.
    pub when: &'a str,
    /// Where, optional.
    pub place: &'a str,
    /// Ids of excluded handlers.
    pub exclude: Vec<&'a str>,
}

/// The limits a report's texts must keep.
#[derive(Debug, Clone, Copy)]
pub struct ReportLimits {
    /// Most characters of the description.
    pub max_text_chars: usize,
    /// Most characters of `when` and `place`.
    pub max_short_field_chars: usize,
}

fn field(field: &'static str, problem: FieldProblem) -> FieldError {
    FieldError { field, problem }
}

fn text_problem(e: TextFieldError) -> FieldProblem {
    match e {
        TextFieldError::Empty => FieldProblem::Required,
        TextFieldError::TooLong { max } => FieldProblem::TooLong { max },
    }
}

impl ReportDraft<'_> {
    /// The valid report, or every problem, field by field, in the order the
    /// fields appear (`category`, `subtype`, `severity`, `description`,
    /// `when`, `place`, `exclude`).
    pub fn parse(
        &self,
        taxonomy: &Taxonomy,
        limits: ReportLimits,
    ) -> Result<ReportInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (category, subtype, severity) = parse_kind(
            taxonomy,
            self.category,
            self.subtype,
            self.severity,
            &mut errors,
        );
        let description = TextField::parse(self.description, limits.max_text_chars)
            .map_err(|e| errors.push(field("description", text_problem(e))))
            .ok();
        let mut short = |name: &'static str, value: &str| {
            TextField::parse_optional(value, limits.max_short_field_chars)
                .map_err(|e| errors.push(field(name, text_problem(e))))
                .ok()
        };
        let when = short("when", self.when);
        let place = short("place", self.place);
        let excluded = parse_exclusions(&self.exclude, &mut errors);
        match (category, subtype, severity, description, when, place) {
            (
                Some(category),
                Some(subtype),
                Some(severity),
                Some(description),
                Some(when),
                Some(place),
            ) if errors.is_empty() => Ok(ReportInput {
                category,
                subtype,
                severity,
                description,
                when,
                place,
                excluded,
            }),
            _ => Err(errors),
        }
    }
}

/// The category, sub-type and severity of a submission, each problem
/// recorded in `errors`.
fn parse_kind(
    taxonomy: &Taxonomy,
    category: &str,
    subtype: &str,
    severity: &str,
    errors: &mut Vec<FieldError>,
) -> (
    Option<Category>,
    Option<Option<SubtypeKey>>,
    Option<Severity>,
) {
    // Only the categories the organisation has configured.
    let category = match category.trim() {
        "" => {
            errors.push(field("category", FieldProblem::Required));
            None
        }
        key => {
            let parsed = Category::parse(key).filter(|c| parse_subtype(taxonomy, *c, "").is_some());
            if parsed.is_none() {
                errors.push(field("category", FieldProblem::Unknown));
            }
            parsed
        }
    };
    let subtype = match category {
        None => None,
        Some(category) => {
            let raw = subtype.trim();
            let key = match raw.split_once('.') {
                Some((c, key)) if c == category.key() => Some(key),
                Some(_) => None,
                None => Some(raw),
            };
            let parsed = key.and_then(|k| parse_subtype(taxonomy, category, k));
            if parsed.is_none() {
                errors.push(field("subtype", FieldProblem::Unknown));
            }
            parsed
        }
    };
    let severity = match severity.trim() {
        "" => Some(DEFAULT_SEVERITY),
        key => {
            let parsed = Severity::parse(key);
            if parsed.is_none() {
                errors.push(field("severity", FieldProblem::Unknown));
            }
            parsed
        }
    };
    (category, subtype, severity)
}

/// The excluded handlers' ids, each once; a malformed one is recorded in
/// `errors`.
fn parse_exclusions(exclude: &[&str], errors: &mut Vec<FieldError>) -> Vec<Uuid> {
    let mut excluded = Vec::with_capacity(exclude.len());
    for id in exclude {
        match Uuid::parse_str(id.trim()) {
            Ok(id) if !excluded.contains(&id) => excluded.push(id),
            Ok(_) => {}
            Err(_) => {
                errors.push(field("exclude", FieldProblem::Unknown));
                break;
            }
        }
    }
    excluded
}

/// What decides who receives a report, without its texts: the routing
/// request of a browser that encrypts the report itself
/// ([`crate::core::sealed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingInput {
    /// Category.
    pub category: Category,
    /// The sub-type the reporter chose, one of the category's; optional.
    pub subtype: Option<SubtypeKey>,
    /// The reporter's suggested severity.
    pub severity: Severity,
    /// Handlers the reporter excludes.
    pub excluded: Vec<Uuid>,
}

/// A routing request as submitted: every field as the text it arrived as.
#[derive(Default)]
pub struct RoutingDraft<'a> {
    /// Category key.
    pub category: &'a str,
    /// Sub-type key (`key` or `category.key`); empty for none.
    pub subtype: &'a str,
    /// Severity key; empty for the default.
    pub severity: &'a str,
    /// Ids of excluded handlers.
    pub exclude: Vec<&'a str>,
}

impl RoutingDraft<'_> {
    /// The valid routing, or every problem, parsed by the same rules as a
    /// report's fields ([`ReportDraft::parse`]).
    pub fn parse(&self, taxonomy: &Taxonomy) -> Result<RoutingInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (category, subtype, severity) = parse_kind(
            taxonomy,
            self.category,
            self.subtype,
            self.severity,
            &mut errors,
        );
        let excluded = parse_exclusions(&self.exclude, &mut errors);
        match (category, subtype, severity) {
            (Some(category), Some(subtype), Some(severity)) if errors.is_empty() => {
                Ok(RoutingInput {
                    category,
                    subtype,
                    severity,
                    excluded,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ReportLimits = ReportLimits {
        max_text_chars: 50,
        max_short_field_chars: 5,
    };

    fn problems(draft: &ReportDraft) -> Vec<(&'static str, FieldProblem)> {
        match draft.parse(&Taxonomy::default(), LIMITS) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
        }
    }

    #[test]
    fn a_complete_report_parses_and_an_empty_severity_is_the_default() {
        let draft = ReportDraft {
            category: "avvik",
            subtype: "avvik.personvernbrudd",
            description: "noe skjedde",
            ..ReportDraft::default()
        };
        let input = draft
            .parse(&Taxonomy::default(), LIMITS)
            .ok()
            .unwrap_or_else(|| unreachable!("a complete report parses"));
        assert_eq!(input.severity, DEFAULT_SEVERITY);
        assert_eq!(input.category, Category::Avvik);
        assert_eq!(
            input.subtype.map(|s| s.as_str().to_owned()).as_deref(),
            Some("personvernbrudd")
        );
        let plain = ReportDraft {
            subtype: "personvernbrudd",
            ..draft
        };
        assert!(plain.parse(&Taxonomy::default(), LIMITS).is_ok());
    }

    #[test]
    fn every_problem_is_named_by_its_field_in_form_order() {
        let draft = ReportDraft {
            category: "",
            severity: "høy",
            description: "",
            when: "for lenge siden",
            exclude: vec!["nobody"],
            ..ReportDraft::default()
        };
        assert_eq!(
            problems(&draft),
            vec![
                ("category", FieldProblem::Required),
                ("severity", FieldProblem::Unknown),
                ("description", FieldProblem::Required),
                ("when", FieldProblem::TooLong { max: 5 }),
                ("exclude", FieldProblem::Unknown),
            ]
        );
    }

    #[test]
    fn a_subtype_of_another_category_or_an_unknown_category_is_refused() {
        let draft = ReportDraft {
            category: "varsling",
            subtype: "avvik.personvernbrudd",
            description: "x",
            ..ReportDraft::default()
        };
        assert_eq!(problems(&draft), vec![("subtype", FieldProblem::Unknown)]);
        let draft = ReportDraft {
            category: "tyveri",
            description: "x",
            ..ReportDraft::default()
        };
        assert_eq!(problems(&draft), vec![("category", FieldProblem::Unknown)]);
    }

    #[test]
    fn a_routing_parses_by_the_report_rules_without_texts() {
        let id = Uuid::new_v4().to_string();
        let routing = RoutingDraft {
            category: "avvik",
            subtype: "",
            severity: "",
            exclude: vec![&id, &id],
        }
        .parse(&Taxonomy::default())
        .expect("valid");
        assert_eq!(routing.severity, DEFAULT_SEVERITY);
        assert_eq!(routing.excluded.len(), 1, "an exclusion counts once");
        let errors = RoutingDraft {
            category: "nope",
            severity: "huge",
            exclude: vec!["x"],
            ..Default::default()
        }
        .parse(&Taxonomy::default())
        .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["category", "severity", "exclude"]);
    }
}
