//! SMTP delivery of the notification mail: the adapter behind the core's
//! [`MailTransport`] port. One connection per mail; TLS by rustls.

use std::time::Duration;

use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::core::notifications::{attention_message, MailError, MailSender, MailTransport};
use crate::core::settings::{NotificationSettings, SmtpTls};

/// Checks what only the SMTP layer can judge in `[notifications]`: that
/// `from` is a mailbox (`Varsel <varsel@example.org>`). Run with the other
/// settings checks at start-up.
pub fn check_settings(settings: &NotificationSettings) -> anyhow::Result<()> {
    if settings.enabled && settings.from.parse::<Mailbox>().is_err() {
        anyhow::bail!("notifications.from must be an address like \"Varsel <varsel@example.org>\"");
    }
    if settings.enabled && !settings.ca_file.trim().is_empty() {
        extra_roots(settings).map_err(|e| {
            anyhow::anyhow!(
                "notifications.ca_file {:?} cannot be used: {e}",
                settings.ca_file
            )
        })?;
    }
    Ok(())
}

/// The certificates of `ca_file`, one per PEM block; none if it is unset.
fn extra_roots(settings: &NotificationSettings) -> Result<Vec<Certificate>, String> {
    let path = settings.ca_file.trim();
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let pem = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    const END: &str = "-----END CERTIFICATE-----";
    let blocks: Vec<&str> = pem
        .split_inclusive(END)
        .filter(|block| block.contains("-----BEGIN CERTIFICATE-----"))
        .collect();
    if blocks.is_empty() {
        return Err("no PEM certificate in the file".into());
    }
    blocks
        .into_iter()
        .map(|block| Certificate::from_pem(block.trim().as_bytes()).map_err(|e| e.to_string()))
        .collect()
}

/// The TLS parameters for `host`: the usual roots and those of `ca_file`.
fn tls_parameters(settings: &NotificationSettings, host: &str) -> Result<TlsParameters, MailError> {
    let mut builder = TlsParameters::builder(host.to_owned());
    for cert in extra_roots(settings).map_err(|_| MailError::Tls)? {
        builder = builder.add_root_certificate(cert);
    }
    builder.build_rustls().map_err(|_| MailError::Tls)
}

/// Mail over SMTP, as `[notifications]` says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Smtp;

impl MailTransport for Smtp {
    fn sender(&self, settings: &NotificationSettings) -> Result<Box<dyn MailSender>, MailError> {
        Ok(Box::new(SmtpMailer::new(settings)?))
    }
}

/// Sends notification mails over SMTP as the settings say.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    login_url: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for the `[notifications]` settings. No connection is made
    /// until a mail is sent; each mail uses its own connection.
    pub fn new(settings: &NotificationSettings) -> Result<Self, MailError> {
        let host = settings.smtp_host.trim();
        let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host);
        let builder = match settings.tls {
            SmtpTls::None => plain,
            SmtpTls::Starttls => plain.tls(Tls::Required(tls_parameters(settings, host)?)),
            SmtpTls::Tls => plain.tls(Tls::Wrapper(tls_parameters(settings, host)?)),
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
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
            login_url: settings.login_url(),
        })
    }
}

#[async_trait::async_trait]
impl MailSender for SmtpMailer {
    async fn send_attention(&self, to: &str) -> Result<(), MailError> {
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
        self.transport.send(message).await.map_err(mail_error)?;
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

/// The short, address-free class of an SMTP failure.
fn mail_error(e: lettre::transport::smtp::Error) -> MailError {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(SmtpMailer::new(&settings).is_ok(), "{tls:?}");
        }
    }
}
