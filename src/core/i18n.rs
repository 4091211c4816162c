//! Interface strings. Norwegian bokmål is the default; nynorsk and English
//! are the alternatives. Every user-visible string lives in
//! `locales/nb/*.toml`, `locales/nn/*.toml` and `locales/en/*.toml` (one file
//! per area) under the same keys with the same placeholders (a test checks
//! they match).

use std::collections::HashMap;
use std::sync::OnceLock;

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Norwegian bokmål.
    #[default]
    Nb,
    /// Norwegian nynorsk.
    Nn,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 code, for `<html lang>` and the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::Nn => "nn",
            Lang::En => "en",
        }
    }

    /// Parses a code (`nb`, `no`, `nn`, `en`, with or without a region).
    pub fn parse(s: &str) -> Option<Self> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nb" | "no" => Some(Lang::Nb),
            "nn" => Some(Lang::Nn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers most among those
    /// Varsel has: the supported tag with the highest weight (`q`), the
    /// earliest of equal weights; `None` if it names none of them.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let weight = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                None => 1000,
                Some(q) => match quality(q) {
                    Some(weight) => weight,
                    None => continue,
                },
            };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// Every interface language, in the order the language switch lists them.
    pub const ALL: [Lang; 3] = [Lang::Nb, Lang::Nn, Lang::En];
}

/// A `q` value (`0`, `0.5`, `1.000`) in thousandths; `None` if malformed.
fn quality(q: &str) -> Option<u16> {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// One entry of the language switch.
#[derive(Debug, Clone)]
pub struct LanguageChoice {
    /// The language.
    pub lang: Lang,
    /// Its name in itself (`common.language_name` of that language).
    pub name: String,
    /// Whether the page is in this language.
    pub current: bool,
}

type Catalog = HashMap<String, String>;

/// The catalog files of each language, embedded in the binary.
const NB: &[&str] = &[
    include_str!("../../locales/nb/common.toml"),
    include_str!("../../locales/nb/reporter.toml"),
    include_str!("../../locales/nb/staff.toml"),
    include_str!("../../locales/nb/api.toml"),
    include_str!("../../locales/nb/taxonomy.toml"),
    include_str!("../../locales/nb/notifications.toml"),
    include_str!("../../locales/nb/admin.toml"),
    include_str!("../../locales/nb/statistics.toml"),
    include_str!("../../locales/nb/escalation.toml"),
    include_str!("../../locales/nb/deadlines.toml"),
    include_str!("../../locales/nb/followup.toml"),
    include_str!("../../locales/nb/custodian.toml"),
    include_str!("../../locales/nb/forms.toml"),
    include_str!("../../locales/nb/nynorsk.toml"),
    include_str!("../../locales/nb/privacy.toml"),
    include_str!("../../locales/nb/oidc.toml"),
    include_str!("../../locales/nb/accounts.toml"),
    include_str!("../../locales/nb/twofactor.toml"),
    include_str!("../../locales/nb/passwords.toml"),
    include_str!("../../locales/nb/breach.toml"),
    include_str!("../../locales/nb/export.toml"),
    include_str!("../../locales/nb/workspace.toml"),
    include_str!("../../locales/nb/retention.toml"),
];
const NN: &[&str] = &[
    include_str!("../../locales/nn/common.toml"),
    include_str!("../../locales/nn/reporter.toml"),
    include_str!("../../locales/nn/staff.toml"),
    include_str!("../../locales/nn/api.toml"),
    include_str!("../../locales/nn/taxonomy.toml"),
    include_str!("../../locales/nn/notifications.toml"),
    include_str!("../../locales/nn/admin.toml"),
    include_str!("../../locales/nn/statistics.toml"),
    include_str!("../../locales/nn/escalation.toml"),
    include_str!("../../locales/nn/deadlines.toml"),
    include_str!("../../locales/nn/nynorsk.toml"),
    include_str!("../../locales/nn/followup.toml"),
    include_str!("../../locales/nn/custodian.toml"),
    include_str!("../../locales/nn/forms.toml"),
    include_str!("../../locales/nn/privacy.toml"),
    include_str!("../../locales/nn/oidc.toml"),
    include_str!("../../locales/nn/accounts.toml"),
    include_str!("../../locales/nn/twofactor.toml"),
    include_str!("../../locales/nn/passwords.toml"),
    include_str!("../../locales/nn/breach.toml"),
    include_str!("../../locales/nn/export.toml"),
    include_str!("../../locales/nn/workspace.toml"),
    include_str!("../../locales/nn/retention.toml"),
];
const EN: &[&str] = &[
    include_str!("../../locales/en/common.toml"),
    include_str!("../../locales/en/reporter.toml"),
    include_str!("../../locales/en/staff.toml"),
    include_str!("../../locales/en/api.toml"),
    include_str!("../../locales/en/taxonomy.toml"),
    include_str!("../../locales/en/notifications.toml"),
    include_str!("../../locales/en/admin.toml"),
    include_str!("../../locales/en/statistics.toml"),
    include_str!("../../locales/en/escalation.toml"),
    include_str!("../../locales/en/deadlines.toml"),
    include_str!("../../locales/en/followup.toml"),
    include_str!("../../locales/en/custodian.toml"),
    include_str!("../../locales/en/forms.toml"),
    include_str!("../../locales/en/nynorsk.toml"),
    include_str!("../../locales/en/privacy.toml"),
    include_str!("../../locales/en/oidc.toml"),
    include_str!("../../locales/en/accounts.toml"),
    include_str!("../../locales/en/twofactor.toml"),
    include_str!("../../locales/en/passwords.toml"),
    include_str!("../../locales/en/breach.toml"),
    include_str!("../../locales/en/export.toml"),
    include_str!("../../locales/en/workspace.toml"),
    include_str!("../../locales/en/retention.toml"),
];

fn parse_catalog(sources: &[&str]) -> Catalog {
    let mut out = HashMap::new();
    for source in sources {
        if let Ok(toml::Value::Table(table)) = source.parse::<toml::Value>() {
            flatten("", &table, &mut out);
        }
    }
    out
}

fn flatten(prefix: &str, table: &toml::map::Map<String, toml::Value>, out: &mut Catalog) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => {}
        }
    }
}

