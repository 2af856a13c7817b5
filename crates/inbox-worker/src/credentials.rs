//! A channel's credentials, opened from the vault for one call to its network and sealed back
//! when the network renewed a token.

use std::sync::Arc;

use relais_networks::Credentials;
use relais_store::{Channel, Store, StoreResult};
use relais_vault::Vault;

fn context(channel: &Channel) -> String {
    format!("channel:{}", channel.id)
}

/// The channel's credentials in the clear, or why they cannot be read (in words a person can
/// act on).
pub fn open(vault: Option<&Vault>, channel: &Channel) -> Result<Credentials, String> {
    let Some(vault) = vault else {
        return Err(
            "the secret key is not configured, so the channel's credentials cannot be read".into(),
        );
    };
    let secrets = vault
        .open_all(&context(channel), &channel.secrets)
        .map_err(|e| format!("the channel's credentials cannot be read: {e}"))?;
    Ok(Credentials {
        settings: channel.settings.clone(),
        secrets,
        changed: false,
    })
}

/// Seals and stores the secrets again when the network changed them (a renewed token), so that
/// the next call does not use a spent one.
pub async fn save_if_changed(
    store: &Arc<dyn Store>,
    vault: Option<&Vault>,
    channel: &Channel,
    creds: &Credentials,
) -> StoreResult<()> {
    if !creds.changed {
        return Ok(());
    }
    let Some(vault) = vault else {
        return Ok(());
    };
    match vault.seal_all(&context(channel), &creds.secrets) {
        Ok(sealed) => {
            store
                .update_channel_secrets(channel.workspace_id, channel.id, &sealed)
                .await
        }
        Err(e) => {
            tracing::warn!(channel = %channel.id, error = %e, "cannot seal renewed credentials");
            Ok(())
        }
    }
}
