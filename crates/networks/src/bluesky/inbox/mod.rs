//! The brand's inbox on Bluesky (see `crate::inbox`): mentions, replies in its threads, quotes
//! and reposts of its posts.
//!
//! - [`stream`] follows the firehose (`com.atproto.sync.subscribeRepos`) of the channel's PDS,
//!   or of the relay its `firehose` setting names, and keeps what concerns the brand; it needs
//!   nothing but a PDS, so it is the way on a self-hosted one.
//! - [`read`] asks the AppView through the PDS (`app.bsky.notification.listNotifications`):
//!   the fallback, when the stream was down longer than the server keeps its history.
//! - [`act`] likes, reposts, blocks, hides (thread gate), mutes and reports.
//!
//! Both paths give a record the same id, its `at://` URI, so the store keeps one message
//! whichever came first. The firehose is decoded here without outside libraries (`firehose`):
//! a small DAG-CBOR decoder, a CAR reader and CIDs, all bounded against hostile input.

mod actions;
mod concern;
mod firehose;
mod message;
mod notifications;
mod socket;
mod stream;

pub(crate) use actions::act;
pub(crate) use notifications::read;
pub(crate) use stream::stream;

use super::Bluesky;
use crate::{Credentials, NetworkError};

/// The brand's DID, logging in first when the channel has no session yet.
async fn brand_did(bluesky: &Bluesky, creds: &mut Credentials) -> Result<String, NetworkError> {
    if creds.secret("did").is_none() || creds.secret("access_jwt").is_none() {
        bluesky.create_session(creds).await?;
    }
    Bluesky::did(creds)
}

/// The parsers of this module, for the fuzz target `bluesky_firehose`: each reads bytes as a
/// server could send them and never panics.
#[doc(hidden)]
pub mod fuzzing {
    use crate::inbox::IncomingMessage;

    use super::firehose::{self, Frame, car, cbor};

    /// A brand to read frames and notifications for.
    pub const BRAND: &str = "did:plc:brand";
    const WEB: &str = "https://bsky.app";

    /// `data` as one firehose frame: its `seq`, and the messages of a commit that concern
    /// `brand` (a DID); the error in words otherwise.
    pub fn read_frame(
        data: &[u8],
        brand: &str,
    ) -> Result<(Option<i64>, Vec<IncomingMessage>), String> {
        let frame = firehose::decode_frame(data).map_err(|e| e.to_string())?;
        let messages = match &frame {
            Frame::Commit(commit) => super::stream::messages_of_commit(commit, brand, WEB),
            _ => Vec::new(),
        };
        Ok((frame.seq(), messages))
    }

    /// `data` as a CAR file: how many blocks it holds.
    pub fn read_car(data: &[u8]) -> Result<usize, String> {
        car::read(data).map(|c| c.len()).map_err(|e| e.to_string())
    }

    /// `data` as one DAG-CBOR item, in AT Protocol's JSON form.
    pub fn read_cbor(data: &[u8]) -> Result<serde_json::Value, String> {
        cbor::decode(data)
            .map(|item| firehose::to_json(&item))
            .map_err(|e| e.to_string())
    }

    /// `data` as a `listNotifications` answer: the messages for [`BRAND`].
    pub fn read_notifications(data: &[u8]) -> Vec<IncomingMessage> {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
            return Vec::new();
        };
        let list = body
            .get("notifications")
            .and_then(serde_json::Value::as_array);
        list.into_iter()
            .flatten()
            .filter_map(|n| super::notifications::message_of_notification(n, BRAND, WEB))
            .collect()
    }
}