/// The parsed catalogs of every language.
struct Catalogs {
    nb: Catalog,
    nn: Catalog,
    en: Catalog,
}

impl Catalogs {
    fn of(&self, lang: Lang) -> &Catalog {
        match lang {
            Lang::Nb => &self.nb,
            Lang::Nn => &self.nn,
            Lang::En => &self.en,
        }
    }
}

fn catalogs() -> &'static Catalogs {
    static CATALOGS: OnceLock<Catalogs> = OnceLock::new();
    CATALOGS.get_or_init(|| Catalogs {
        nb: parse_catalog(NB),
        nn: parse_catalog(NN),
        en: parse_catalog(EN),
    })
}

/// Looks up interface strings in one language.
#[derive(Debug, Clone, Copy)]
pub struct Translator {
    lang: Lang,
}

impl Translator {
    /// A translator for `lang`.
    pub fn new(lang: Lang) -> Self {
        Translator { lang }
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The string for `key`; falls back to bokmål, then to the key itself.
    pub fn t(&self, key: &str) -> String {
        let catalogs = catalogs();
        catalogs
            .of(self.lang)
            .get(key)
            .or_else(|| catalogs.nb.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether `key` has a string in bokmål (every key in the other languages
    /// has one too).
    pub fn has(key: &str) -> bool {
        catalogs().nb.contains_key(key)
    }

    /// The language switch: every language, named in itself, this one marked.
    pub fn languages(&self) -> Vec<LanguageChoice> {
        Lang::ALL
            .iter()
            .map(|&lang| LanguageChoice {
                lang,
                name: Translator::new(lang).t("common.language_name"),
                current: lang == self.lang,
            })
            .collect()
    }

    /// The label of a sub-type: its configured label in this language, else
    /// the translation files' (`taxonomy.<category>.<subtype>`).
    pub fn subtype_label(
        &self,
        category: &crate::core::domain::CategoryKey,
        subtype: &crate::core::domain::taxonomy::Subtype,
    ) -> String {
        // A nynorsk reader without a configured nynorsk label gets the
        // bokmål one, which they read, rather than the English one.
        let configured = match self.lang {
            Lang::Nb => subtype.labels.nb.as_ref(),
            Lang::Nn => subtype.labels.nn.as_ref().or(subtype.labels.nb.as_ref()),
            Lang::En => subtype.labels.en.as_ref(),
        };
        configured.cloned().unwrap_or_else(|| {
            self.t(&crate::core::domain::taxonomy::label_key(
                category,
                &subtype.key,
            ))
        })
    }

    /// The string for `key` with `{name}` placeholders replaced.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key);
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{name}` placeholders of a string, sorted, repeats kept.
    fn placeholders(s: &str) -> Vec<&str> {
        let mut found: Vec<&str> = s
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn every_language_has_the_same_non_empty_keys_and_placeholders() {
        let all = catalogs();
        assert!(all.nb.len() > 20, "bokmål catalog parsed");
        for lang in [Lang::Nn, Lang::En] {
            let other = all.of(lang);
            let mut missing: Vec<&String> =
                all.nb.keys().filter(|k| !other.contains_key(*k)).collect();
            let mut extra: Vec<&String> =
                other.keys().filter(|k| !all.nb.contains_key(*k)).collect();
            missing.sort();
            extra.sort();
            let code = lang.code();
            assert!(missing.is_empty(), "missing in locales/{code}: {missing:?}");
            assert!(
                extra.is_empty(),
                "only in locales/{code}, not nb: {extra:?}"
            );
            for (key, nb) in &all.nb {
                assert_eq!(
                    placeholders(nb),
                    placeholders(&other[key]),
                    "placeholders of {key} differ between nb and {code}"
                );
            }
        }
        for lang in Lang::ALL {
            for (k, v) in all.of(lang) {
                assert!(!v.trim().is_empty(), "empty string for {k} in {lang:?}");
            }
        }
    }

    #[test]
    fn the_placeholder_check_sees_a_difference() {
        assert_eq!(placeholders("{b} und {a} {a}"), ["a", "a", "b"]);
        assert_ne!(
            placeholders("høyst {max} tegn"),
            placeholders("høgst {maks} teikn")
        );
    }

    #[test]
    fn nynorsk_is_its_own_language() {
        let nb = Translator::new(Lang::Nb);
        let nn = Translator::new(Lang::Nn);
        // Not bokmål under another name: the words that differ most.
        assert_eq!(nn.t("common.language_name"), "Nynorsk");
        assert_ne!(
            nn.t("reporter.landing.what_title"),
            nb.t("reporter.landing.what_title")
        );
        assert!(nn
            .t("reporter.landing.no_retaliation")
            .contains("arbeidsmiljølova § 2 A-4"));
        assert!(nb
            .t("reporter.landing.no_retaliation")
            .contains("arbeidsmiljøloven § 2 A-4"));
        let nn_text: String = catalogs()
            .nn
            .values()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        for bokmål in [" ikke ", " hva ", " hvordan ", " ansatte ", " virksomheten"] {
            assert!(!nn_text.contains(bokmål), "bokmål «{bokmål}» in locales/nn");
        }
    }

    #[test]
    fn lookup_falls_back_and_formats() {
        let nb = Translator::new(Lang::Nb);
        let en = Translator::new(Lang::En);
        assert_ne!(
            nb.t("common.app_name_tagline"),
            en.t("common.app_name_tagline")
        );
        assert_eq!(en.t("no.such.key"), "no.such.key");
        assert!(en
            .f("error.incident", &[("id", "ABC123")])
            .contains("ABC123"));
    }

    #[test]
    fn language_codes() {
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("nb_NO"), Some(Lang::Nb));
        assert_eq!(Lang::parse("no"), Some(Lang::Nb));
        assert_eq!(Lang::parse("nn-NO"), Some(Lang::Nn));
        assert_eq!(Lang::parse("de"), None);
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
    }

    #[test]
    fn accept_language_picks_the_most_wanted_language_varsel_has() {
        let pick = Lang::from_accept_language;
        assert_eq!(pick("nn-NO,nn;q=0.9,nb;q=0.8,en;q=0.5"), Some(Lang::Nn));
        assert_eq!(pick("de-DE,de;q=0.9,en;q=0.8,nn;q=0.7"), Some(Lang::En));
        assert_eq!(pick("en;q=0.5, nn;q=0.8"), Some(Lang::Nn));
        assert_eq!(pick("nb, en"), Some(Lang::Nb), "equal weights: the first");
        assert_eq!(
            pick("en;q=0, nn;q=0.1"),
            Some(Lang::Nn),
            "q=0 means not wanted"
        );
        assert_eq!(
            pick("en;q=2, nb;q=0.3"),
            Some(Lang::Nb),
            "a malformed q is skipped"
        );
        assert_eq!(pick("de, fr;q=0.5, *;q=0.1"), None);
        assert_eq!(pick(""), None);
    }

    #[test]
    fn the_language_switch_lists_every_language_named_in_itself() {
        let choices = Translator::new(Lang::Nn).languages();
        let names: Vec<(&str, &str, bool)> = choices
            .iter()
            .map(|c| (c.lang.code(), c.name.as_str(), c.current))
            .collect();
        assert_eq!(
            names,
            [
                ("nb", "Bokmål", false),
                ("nn", "Nynorsk", true),
                ("en", "English", false)
            ]
        );
    }

    #[test]
    fn a_configured_subtype_label_falls_back_from_nynorsk_to_bokmål() {
        use crate::core::domain::taxonomy::{Subtype, SubtypeLabels};
        let category = crate::core::domain::CategoryKey::parse("varsling").expect("a key");
        let mut subtype: Subtype = toml::from_str(
            "key = \"skytjeneste\"\nlabels = { nb = \"Feil i skytjeneste\", en = \"Cloud failure\" }",
        )
        .expect("a sub-type");
        let nn = Translator::new(Lang::Nn);
        assert_eq!(nn.subtype_label(&category, &subtype), "Feil i skytjeneste");
        subtype.labels = SubtypeLabels {
            nn: Some("Feil i skyteneste".into()),
            ..subtype.labels
        };
        assert_eq!(nn.subtype_label(&category, &subtype), "Feil i skyteneste");
        assert_eq!(
            Translator::new(Lang::En).subtype_label(&category, &subtype),
            "Cloud failure"
        );
    }
}
