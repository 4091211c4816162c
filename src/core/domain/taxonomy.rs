//! The case taxonomy (SPEC §4) as configurable data: categories, their
//! sub-types, and the legal duties each sub-type triggers.
//!
//! The default is [`Taxonomy::default_norwegian`]. An organisation can give
//! its own in TOML:
//!
//! ```toml
//! [[categories]]
//! key = "avvik"
//! [[categories.subtypes]]
//! key = "personvernbrudd"
//! flags = { personal_data_breach = true }
//! ```
//!
//! A [`Taxonomy`] can only be built valid (through [`Taxonomy::new`] or
//! deserialisation); nothing downstream re-checks it. Labels live in
//! `locales/*/taxonomy.toml` under [`label_key`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest category or sub-type key, in characters.
pub const MAX_KEY_CHARS: usize = 40;

/// Why a key was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No characters.
    #[error("a key must not be empty")]
    Empty,
    /// More than [`MAX_KEY_CHARS`] characters.
    #[error("a key is at most {MAX_KEY_CHARS} characters")]
    TooLong,
    /// A character other than `a`–`z` and `_`.
    #[error("a key may contain only a-z and _")]
    InvalidCharacter,
}

fn check_key(s: &str) -> Result<(), KeyError> {
    if s.is_empty() {
        return Err(KeyError::Empty);
    }
    if s.len() > MAX_KEY_CHARS {
        return Err(KeyError::TooLong);
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(KeyError::InvalidCharacter);
    }
    Ok(())
}

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a key: 1 to [`MAX_KEY_CHARS`] characters of `a`–`z` and `_`.
            pub fn parse(s: &str) -> Result<Self, KeyError> {
                check_key(s)?;
                Ok($name(s.to_owned()))
            }

            /// The key.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// For the built-in defaults, which the tests show are valid.
            fn known(s: &'static str) -> Self {
                $name(s.to_owned())
            }
        }

        impl TryFrom<String> for $name {
            type Error = KeyError;
            fn try_from(s: String) -> Result<Self, KeyError> {
                check_key(&s)?;
                Ok($name(s))
            }
        }

        impl From<$name> for String {
            fn from(k: $name) -> String {
                k.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

key_type!(
    /// The key of a case category (`varsling`, `avvik`, `sikkerhet`, or one
    /// the organisation configured).
    CategoryKey
);
key_type!(
    /// The key of a sub-type within a category (`personvernbrudd`, ...).
    SubtypeKey
);

impl From<super::Category> for CategoryKey {
    fn from(c: super::Category) -> Self {
        CategoryKey::known(c.key())
    }
}

/// The legal duties a sub-type triggers. All `false` by default: an ordinary
/// case follows only the acknowledgement and feedback deadlines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubtypeFlags {
    /// A personal-data breach (GDPR art. 33): the organisation must decide
    /// within 72 hours of becoming aware whether to notify Datatilsynet.
    pub personal_data_breach: bool,
    /// Security-threatening activity or a serious security breach under
    /// sikkerhetsloven § 4-5: NSM is notified "straks", so the contact points
    /// are alerted at once and the notice decision is due immediately.
    pub security_act: bool,
    /// An offence straffeloven § 196 obliges the organisation to avert
    /// (espionage, sabotage, threats against the state): the case cannot be
    /// closed without an explicit police/PST decision.
    pub penal_196: bool,
}

impl SubtypeFlags {
    /// Whether closing requires a recorded police/PST decision.
    pub fn requires_police_decision_before_close(self) -> bool {
        self.penal_196
    }
}

/// A sub-type of a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subtype {
    /// Its key, unique within the category.
    pub key: SubtypeKey,
    /// The duties it triggers.
    #[serde(default)]
    pub flags: SubtypeFlags,
    /// Labels for a sub-type the translation files do not know; the default
    /// sub-types take theirs from `locales/*/taxonomy.toml`.
    #[serde(default)]
    pub labels: SubtypeLabels,
}

/// A configured sub-type's label in each interface language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubtypeLabels {
    /// Norwegian bokmål.
    pub nb: Option<String>,
    /// Norwegian nynorsk; optional: without it nynorsk pages show the
    /// bokmål label.
    pub nn: Option<String>,
    /// English.
    pub en: Option<String>,
}

impl SubtypeLabels {
    /// Whether bokmål and English have a non-blank label (nynorsk may
    /// borrow the bokmål one).
    pub fn complete(&self) -> bool {
        [&self.nb, &self.en]
            .iter()
            .all(|l| l.as_deref().is_some_and(|l| !l.trim().is_empty()))
    }
}

