//! The one e-mail Varsel sends, and the port it goes out through.
//!
//! Every notification is the same mail: something in Varsel needs the
//! recipient's attention, and a link to the staff login page. It never names
//! a case, category, severity, deadline or anything a reporter wrote, so a
//! mailbox, a mail relay or a forwarded copy learns nothing about a case.

use crate::core::i18n::{Lang, Translator};
use crate::core::settings::NotificationSettings;

/// Why a mail was not sent. `Display` is short and safe to store and show to
/// administrators: a class and an SMTP reply code, never an address or a
/// server's free-text reply (which often quotes the address).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// The recipient's stored address is not a valid address.
    #[error("invalid e-mail address")]
    InvalidAddress,
    /// The server refused with a 4xx reply.
    #[error("temporary SMTP failure {0}")]
    Transient(u16),
    /// The server refused with a 5xx reply.
    #[error("permanent SMTP failure {0}")]
    Permanent(u16),
    /// The exchange timed out.
    #[error("SMTP timeout")]
    Timeout,
    /// TLS could not be set up or was refused.
    #[error("TLS error")]
    Tls,
    /// The server lacks what the settings require (STARTTLS, an
    /// authentication mechanism, SMTPUTF8 or 8BITMIME).
    #[error("the SMTP server lacks a required feature (STARTTLS, authentication or 8BITMIME)")]
    Unsupported,
    /// The server's reply could not be understood.
    #[error("invalid SMTP reply")]
    Protocol,
    /// The connection failed or broke.
    #[error("connection to the SMTP server failed")]
    Connection,
    /// The message could not be built (a bad `from` setting).
    #[error("cannot build the message")]
    Message,
}

impl MailError {
    /// Whether trying again later cannot help: the address or the message is
    /// wrong. SMTP refusals, even 5xx ones, are retried: they are as often a
    /// relay's configuration (authentication, relaying) that an operator fixes.
    pub fn retrying_cannot_help(&self) -> bool {
        matches!(self, MailError::InvalidAddress | MailError::Message)
    }
}

/// The subject and plain-text body of the notification mail, bokmål first,
/// then English (there is no per-user language yet).
pub fn attention_message(login_url: &str) -> (String, String) {
    let nb = Translator::new(Lang::Nb);
    let en = Translator::new(Lang::En);
    let subject = format!(
        "Varsel: {} / {}",
        nb.t("notifications.mail.subject"),
        en.t("notifications.mail.subject")
    );
    let part = |t: Translator| {
        format!(
            "{}\n\n{}\n{login_url}\n\n{}\n",
            t.t("notifications.mail.greeting"),
            t.t("notifications.mail.attention"),
            t.t("notifications.mail.nothing_about_the_case"),
        )
    };
    let body = format!("{}\n-- \n\n{}", part(nb), part(en));
    (subject, body)
}

/// Where notification mails go out. The service plugs in SMTP
/// ([`crate::smtp::Smtp`]); the core only asks for a sender and sends.
pub trait MailTransport: Send + Sync {
    /// A sender for `settings`. No connection is made yet; an error means no
    /// mail can be sent with these settings (a bad `from`, TLS set-up).
    fn sender(&self, settings: &NotificationSettings) -> Result<Box<dyn MailSender>, MailError>;
}

/// Sends the notification mail.
#[async_trait::async_trait]
pub trait MailSender: Send + Sync {
    /// Tells `to` that something in Varsel needs their attention.
    async fn send_attention(&self, to: &str) -> Result<(), MailError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_says_only_that_something_needs_attention() {
        let (subject, body) = attention_message("https://varsel.example.org/staff/login");
        assert_eq!(
            subject,
            "Varsel: en sak trenger oppmerksomhet / a case needs attention"
        );
        assert!(body.contains("\nhttps://varsel.example.org/staff/login\n"));
        assert_eq!(body.matches("/staff/login").count(), 2, "{body}");
        let lower = body.to_lowercase();
        for word in [
            "kritisk", "critical", "avvik", "varsling", "severity", "alvor",
        ] {
            assert!(!lower.contains(word), "{word} in {body}");
        }
    }

    #[test]
    fn smtp_errors_become_short_classes_without_addresses() {
        assert_eq!(
            MailError::Transient(451).to_string(),
            "temporary SMTP failure 451"
        );
        assert!(MailError::InvalidAddress.retrying_cannot_help());
        assert!(!MailError::Permanent(550).retrying_cannot_help());
    }
}
