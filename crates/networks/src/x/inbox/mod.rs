//! The brand's inbox on this network (see [`crate::inbox`]): not written yet.

use relais_outbound::HttpClient;

use crate::inbox::{InboxPage, Interaction};
use crate::{Credentials, NetworkError};

pub(crate) async fn read(
    _http: &HttpClient,
    _creds: &mut Credentials,
    _cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    Err(NetworkError::Unsupported("not written yet".into()))
}

pub(crate) async fn act(
    _http: &HttpClient,
    _creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    Err(NetworkError::Unsupported(format!(
        "{} is not written yet",
        interaction.name()
    )))
}