/// A category and its sub-types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryDef {
    /// Its key, unique in the taxonomy.
    pub key: CategoryKey,
    /// Its sub-types, in display order; at least one.
    pub subtypes: Vec<Subtype>,
}

impl CategoryDef {
    /// The sub-type with `key`.
    pub fn subtype(&self, key: &SubtypeKey) -> Option<&Subtype> {
        self.subtypes.iter().find(|s| s.key == *key)
    }
}

/// Why a taxonomy was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaxonomyError {
    /// No categories at all.
    #[error("the taxonomy needs at least one category")]
    NoCategories,
    /// A category without sub-types.
    #[error("category {0} needs at least one sub-type")]
    NoSubtypes(CategoryKey),
    /// Two categories with the same key.
    #[error("category {0} is defined twice")]
    DuplicateCategory(CategoryKey),
    /// Two sub-types with the same key in one category.
    #[error("sub-type {subtype} is defined twice in category {category}")]
    DuplicateSubtype {
        /// The category.
        category: CategoryKey,
        /// The repeated sub-type.
        subtype: SubtypeKey,
    },
}

/// The categories and sub-types cases are filed under. Always valid: at least
/// one category, each with at least one sub-type, and no repeated keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TaxonomyDef")]
pub struct Taxonomy {
    categories: Vec<CategoryDef>,
}

/// The unchecked form a taxonomy is deserialised from.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyDef {
    categories: Vec<CategoryDef>,
}

impl TryFrom<TaxonomyDef> for Taxonomy {
    type Error = TaxonomyError;
    fn try_from(def: TaxonomyDef) -> Result<Self, TaxonomyError> {
        Taxonomy::new(def.categories)
    }
}

impl Default for Taxonomy {
    fn default() -> Self {
        Taxonomy::default_norwegian()
    }
}

impl Taxonomy {
    /// Checks and builds a taxonomy: at least one category, each with at
    /// least one sub-type, category keys unique, sub-type keys unique within
    /// their category (the same sub-type key may appear in two categories).
    pub fn new(categories: Vec<CategoryDef>) -> Result<Self, TaxonomyError> {
        if categories.is_empty() {
            return Err(TaxonomyError::NoCategories);
        }
        for (i, category) in categories.iter().enumerate() {
            if categories[..i].iter().any(|c| c.key == category.key) {
                return Err(TaxonomyError::DuplicateCategory(category.key.clone()));
            }
            if category.subtypes.is_empty() {
                return Err(TaxonomyError::NoSubtypes(category.key.clone()));
            }
            for (j, subtype) in category.subtypes.iter().enumerate() {
                if category.subtypes[..j].iter().any(|s| s.key == subtype.key) {
                    return Err(TaxonomyError::DuplicateSubtype {
                        category: category.key.clone(),
                        subtype: subtype.key.clone(),
                    });
                }
            }
        }
        Ok(Taxonomy { categories })
    }

