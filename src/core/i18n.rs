//! Interface strings. Norwegian bokmål is the default, English the
//! alternative; every user-visible string lives in `locales/nb/*.toml` and
//! `locales/en/*.toml` (one file per area) under the same keys (a test checks
//! they match).

use std::collections::HashMap;
use std::sync::OnceLock;

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Norwegian bokmål.
    #[default]
    Nb,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 code, for `<html lang>` and the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
        }
    }

    /// Parses a code (`nb`, `no`, `en`, with or without a region).
    pub fn parse(s: &str) -> Option<Self> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nb" | "no" | "nn" => Some(Lang::Nb),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the language switch.
    pub fn other(self) -> Self {
        match self {
            Lang::Nb => Lang::En,
            Lang::En => Lang::Nb,
        }
    }
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
    include_str!("../../locales/nb/privacy.toml"),
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
    include_str!("../../locales/en/privacy.toml"),
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

fn catalogs() -> &'static (Catalog, Catalog) {
    static CATALOGS: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    CATALOGS.get_or_init(|| (parse_catalog(NB), parse_catalog(EN)))
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
        let (nb, en) = catalogs();
        let primary = match self.lang {
            Lang::Nb => nb,
            Lang::En => en,
        };
        primary
            .get(key)
            .or_else(|| nb.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether `key` has a string in bokmål (every key in English has one too).
    pub fn has(key: &str) -> bool {
        catalogs().0.contains_key(key)
    }

    /// The label of a sub-type: its configured label in this language, else
    /// the translation files' (`taxonomy.<category>.<subtype>`).
    pub fn subtype_label(
        &self,
        category: &crate::core::domain::CategoryKey,
        subtype: &crate::core::domain::taxonomy::Subtype,
    ) -> String {
        let configured = match self.lang {
            Lang::Nb => subtype.labels.nb.as_ref(),
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

    #[test]
    fn both_catalogs_have_the_same_non_empty_keys() {
        let (nb, en) = catalogs();
        assert!(nb.len() > 20, "bokmål catalog parsed");
        let mut missing_en: Vec<&String> = nb.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut missing_nb: Vec<&String> = en.keys().filter(|k| !nb.contains_key(*k)).collect();
        missing_en.sort();
        missing_nb.sort();
        assert!(missing_en.is_empty(), "missing in en.toml: {missing_en:?}");
        assert!(missing_nb.is_empty(), "missing in nb.toml: {missing_nb:?}");
        for (k, v) in nb.iter().chain(en.iter()) {
            assert!(!v.trim().is_empty(), "empty string for {k}");
        }
    }

    #[test]
    fn every_catalog_file_parses() {
        for source in NB.iter().chain(EN.iter()) {
            assert!(
                source.parse::<toml::Value>().is_ok(),
                "a locale file is not valid TOML"
            );
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
        assert_eq!(Lang::parse("de"), None);
    }
}
