//! Escalation decisions and case outcomes (SPEC §4): the authorities a
//! contact point decides about, the decision, its legal basis, and how a
//! closed case ended. Each has a stable stored key; labels are translated
//! under `escalation.<group>.<key>`.

/// Defines a closed set of keyed values with `ALL`, `key` and `parse`.
macro_rules! keyed {
    ($(#[$doc:meta])* $name:ident, $group:literal { $($(#[$vdoc:meta])* $variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and transmitted key.
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key),+
                }
            }

            /// Parses a key; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.key() == s)
            }

            /// The translation key of the label.
            pub fn label_key(self) -> String {
                format!("escalation.{}.{}", $group, self.key())
            }

            /// The translation key of the label of a stored key.
            pub fn label_key_of(key: &str) -> String {
                format!("escalation.{}.{}", $group, key)
            }
        }
    };
}

keyed!(
    /// An authority a case may be escalated to.
    Authority, "authority" {
        /// The police.
        Politi => "politi",
        /// The Police Security Service.
        Pst => "pst",
        /// The National Security Authority.
        Nsm => "nsm",
        /// The Data Protection Authority.
        Datatilsynet => "datatilsynet",
        /// The Labour Inspection Authority.
        Arbeidstilsynet => "arbeidstilsynet",
        /// Another authority.
        Other => "other",
    }
);

impl Authority {
    /// True for the authorities whose decision a § 196 case needs before it
    /// may be closed (the police or PST).
    pub fn satisfies_penal_196(self) -> bool {
        matches!(self, Authority::Politi | Authority::Pst)
    }
}

keyed!(
    /// What was decided about an authority.
    Decision, "decision" {
        /// Notify the authority.
        Escalate => "escalate",
        /// Do not notify it.
        DoNotEscalate => "do_not_escalate",
        /// Decide later.
        Defer => "defer",
    }
);

impl Decision {
    /// The decisions that decide something about an authority, and so meet a
    /// deadline to decide; deferring decides nothing, however early.
    pub const DECIDING: &'static [Decision] = &[Decision::Escalate, Decision::DoNotEscalate];
}

keyed!(
    /// The legal basis a decision rests on.
    LegalBasis, "legal_basis" {
        /// Sikkerhetsloven § 4-5.
        Sikkerhetsloven45 => "sikkerhetsloven_4_5",
        /// GDPR articles 33 and 34.
        Gdpr3334 => "gdpr_33_34",
        /// Straffeloven § 196.
        Straffeloven196 => "straffeloven_196",
        /// Another basis.
        Other => "other",
    }
);

keyed!(
    /// How a closed case ended.
    Outcome, "outcome" {
        /// The reported matter was substantiated.
        Substantiated => "substantiated",
        /// It was not substantiated.
        NotSubstantiated => "not_substantiated",
        /// It was referred elsewhere.
        Referred => "referred",
        /// Something else.
        Other => "other",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_unknown_keys_are_refused() {
        for a in Authority::ALL {
            assert_eq!(Authority::parse(a.key()), Some(*a));
        }
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.key()), Some(*d));
        }
        for b in LegalBasis::ALL {
            assert_eq!(LegalBasis::parse(b.key()), Some(*b));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.key()), Some(*o));
        }
        assert_eq!(Authority::parse("Politi"), None);
        assert_eq!(Decision::parse(""), None);
    }

    #[test]
    fn only_police_or_pst_satisfy_196() {
        let ok: Vec<_> = Authority::ALL
            .iter()
            .filter(|a| a.satisfies_penal_196())
            .collect();
        assert_eq!(ok, [&Authority::Politi, &Authority::Pst]);
    }
}