    /// The default taxonomy of SPEC §4.
    ///
    /// | category | sub-type | flags |
    /// | --- | --- | --- |
    /// | `varsling` | `trakassering`, `diskriminering`, `korrupsjon_okonomisk_kriminalitet`, `fare_liv_helse`, `lov_etikkbrudd` | — |
    /// | `avvik` | `rutinebrudd`, `feil_utstyr`, `tilgangsfeil`, `sikkerhetsbrudd`, `tapt_enhet` | — |
    /// | `avvik` | `personvernbrudd` | `personal_data_breach` |
    /// | `sikkerhet` | `rekrutteringsforsok`, `innsideaktivitet` | — |
    /// | `sikkerhet` | `spionasje`, `sabotasje` | `penal_196`, `security_act` |
    /// | `sikkerhet` | `trusler` | `penal_196` |
    ///
    /// Why these flags and not more:
    /// - `personvernbrudd` is by definition a breach of personal-data
    ///   security, so GDPR art. 33's 72-hour notification decision applies.
    ///   `sikkerhetsbrudd` and `tapt_enhet` may or may not involve personal
    ///   data; a handler who finds that they do reclassifies the case.
    /// - `spionasje` and `sabotasje` are security-threatening activity in the
    ///   sense of sikkerhetsloven § 4-5 (NSM notified "straks") and are among
    ///   the offences against the state straffeloven § 196 obliges one to
    ///   avert, so they need an explicit police/PST decision before closing.
    /// - `trusler` (threats against the state, its officials or the
    ///   organisation's security) may be a § 196 offence, so closing needs an
    ///   explicit police/PST decision (which may be "do not escalate"); a
    ///   threat is not by itself security-threatening activity, so no
    ///   immediate NSM notice is forced — the contact points may still decide
    ///   one, and a `kritisk` threat gets the 24-hour escalation deadline.
    /// - `rekrutteringsforsok` and `innsideaktivitet` often turn out harmless
    ///   or are too vague at receipt to justify an immediate notice; every
    ///   `sikkerhet` case above `lav` reaches the contact points anyway, and a
    ///   confirmed suspicion is reclassified (e.g. to `spionasje`).
    /// - `sikkerhetsbrudd` is not flagged `security_act`: only a *serious*
    ///   security breach triggers § 4-5, and routine information-security
    ///   deviations must not alert the contact points; a serious one is
    ///   raised to `kritisk` (24-hour escalation decision).
    /// - Organisations outside the Security Act can clear `security_act` in
    ///   their configured taxonomy.
    pub fn default_norwegian() -> Self {
        const NONE: SubtypeFlags = SubtypeFlags {
            personal_data_breach: false,
            security_act: false,
            penal_196: false,
        };
        fn category(key: &'static str, subtypes: &[(&'static str, SubtypeFlags)]) -> CategoryDef {
            CategoryDef {
                key: CategoryKey::known(key),
                subtypes: subtypes
                    .iter()
                    .map(|&(key, flags)| Subtype {
                        key: SubtypeKey::known(key),
                        flags,
                        labels: SubtypeLabels::default(),
                    })
                    .collect(),
            }
        }
        let breach = SubtypeFlags {
            personal_data_breach: true,
            ..NONE
        };
        let against_state = SubtypeFlags {
            security_act: true,
            penal_196: true,
            ..NONE
        };
        let penal = SubtypeFlags {
            penal_196: true,
            ..NONE
        };
        Taxonomy {
            categories: vec![
                category(
                    "varsling",
                    &[
                        ("trakassering", NONE),
                        ("diskriminering", NONE),
                        ("korrupsjon_okonomisk_kriminalitet", NONE),
                        ("fare_liv_helse", NONE),
                        ("lov_etikkbrudd", NONE),
                    ],
                ),
                category(
                    "avvik",
                    &[
                        ("rutinebrudd", NONE),
                        ("feil_utstyr", NONE),
                        ("tilgangsfeil", NONE),
                        ("sikkerhetsbrudd", NONE),
                        ("tapt_enhet", NONE),
                        ("personvernbrudd", breach),
                    ],
                ),
                category(
                    "sikkerhet",
                    &[
                        ("rekrutteringsforsok", NONE),
                        ("innsideaktivitet", NONE),
                        ("spionasje", against_state),
                        ("sabotasje", against_state),
                        ("trusler", penal),
                    ],
                ),
            ],
        }
    }

    /// The categories, in display order.
    pub fn categories(&self) -> &[CategoryDef] {
        &self.categories
    }

    /// The category with `key`.
    pub fn category(&self, key: &CategoryKey) -> Option<&CategoryDef> {
        self.categories.iter().find(|c| c.key == *key)
    }

    /// The sub-type `subtype` of `category`; `None` if either is unknown.
    pub fn subtype(&self, category: &CategoryKey, subtype: &SubtypeKey) -> Option<&Subtype> {
        self.category(category)?.subtype(subtype)
    }

    /// The duties of a case's (category, sub-type); none for a case without
    /// a sub-type or one the taxonomy no longer has.
    pub fn flags_of(
        &self,
        category: super::Category,
        subtype: Option<&SubtypeKey>,
    ) -> SubtypeFlags {
        subtype
            .and_then(|s| self.subtype(&CategoryKey::from(category), s))
            .map_or_else(SubtypeFlags::default, |s| s.flags)
    }
}

