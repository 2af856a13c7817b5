//! The media library: listing a workspace's media, their alt text, their previews, and deleting
//! the ones no post still needs.
//!
//! A trait of its own ([`LibraryStore`], a supertrait of [`crate::Store`]) like
//! [`crate::PlanningStore`]; both backends implement it from one body of SQL
//! (`sql_library.rs`), checked by the conformance scenarios of `conformance/library.rs`.
//!
//! Every method is scoped to a workspace: a media of another workspace is neither seen nor
//! changed, exactly as if it did not exist.

use async_trait::async_trait;
use relais_core::audit::AuditEvent;
use relais_core::{MediaId, WorkspaceId};

use crate::{Media, StoreResult};

/// What [`LibraryStore::delete_media`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaDeletion {
    Deleted,
    /// No such media in this workspace.
    NotFound,
    /// Kept: `posts` posts not yet gone (draft, waiting for approval, scheduled or failed, which
    /// can be retried) still use it, in their parts or in a channel's variant.
    InUse {
        posts: u64,
    },
}

#[async_trait]
pub trait LibraryStore: Send + Sync {
    /// Newest first, without their bytes.
    async fn media_list(&self, workspace: WorkspaceId, limit: u32) -> StoreResult<Vec<Media>>;
    /// The media `ids` names that exist in this workspace, in the order of `ids` (an id given
    /// twice comes twice), without their bytes: enough to check a post's attachments against a
    /// network's rules without loading the files.
    async fn media_infos(&self, workspace: WorkspaceId, ids: &[MediaId])
    -> StoreResult<Vec<Media>>;
    /// Sets (or, with `None`, removes) the library's alt text. `false` when there is no such
    /// media; the audit line is written only when the text changes.
    async fn set_media_alt(
        &self,
        workspace: WorkspaceId,
        id: MediaId,
        alt: Option<String>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Deletes a media unless a post not yet gone uses it (see [`MediaDeletion::InUse`]); the
    /// check and the deletion are one statement, so a post cannot start using it in between.
    async fn delete_media(
        &self,
        workspace: WorkspaceId,
        id: MediaId,
        audit: AuditEvent,
    ) -> StoreResult<MediaDeletion>;
    /// The preview made at upload, if there is one.
    async fn media_thumbnail(
        &self,
        workspace: WorkspaceId,
        id: MediaId,
    ) -> StoreResult<Option<Vec<u8>>>;
}
