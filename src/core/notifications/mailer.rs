//! The one e-mail Varsel sends, and the SMTP client that sends it.
//!
//! Every notification is the same mail: something in Varsel needs the
//! recipient's attention, and a link to the staff login page. It never names
//! a case, category, severity, deadline or anything a reporter wrote, so a
//! mailbox, a mail relay or a forwarded copy learns nothing about a case.

use std::time::Duration;

use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::core::i18n::{Lang, Translator};
use crate::core::settings::{NotificationSettings, SmtpTls};

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

impl From<lettre::transport::smtp::Error> for MailError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        if let Some(code) = e.status() {
            let code = u16::from(code);
            if e.is_permanent() {
                MailError::Permanent(code)
            } else {
                MailError::Transient(code)
            }
        } else if e.is_timeout() {
            MailError::Timeout
        } else if e.is_tls() {
            MailError::Tls
        } else if e.is_client() {
            MailError::Unsupported
        } else if e.is_response() {
            MailError::Protocol
        } else {
            MailError::Connection
        }
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

/// Sends notification mails over SMTP as the settings say.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    login_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for the `[notifications]` settings. No connection is made
    /// until a mail is sent; each mail uses its own connection.
    pub fn new(settings: &NotificationSettings) -> Result<Self, MailError> {
        let host = settings.smtp_host.trim();
        let builder = match settings.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|_| MailError::Tls)?,
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|_| MailError::Tls)?
            }
        };
        let mut builder = builder
            .port(settings.smtp_port)
            .timeout(Some(Duration::from_secs(settings.timeout_seconds)))
            .hello_name(client_id(&settings.public_url));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.clone(),
            ));
        }
        let from: Mailbox = settings.from.parse().map_err(|_| MailError::Message)?;
        Ok(Mailer {
            transport: builder.build(),
            from,
            login_url: settings.login_url(),
        })
    }

    /// Tells `to` that something in Varsel needs their attention.
    pub async fn send_attention(&self, to: &str) -> Result<(), MailError> {
        let to: Mailbox = to.trim().parse().map_err(|_| MailError::InvalidAddress)?;
        let (subject, body) = attention_message(&self.login_url);
        let body = Body::new_with_encoding(body, ContentTransferEncoding::QuotedPrintable)
            .map_err(|_| MailError::Message)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!(
                "<{}@{}>",
                Uuid::new_v4().simple(),
                self.from.email.domain()
            )))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .singlepart(lettre::message::SinglePart::builder().body(body))
            .map_err(|_| MailError::Message)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// How Varsel names itself in the SMTP greeting: the public URL's host.
fn client_id(url: &str) -> ClientId {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some(v6) = authority
        .strip_prefix('[')
        .and_then(|a| a.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
    {
        return ClientId::Ipv6(v6);
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if let Ok(v4) = host.parse() {
        ClientId::Ipv4(v4)
    } else if host.is_empty() {
        ClientId::Domain("localhost".to_owned())
    } else {
        ClientId::Domain(host.to_owned())
    }
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

    #[test]
    fn the_greeting_names_the_public_host() {
        let shown = |url: &str| client_id(url).to_string();
        assert_eq!(shown("https://varsel.example.org"), "varsel.example.org");
        assert_eq!(shown("http://127.0.0.1:8080/x"), "[127.0.0.1]");
        assert_eq!(shown("http://[::1]:8080"), "[IPv6:::1]");
        assert_eq!(shown(""), "localhost");
    }

    #[test]
    fn a_mailer_builds_for_every_tls_mode() {
        for tls in [SmtpTls::None, SmtpTls::Starttls, SmtpTls::Tls] {
            let settings = NotificationSettings {
                tls,
                ..NotificationSettings::default()
            };
            assert!(Mailer::new(&settings).is_ok(), "{tls:?}");
        }
    }
}