/// The translation key of a sub-type's label: `taxonomy.<category>.<subtype>`.
pub fn label_key(category: &CategoryKey, subtype: &SubtypeKey) -> String {
    format!("taxonomy.{category}.{subtype}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::Category;

    fn cat(k: &str) -> CategoryKey {
        CategoryKey::parse(k).expect("valid category key")
    }

    fn sub(k: &str) -> SubtypeKey {
        SubtypeKey::parse(k).expect("valid subtype key")
    }

    fn flags_of(t: &Taxonomy, c: &str, s: &str) -> SubtypeFlags {
        t.subtype(&cat(c), &sub(s)).expect("default subtype").flags
    }

    fn def(key: &str, subtypes: &[&str]) -> CategoryDef {
        CategoryDef {
            key: cat(key),
            subtypes: subtypes
                .iter()
                .map(|s| Subtype {
                    key: sub(s),
                    flags: SubtypeFlags::default(),
                    labels: SubtypeLabels::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn keys_accept_lowercase_ascii_and_underscore_only() {
        assert!(CategoryKey::parse("varsling").is_ok());
        assert!(SubtypeKey::parse("korrupsjon_okonomisk_kriminalitet").is_ok());
        assert!(SubtypeKey::parse("_").is_ok());
        assert_eq!(CategoryKey::parse("").err(), Some(KeyError::Empty));
        assert_eq!(
            CategoryKey::parse("Varsling").err(),
            Some(KeyError::InvalidCharacter)
        );
        assert_eq!(
            SubtypeKey::parse("høy").err(),
            Some(KeyError::InvalidCharacter)
        );
        for bad in ["a b", "a-b", "a.b", "a1", " a", "taxonomy.x"] {
            assert_eq!(
                SubtypeKey::parse(bad).err(),
                Some(KeyError::InvalidCharacter),
                "{bad}"
            );
        }
        assert!(SubtypeKey::parse(&"a".repeat(40)).is_ok());
        assert_eq!(
            SubtypeKey::parse(&"a".repeat(41)).err(),
            Some(KeyError::TooLong)
        );
    }

    #[test]
    fn keys_deserialize_through_parse() {
        #[derive(Deserialize)]
        struct K {
            k: CategoryKey,
        }
        assert_eq!(
            toml::from_str::<K>("k = \"avvik\"").map(|k| k.k).ok(),
            Some(cat("avvik"))
        );
        assert!(toml::from_str::<K>("k = \"Avvik\"").is_err());
        assert!(toml::from_str::<K>("k = \"\"").is_err());
    }

    #[test]
    fn default_taxonomy_is_valid_and_matches_the_spec() {
        let t = Taxonomy::default_norwegian();
        assert_eq!(Taxonomy::new(t.categories().to_vec()).as_ref(), Ok(&t));
        let listed: Vec<(String, Vec<String>)> = t
            .categories()
            .iter()
            .map(|c| {
                (
                    c.key.to_string(),
                    c.subtypes.iter().map(|s| s.key.to_string()).collect(),
                )
            })
            .collect();
        let expected: Vec<(String, Vec<String>)> = [
            (
                "varsling",
                &[
                    "trakassering",
                    "diskriminering",
                    "korrupsjon_okonomisk_kriminalitet",
                    "fare_liv_helse",
                    "lov_etikkbrudd",
                ][..],
            ),
            (
                "avvik",
                &[
                    "rutinebrudd",
                    "feil_utstyr",
                    "tilgangsfeil",
                    "sikkerhetsbrudd",
                    "tapt_enhet",
                    "personvernbrudd",
                ][..],
            ),
            (
                "sikkerhet",
                &[
                    "rekrutteringsforsok",
                    "innsideaktivitet",
                    "spionasje",
                    "sabotasje",
                    "trusler",
                ][..],
            ),
        ]
        .iter()
        .map(|(c, s)| (c.to_string(), s.iter().map(|s| s.to_string()).collect()))
        .collect();
        assert_eq!(listed, expected);
        for c in t.categories() {
            for s in &c.subtypes {
                assert!(SubtypeKey::parse(s.key.as_str()).is_ok());
            }
            assert!(CategoryKey::parse(c.key.as_str()).is_ok());
        }
    }

    #[test]
    fn default_flags_follow_the_law() {
        let t = Taxonomy::default_norwegian();
        let none = SubtypeFlags::default();
        assert_eq!(
            flags_of(&t, "avvik", "personvernbrudd"),
            SubtypeFlags {
                personal_data_breach: true,
                ..none
            }
        );
        let against_state = SubtypeFlags {
            security_act: true,
            penal_196: true,
            ..none
        };
        assert_eq!(flags_of(&t, "sikkerhet", "spionasje"), against_state);
        assert_eq!(flags_of(&t, "sikkerhet", "sabotasje"), against_state);
        assert_eq!(
            flags_of(&t, "sikkerhet", "trusler"),
            SubtypeFlags {
                penal_196: true,
                ..none
            }
        );
        assert!(flags_of(&t, "sikkerhet", "trusler").requires_police_decision_before_close());
        let flagged = [
            ("avvik", "personvernbrudd"),
            ("sikkerhet", "spionasje"),
            ("sikkerhet", "sabotasje"),
            ("sikkerhet", "trusler"),
        ];
        for c in t.categories() {
            for s in &c.subtypes {
                if !flagged.contains(&(c.key.as_str(), s.key.as_str())) {
                    assert_eq!(s.flags, none, "{}.{}", c.key, s.key);
                }
            }
        }
    }

    #[test]
    fn default_categories_match_the_category_enum() {
        let t = Taxonomy::default_norwegian();
        let keys: Vec<CategoryKey> = t.categories().iter().map(|c| c.key.clone()).collect();
        let from_enum: Vec<CategoryKey> =
            Category::ALL.into_iter().map(CategoryKey::from).collect();
        assert_eq!(keys, from_enum);
    }

    #[test]
    fn lookup_finds_known_and_rejects_unknown() {
        let t = Taxonomy::default_norwegian();
        assert!(t.subtype(&cat("varsling"), &sub("trakassering")).is_some());
        assert!(t.subtype(&cat("avvik"), &sub("trakassering")).is_none());
        assert!(t.subtype(&cat("nope"), &sub("trakassering")).is_none());
        assert_eq!(t.category(&cat("avvik")).map(|c| c.subtypes.len()), Some(6));
    }

    #[test]
    fn invalid_taxonomies_are_rejected() {
        assert_eq!(Taxonomy::new(vec![]), Err(TaxonomyError::NoCategories));
        assert_eq!(
            Taxonomy::new(vec![def("a", &["x"]), def("b", &[])]),
            Err(TaxonomyError::NoSubtypes(cat("b")))
        );
        assert_eq!(
            Taxonomy::new(vec![def("a", &["x"]), def("a", &["y"])]),
            Err(TaxonomyError::DuplicateCategory(cat("a")))
        );
        assert_eq!(
            Taxonomy::new(vec![def("a", &["x", "y", "x"])]),
            Err(TaxonomyError::DuplicateSubtype {
                category: cat("a"),
                subtype: sub("x")
            })
        );
        // The same sub-type key in two categories is fine.
        assert!(Taxonomy::new(vec![def("a", &["annet"]), def("b", &["annet"])]).is_ok());
    }

    #[test]
    fn taxonomy_round_trips_through_toml() {
        let t = Taxonomy::default_norwegian();
        let text = toml::to_string(&t).expect("serializes");
        let back: Taxonomy = toml::from_str(&text).expect("deserializes");
        assert_eq!(back, t);
    }

    #[test]
    fn taxonomy_from_toml_config_is_checked() {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Config {
            taxonomy: Taxonomy,
        }
        let good = r#"
            [[taxonomy.categories]]
            key = "avvik"
            [[taxonomy.categories.subtypes]]
            key = "personvernbrudd"
            flags = { personal_data_breach = true }
            [[taxonomy.categories.subtypes]]
            key = "annet"
        "#;
        let config: Config = toml::from_str(good).expect("valid taxonomy");
        assert!(
            config
                .taxonomy
                .subtype(&cat("avvik"), &sub("personvernbrudd"))
                .map(|s| s.flags.personal_data_breach)
                == Some(true)
        );
        assert_eq!(
            config
                .taxonomy
                .subtype(&cat("avvik"), &sub("annet"))
                .map(|s| s.flags),
            Some(SubtypeFlags::default())
        );
        let duplicate = good.replace("\"annet\"", "\"personvernbrudd\"");
        assert!(toml::from_str::<Config>(&duplicate).is_err());
        let unknown_flag = good.replace("personal_data_breach", "gdpr");
        assert!(toml::from_str::<Config>(&unknown_flag).is_err());
        let bad_key = good.replace("\"annet\"", "\"Annet\"");
        assert!(toml::from_str::<Config>(&bad_key).is_err());
        assert!(toml::from_str::<Config>("[taxonomy]\ncategories = []\n").is_err());
    }

    #[test]
    fn label_keys_are_namespaced() {
        assert_eq!(
            label_key(&cat("avvik"), &sub("tapt_enhet")),
            "taxonomy.avvik.tapt_enhet"
        );
    }

    #[test]
    fn every_default_subtype_has_a_label_in_both_languages() {
        use crate::core::i18n::{Lang, Translator};
        let t = Taxonomy::default_norwegian();
        for lang in [Lang::Nb, Lang::En] {
            let tr = Translator::new(lang);
            for c in t.categories() {
                for s in &c.subtypes {
                    let key = label_key(&c.key, &s.key);
                    assert_ne!(tr.t(&key), key, "{key} missing in {}", lang.code());
                }
            }
        }
    }
}
