//! Outgoing mail. Capabilities hand a [`Mail`] to a [`Mailer`]; the real one speaks SMTP through
//! lettre, configured from the `[mail]` section of the config file.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text: only for a relay on the same machine or in tests.
    None,
    /// Upgrade with STARTTLS (port 587, the usual submission port).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// The SMTP server. Empty: mail is off, and Relais shows links to copy instead.
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
    /// The sender, such as `Relais <relais@example.org>`.
    pub from: String,
}

impl SmtpConfig {
    pub fn is_enabled(&self) -> bool {
        !self.host.trim().is_empty()
    }
}

/// One plain-text message to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are not valid: {0}; fix the [mail] section of the config file")]
    Config(String),
    #[error("`{0}` is not an address mail can be sent to")]
    Address(String),
    #[error("the mail server refused or could not be reached: {0}")]
    Send(String),
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| MailError::Config(format!("`from` = `{}`: {e}", config.from)))?;
        let port = if config.port != 0 {
            config.port
        } else {
            match config.security {
                Security::None => 25,
                Security::Starttls => 587,
                Security::Tls => 465,
            }
        };
        let tls = || {
            TlsParameters::new(config.host.clone()).map_err(|e| MailError::Config(e.to_string()))
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
                .port(port)
                .timeout(Some(Duration::from_secs(20)));
        builder = match config.security {
            Security::None => builder.tls(Tls::None),
            Security::Starttls => builder.tls(Tls::Required(tls()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls()?)),
        };
        if !config.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                config.username.clone(),
                config.password.clone(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    pub fn shared(config: &SmtpConfig) -> Result<Option<Arc<dyn Mailer>>, MailError> {
        if !config.is_enabled() {
            return Ok(None);
        }
        Ok(Some(Arc::new(Self::new(config)?)))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .body(mail.text)
            .map_err(|e| MailError::Send(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_testkit::smtp::SmtpSink;

    fn config(port: u16) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: Security::None,
            from: "Relais <relais@example.org>".into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn delivers_through_a_real_smtp_conversation() {
        let sink = SmtpSink::start().await;
        let mailer = SmtpMailer::new(&config(sink.port)).expect("valid config");
        mailer
            .send(Mail {
                to: "zoe@example.fr".into(),
                subject: "Invitation à rejoindre Acme".into(),
                text: "Bonjour,\n.line starting with a dot\nhttp://x/invite/abc".into(),
            })
            .await
            .expect("sent");
        let got = sink.messages();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].from, "relais@example.org");
        assert_eq!(got[0].to, vec!["zoe@example.fr".to_owned()]);
        assert!(got[0].data.contains("http://x/invite/abc"));
        assert!(
            got[0].data.contains(".line starting with a dot"),
            "dot-stuffing undone"
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error_not_a_hang() {
        let mailer = SmtpMailer::new(&config(relais_testkit::free_port())).expect("valid config");
        let err = mailer
            .send(Mail {
                to: "a@b.fr".into(),
                subject: "s".into(),
                text: "t".into(),
            })
            .await
            .expect_err("nothing listens");
        assert!(matches!(err, MailError::Send(_)));
    }

    #[test]
    fn a_bad_sender_is_a_config_error() {
        let mut c = config(25);
        c.from = "not an address".into();
        assert!(matches!(SmtpMailer::new(&c), Err(MailError::Config(_))));
        assert!(
            SmtpMailer::shared(&SmtpConfig::default())
                .expect("off is fine")
                .is_none()
        );
    }
}
