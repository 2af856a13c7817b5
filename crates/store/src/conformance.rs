#![allow(clippy::unwrap_used)] // Scenarios are tests: a failed call should stop them loudly.

//! The scenarios every backend must pass, unchanged. `tests/sqlite.rs` and `tests/postgres.rs`
//! run each of them on a fresh, migrated database through [`conformance_suite!`].
//!
//! A new store method comes with a scenario here; a behaviour that differs between the backends
//! is a bug in one of them.

mod audience;
mod inbox;
mod library;
mod listening;
mod planning;
pub use audience::*;
pub use inbox::*;
pub use library::*;
pub use listening::*;
pub use planning::*;

use std::collections::HashSet;
use std::sync::Arc;

use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DisplayName, Email, Role, Slug, Timestamp, UserId};

use crate::{
    Cell, Conflict, Invitee, JobStatus, NewApiToken, NewInvitation, NewJob, NewSession, NewUser,
    Store, StoreError, TABLES,
};

/// Generates one `#[tokio::test]` per scenario; `$make` is an async fn returning a fresh,
/// migrated `Arc<dyn Store>`.
#[macro_export]
macro_rules! conformance_suite {
    ($make:path) => {
        $crate::conformance_suite!(@each $make;
            migrations_are_idempotent, first_admin_is_made_once, emails_are_unique,
            workspaces_and_memberships, renaming_and_finding_by_id, password_change_ends_other_sessions, last_admin_is_protected, workspaces_are_isolated,
            invitations_lifecycle, sessions_expire, api_tokens_lifecycle,
            failed_changes_write_no_audit, audit_log_pages_newest_first, settings_keep_the_first_value,
            channels_are_named_per_workspace_and_isolated, posts_targets_and_their_jobs, publication_is_recorded_part_by_part, targets_finishing_together_settle_their_post, the_last_part_finishes_its_job, media_keep_their_bytes, approval_queues_or_cancels_once, rescheduling_moves_the_jobs_too, jobs_claim_lease_and_retry, jobs_are_claimed_once_under_contention, table_list_matches_schema,
            oauth_apps_and_connections, comments_stay_on_their_post, queue_slots_and_planned_times, feed_entries_make_one_post_each,
            media_library_lists_and_previews, media_alt_text_changes_are_audited, media_in_use_are_kept,
            sites_belong_to_one_workspace, goals_are_unique_and_go_with_their_site, one_salt_per_day_then_forgotten,
            links_have_unique_slugs_and_stay_in_their_workspace, funnels_follow_their_site_goals,
            listening_stays_in_its_workspace, listening_changes_by_people_are_audited,
            a_mention_found_twice_is_stored_once, mention_filters_and_pages_miss_nothing,
            series_count_buckets_without_duplicates_or_muted, top_authors_and_texts_count_the_same_mentions,
            due_sources_and_poll_state_round_trip, alert_events_fire_once, deleting_a_query_removes_its_matches,
            inbox_threads_messages_into_conversations, inbox_contacts_are_upserted_and_merged, inbox_reopens_on_new_messages,
            inbox_response_clock_runs_until_a_reply_is_sent, inbox_replies_go_through_their_states_once,
            inbox_filters_keep_what_they_say, inbox_pages_miss_nothing, inbox_long_tags_filter_like_short_ones, inbox_stays_in_its_workspace,
            inbox_changes_by_people_are_audited, canned_replies_are_unique_by_name_and_language,
            inbox_columns_are_the_teams_and_ones_own, inbox_settings_and_channel_state_round_trip,
            moderation_rules_keep_their_order, reviews_open_once_and_are_decided_once, presence_ignores_expired_rows,
            sla_samples_and_changes_follow_conversations, inbox_version_moves_with_what_the_pages_show);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn copy_round_trips() {
            let (from, to) = ($make().await, $make().await);
            $crate::conformance::copy_round_trips(from, to).await;
        }
    };
    (@each $make:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $make().await;
                $crate::conformance::$name(store).await;
            }
        )*
    };
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.to_owned(),
        target: "test".to_owned(),
        details: serde_json::json!({}),
    }
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).expect("valid test e-mail"),
        name: DisplayName::parse(email.split('@').next().unwrap_or("x")).expect("valid name"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        is_instance_admin: false,
    }
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).expect("valid test slug")
}

async fn user(store: &Arc<dyn Store>, email: &str) -> UserId {
    store
        .create_user(new_user(email), audit("user.create"))
        .await
        .expect("user created")
        .id
}

pub async fn migrations_are_idempotent(store: Arc<dyn Store>) {
    assert_eq!(
        store.migrate().await.expect("second migrate"),
        0,
        "nothing left to apply"
    );
    store.ping().await.expect("ping");
}

pub async fn first_admin_is_made_once(store: Arc<dyn Store>) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let admin = store
        .create_first_admin(new_user("ada@example.org"), audit("setup.first_admin"))
        .await
        .expect("first admin");
    assert!(
        admin.is_instance_admin,
        "the first user administers the instance"
    );
    let again = store
        .create_first_admin(new_user("eve@example.org"), audit("setup.first_admin"))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict(Conflict::SetupDone))),
        "{again:?}"
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
    let log = store.audit_log(None, None, 10).await.unwrap();
    assert_eq!(log.len(), 1, "one setup, one audit line");
    assert_eq!(log[0].event.actor.user_id, Some(admin.id));
}

pub async fn emails_are_unique(store: Arc<dyn Store>) {
    user(&store, "zoe@example.fr").await;
    let twice = store
        .create_user(new_user("ZOE@example.fr"), audit("user.create"))
        .await;
    assert!(
        matches!(twice, Err(StoreError::Conflict(Conflict::EmailTaken))),
        "{twice:?}"
    );
    let (found, hash) = store
        .credentials_by_email(&Email::parse("Zoe@Example.fr").unwrap())
        .await
        .unwrap()
        .expect("found whatever the case");
    assert_eq!(found.email.as_str(), "zoe@example.fr");
    assert!(hash.starts_with("$argon2id$"));
    store.set_user_locale(found.id, Some("fr")).await.unwrap();
    assert_eq!(
        store
            .user_by_id(found.id)
            .await
            .unwrap()
            .unwrap()
            .locale
            .as_deref(),
        Some("fr")
    );
}

pub async fn workspaces_and_memberships(store: Arc<dyn Store>) {
    let ada = user(&store, "ada@example.org").await;
    let bob = user(&store, "bob@example.org").await;
    let acme = store
        .create_workspace(&slug("acme"), "Acme", Some(ada), audit("workspace.create"))
        .await
        .unwrap();
    let dup = store
        .create_workspace(&slug("acme"), "Other", None, audit("workspace.create"))
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(Conflict::SlugTaken))),
        "{dup:?}"
    );
    assert_eq!(
        store.role_of(acme.id, ada).await.unwrap(),
        Some(Role::Admin)
    );
    assert_eq!(store.role_of(acme.id, bob).await.unwrap(), None);

    store
        .add_member(acme.id, bob, Role::Contributor, audit("member.add"))
        .await
        .unwrap();
    let again = store
        .add_member(acme.id, bob, Role::Editor, audit("member.add"))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict(Conflict::AlreadyMember))),
        "{again:?}"
    );

    let beta = store
        .create_workspace(&slug("beta"), "Beta", Some(bob), audit("workspace.create"))
        .await
        .unwrap();
    // One person, two workspaces, two roles.
    let of_bob = store.workspaces_of(bob).await.unwrap();
    let roles: Vec<(&str, Role)> = of_bob.iter().map(|(w, r)| (w.slug.as_str(), *r)).collect();
    assert_eq!(
        roles,
        vec![("acme", Role::Contributor), ("beta", Role::Admin)]
    );

    store
        .change_role(acme.id, bob, Role::Editor, audit("member.role"))
        .await
        .unwrap();
    let members = store.members(acme.id).await.unwrap();
    let listed: Vec<(&str, Role)> = members
        .iter()
        .map(|m| (m.user.email.as_str(), m.role))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("ada@example.org", Role::Admin),
            ("bob@example.org", Role::Editor)
        ]
    );

    store
        .remove_member(acme.id, bob, audit("member.remove"))
        .await
        .unwrap();
    assert_eq!(store.role_of(acme.id, bob).await.unwrap(), None);
    assert_eq!(
        store.role_of(beta.id, bob).await.unwrap(),
        Some(Role::Admin),
        "other workspace untouched"
    );
    // A workspace page's first question: the workspace and the role, or nothing.
    let (found, role) = store
        .membership_by_slug(&slug("beta"), bob)
        .await
        .unwrap()
        .expect("bob is in beta");
    assert_eq!((found.id, role), (beta.id, Role::Admin));
    assert_eq!(
        store.membership_by_slug(&slug("acme"), bob).await.unwrap(),
        None,
        "no longer a member"
    );
    assert_eq!(
        store.membership_by_slug(&slug("gamma"), ada).await.unwrap(),
        None
    );
    let by_slug = store
        .workspace_by_slug(&slug("beta"))
        .await
        .unwrap()
        .expect("found");
    assert_eq!(by_slug.id, beta.id);
    assert!(
        store
            .workspace_by_slug(&slug("nope"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.all_workspaces().await.unwrap().len(), 2);
}

pub async fn renaming_and_finding_by_id(store: Arc<dyn Store>) {
    let w = store
        .create_workspace(&slug("acme"), "Acme", None, audit("workspace.create"))
        .await
        .unwrap();
    let mut e = audit("workspace.rename");
    e.workspace_id = Some(w.id);
    store
        .rename_workspace(w.id, "Acme France", e)
        .await
        .unwrap();
    let found = store
        .workspace_by_id(w.id)
        .await
        .unwrap()
        .expect("found by id");
    assert_eq!(
        (found.name.as_str(), found.slug.as_str()),
        ("Acme France", "acme"),
        "the slug stays"
    );
    assert!(
        store
            .workspace_by_id(relais_core::WorkspaceId::new())
            .await
            .unwrap()
            .is_none()
    );
    let missing = store
        .rename_workspace(
            relais_core::WorkspaceId::new(),
            "X",
            audit("workspace.rename"),
        )
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
    let log = store.audit_log(Some(w.id), None, 10).await.unwrap();
    assert_eq!(log[0].event.action, "workspace.rename");
}

pub async fn password_change_ends_other_sessions(store: Arc<dyn Store>) {
    let ada = user(&store, "ada@example.org").await;
    let bob = user(&store, "bob@example.org").await;
    let now = Timestamp::now();
    for (hash, who) in [("here", ada), ("phone", ada), ("laptop", ada), ("bob", bob)] {
        store
            .create_session(NewSession {
                token_hash: hash.into(),
                user_id: who,
                created_at: now,
                expires_at: now.plus_seconds(3600),
            })
            .await
            .unwrap();
    }
    store
        .set_password(ada, "$argon2id$new", Some("here"), audit("user.password"))
        .await
        .unwrap();
    let (_, hash) = store
        .credentials_by_email(&Email::parse("ada@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "$argon2id$new");
    assert!(
        store.session_user("here", now).await.unwrap().is_some(),
        "the session that changed it stays"
    );
    assert!(
        store.session_user("phone", now).await.unwrap().is_none(),
        "the others end"
    );
    assert!(
        store.session_user("bob", now).await.unwrap().is_some(),
        "other users are untouched"
    );
    store
        .create_session(NewSession {
            token_hash: "tablet".into(),
            user_id: ada,
            created_at: now,
            expires_at: now.plus_seconds(60),
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_other_sessions(ada, Some("here"))
            .await
            .unwrap(),
        1
    );
    assert!(store.session_user("here", now).await.unwrap().is_some());
}

pub async fn last_admin_is_protected(store: Arc<dyn Store>) {
    let ada = user(&store, "ada@example.org").await;
    let bob = user(&store, "bob@example.org").await;
    let w = store
        .create_workspace(&slug("acme"), "Acme", Some(ada), audit("workspace.create"))
        .await
        .unwrap();
    let demote = store
        .change_role(w.id, ada, Role::Editor, audit("member.role"))
        .await;
    assert!(
        matches!(demote, Err(StoreError::Conflict(Conflict::LastAdmin))),
        "{demote:?}"
    );
    let remove = store.remove_member(w.id, ada, audit("member.remove")).await;
    assert!(
        matches!(remove, Err(StoreError::Conflict(Conflict::LastAdmin))),
        "{remove:?}"
    );
    assert_eq!(
        store.role_of(w.id, ada).await.unwrap(),
        Some(Role::Admin),
        "refusals change nothing"
    );

    store
        .add_member(w.id, bob, Role::Admin, audit("member.add"))
        .await
        .unwrap();
    // Two admins demoting each other at the same time: one must be refused.
    let (a, b) = tokio::join!(
        store.change_role(w.id, ada, Role::Analyst, audit("member.role")),
        store.change_role(w.id, bob, Role::Analyst, audit("member.role")),
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one demotion passes: {a:?} {b:?}"
    );
    let admins = store
        .members(w.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.role == Role::Admin)
        .count();
    assert_eq!(admins, 1);
    let missing = store
        .change_role(w.id, UserId::new(), Role::Editor, audit("member.role"))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

pub async fn workspaces_are_isolated(store: Arc<dyn Store>) {
    let ada = user(&store, "ada@example.org").await;
    let a = store
        .create_workspace(&slug("alpha"), "A", Some(ada), audit("workspace.create"))
        .await
        .unwrap();
    let b = store
        .create_workspace(&slug("bravo"), "B", None, audit("workspace.create"))
        .await
        .unwrap();
    let token = store
        .create_api_token(
            NewApiToken {
                workspace_id: a.id,
                name: "ci".into(),
                role: Role::Editor,
                token_hash: "hash-a".into(),
                created_by: Some(ada),
            },
            audit("token.create"),
        )
        .await
        .unwrap();
    assert!(
        store.api_tokens(b.id).await.unwrap().is_empty(),
        "B sees no token of A"
    );
    let cross = store
        .revoke_api_token(b.id, token.id, audit("token.revoke"))
        .await;
    assert!(
        matches!(cross, Err(StoreError::NotFound(_))),
        "B cannot revoke A's token"
    );
    assert!(
        store
            .use_api_token("hash-a", Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );

    let inv = store
        .create_invitation(
            NewInvitation {
                workspace_id: a.id,
                email: Email::parse("new@example.org").unwrap(),
                role: Role::Analyst,
                token_hash: "inv-a".into(),
                invited_by: Some(ada),
                expires_at: Timestamp::now().plus_seconds(3600),
            },
            audit("invitation.create"),
        )
        .await
        .unwrap();
    assert!(
        store
            .pending_invitations(b.id, Timestamp::now())
            .await
            .unwrap()
            .is_empty()
    );
    let cross = store
        .revoke_invitation(b.id, inv.id, audit("invitation.revoke"))
        .await;
    assert!(matches!(cross, Err(StoreError::NotFound(_))));
    assert!(store.members(b.id).await.unwrap().is_empty());
    assert_eq!(store.role_of(b.id, ada).await.unwrap(), None);
    let mut a_event = audit("custom");
    a_event.workspace_id = Some(a.id);
    store.record_audit(a_event).await.unwrap();
    let b_log = store.audit_log(Some(b.id), None, 100).await.unwrap();
    assert!(
        b_log.iter().all(|r| r.event.workspace_id == Some(b.id)),
        "B's log holds only B"
    );
}

pub async fn invitations_lifecycle(store: Arc<dyn Store>) {
    let ada = user(&store, "ada@example.org").await;
    let w = store
        .create_workspace(&slug("acme"), "Acme", Some(ada), audit("workspace.create"))
        .await
        .unwrap();
    let now = Timestamp::now();
    let invite = |hash: &str, email: &str, expires: Timestamp| NewInvitation {
        workspace_id: w.id,
        email: Email::parse(email).unwrap(),
        role: Role::Contributor,
        token_hash: hash.to_owned(),
        invited_by: Some(ada),
        expires_at: expires,
    };
    let inv = store
        .create_invitation(
            invite("h1", "new@example.org", now.plus_seconds(3600)),
            audit("invitation.create"),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .invitation_by_token_hash("h1")
            .await
            .unwrap()
            .unwrap()
            .id,
        inv.id
    );
    assert_eq!(store.pending_invitations(w.id, now).await.unwrap().len(), 1);

    let newcomer = store
        .accept_invitation(
            inv.id,
            Invitee::New(new_user("new@example.org")),
            now,
            audit("invitation.accept"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.role_of(w.id, newcomer.id).await.unwrap(),
        Some(Role::Contributor)
    );
    assert!(
        store
            .pending_invitations(w.id, now)
            .await
            .unwrap()
            .is_empty()
    );
    let twice = store
        .accept_invitation(
            inv.id,
            Invitee::Existing(newcomer.id),
            now,
            audit("invitation.accept"),
        )
        .await;
    assert!(
        matches!(
            twice,
            Err(StoreError::Conflict(Conflict::InvitationNotPending))
        ),
        "{twice:?}"
    );

    // Expired: refused, and the account it would have made does not exist.
    let old = store
        .create_invitation(
            invite("h2", "late@example.org", now.plus_seconds(1)),
            audit("invitation.create"),
        )
        .await
        .unwrap();
    let late = store
        .accept_invitation(
            old.id,
            Invitee::New(new_user("late@example.org")),
            now.plus_seconds(5),
            audit("invitation.accept"),
        )
        .await;
    assert!(
        matches!(
            late,
            Err(StoreError::Conflict(Conflict::InvitationNotPending))
        ),
        "{late:?}"
    );
    assert!(
        store
            .credentials_by_email(&Email::parse("late@example.org").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // An existing account joins; a new account with a taken e-mail changes nothing.
    let bob = user(&store, "bob@example.org").await;
    let third = store
        .create_invitation(
            invite("h3", "bob@example.org", now.plus_seconds(3600)),
            audit("invitation.create"),
        )
        .await
        .unwrap();
    let taken = store
        .accept_invitation(
            third.id,
            Invitee::New(new_user("bob@example.org")),
            now,
            audit("invitation.accept"),
        )
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(Conflict::EmailTaken))),
        "{taken:?}"
    );
    assert!(
        store
            .invitation_by_token_hash("h3")
            .await
            .unwrap()
            .unwrap()
            .accepted_at
            .is_none()
    );
    store
        .accept_invitation(
            third.id,
            Invitee::Existing(bob),
            now,
            audit("invitation.accept"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.role_of(w.id, bob).await.unwrap(),
        Some(Role::Contributor)
    );

    let fourth = store
        .create_invitation(
            invite("h4", "x@example.org", now.plus_seconds(3600)),
            audit("invitation.create"),
        )
        .await
        .unwrap();
    store
        .revoke_invitation(w.id, fourth.id, audit("invitation.revoke"))
        .await
        .unwrap();
    let revoked = store
        .accept_invitation(
            fourth.id,
            Invitee::New(new_user("x@example.org")),
            now,
            audit("invitation.accept"),
        )
        .await;
    assert!(matches!(
        revoked,
        Err(StoreError::Conflict(Conflict::InvitationNotPending))
    ));
}

pub async fn sessions_expire(store: Arc<dyn Store>) {
    let ada = user(&store, "ada@example.org").await;
    let now = Timestamp::now();
    for (hash, ttl) in [("live", 3600), ("old", 10)] {
        store
            .create_session(NewSession {
                token_hash: hash.into(),
                user_id: ada,
                created_at: now,
                expires_at: now.plus_seconds(ttl),
            })
            .await
            .unwrap();
    }
    let later = now.plus_seconds(60);
    assert_eq!(
        store
            .session_user("live", later)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ada)
    );
    assert!(
        store.session_user("old", later).await.unwrap().is_none(),
        "expired sessions log nobody in"
    );
    assert!(
        store
            .session_user("unknown", later)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.purge_expired_sessions(later).await.unwrap(), 1);
    store.delete_session("live").await.unwrap();
    assert!(
        store.session_user("live", now).await.unwrap().is_none(),
        "logged out"
    );
}

pub async fn api_tokens_lifecycle(store: Arc<dyn Store>) {
    let w = store
        .create_workspace(&slug("acme"), "Acme", None, audit("workspace.create"))
        .await
        .unwrap();
    let t = store
        .create_api_token(
            NewApiToken {
                workspace_id: w.id,
                name: "zapier".into(),
                role: Role::Analyst,
                token_hash: "th".into(),
                created_by: None,
            },
            audit("token.create"),
        )
        .await
        .unwrap();
    let now = Timestamp::now();
    let used = store
        .use_api_token("th", now)
        .await
        .unwrap()
        .expect("live token");
    assert_eq!(
        (used.id, used.role, used.workspace_id),
        (t.id, Role::Analyst, w.id)
    );
    let listed = store.api_tokens(w.id).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(now), "use is recorded");
    store
        .revoke_api_token(w.id, t.id, audit("token.revoke"))
        .await
        .unwrap();
    assert!(
        store.use_api_token("th", now).await.unwrap().is_none(),
        "revoked tokens open nothing"
    );
    let again = store
        .revoke_api_token(w.id, t.id, audit("token.revoke"))
        .await;
    assert!(matches!(again, Err(StoreError::NotFound(_))));
}

pub async fn failed_changes_write_no_audit(store: Arc<dyn Store>) {
    let ada = user(&store, "ada@example.org").await;
    let w = store
        .create_workspace(&slug("acme"), "Acme", Some(ada), audit("workspace.create"))
        .await
        .unwrap();
    let before = store.audit_log(Some(w.id), None, 100).await.unwrap().len();
    let _ = store
        .create_workspace(&slug("acme"), "Again", None, audit("workspace.create"))
        .await;
    let _ = store
        .change_role(w.id, ada, Role::Analyst, audit("member.role"))
        .await;
    let _ = store
        .add_member(w.id, ada, Role::Editor, audit("member.add"))
        .await;
    assert_eq!(
        store.audit_log(Some(w.id), None, 100).await.unwrap().len(),
        before
    );
    assert_eq!(
        store.all_workspaces().await.unwrap().len(),
        1,
        "no half-made workspace"
    );
}

pub async fn audit_log_pages_newest_first(store: Arc<dyn Store>) {
    let w = store
        .create_workspace(&slug("acme"), "Acme", None, audit("workspace.create"))
        .await
        .unwrap();
    for i in 0..5 {
        let mut e = audit(&format!("step.{i}"));
        e.workspace_id = Some(w.id);
        e.details = serde_json::json!({ "i": i });
        store.record_audit(e).await.unwrap();
    }
    let first = store.audit_log(Some(w.id), None, 3).await.unwrap();
    let actions: Vec<&str> = first.iter().map(|r| r.event.action.as_str()).collect();
    assert_eq!(actions, vec!["step.4", "step.3", "step.2"]);
    assert_eq!(first[0].event.details, serde_json::json!({ "i": 4 }));
    let rest = store
        .audit_log(Some(w.id), Some(first[2].id), 10)
        .await
        .unwrap();
    let actions: Vec<&str> = rest.iter().map(|r| r.event.action.as_str()).collect();
    assert_eq!(actions, vec!["step.1", "step.0", "workspace.create"]);
}

pub async fn settings_keep_the_first_value(store: Arc<dyn Store>) {
    assert_eq!(store.setting_or_insert("k", "one").await.unwrap(), "one");
    assert_eq!(store.setting_or_insert("k", "two").await.unwrap(), "one");
}

pub async fn channels_are_named_per_workspace_and_isolated(store: Arc<dyn Store>) {
    use crate::{ChannelStatus, NewChannel};
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let b = store
        .create_workspace(&slug("bravo"), "B", None, audit("workspace.create"))
        .await
        .unwrap();
    let new = |ws: relais_core::WorkspaceId, name: &str| NewChannel {
        id: relais_core::ChannelId::new(),
        workspace_id: ws,
        network: "bluesky".into(),
        name: name.into(),
        settings: serde_json::json!({ "service": "https://pds.example", "handle": "brand.example" }),
        secrets: [("app_password".to_owned(), "v1.sealed".to_owned())].into(),
        created_by: None,
    };
    let c = store
        .create_channel(new(a.id, "Bluesky FR"), audit("channel.create"))
        .await
        .unwrap();
    let dup = store
        .create_channel(new(a.id, "Bluesky FR"), audit("channel.create"))
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(Conflict::ChannelNameTaken))),
        "{dup:?}"
    );
    store
        .create_channel(new(b.id, "Bluesky FR"), audit("channel.create"))
        .await
        .expect("names are per workspace");

    let found = store
        .channel_by_name(a.id, "Bluesky FR")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.status), (c.id, ChannelStatus::Active));
    assert_eq!(found.settings["handle"], "brand.example");
    assert_eq!(found.secrets["app_password"], "v1.sealed");
    assert!(
        store.channel(b.id, c.id).await.unwrap().is_none(),
        "B cannot read A's channel by id"
    );
    assert_eq!(store.channels(a.id).await.unwrap().len(), 1);

    store
        .set_channel_status(
            a.id,
            c.id,
            ChannelStatus::NeedsReconnect,
            Some("401: token expired"),
        )
        .await
        .unwrap();
    let broken = store.channel(a.id, c.id).await.unwrap().unwrap();
    assert_eq!(
        (broken.status, broken.status_detail.as_deref()),
        (ChannelStatus::NeedsReconnect, Some("401: token expired"))
    );
    store
        .update_channel_secrets(
            a.id,
            c.id,
            &[("app_password".to_owned(), "v1.new".to_owned())].into(),
        )
        .await
        .unwrap();
    let fixed = store.channel(a.id, c.id).await.unwrap().unwrap();
    assert_eq!(
        (fixed.status, fixed.secrets["app_password"].as_str()),
        (ChannelStatus::Active, "v1.new")
    );
    assert!(
        store
            .set_channel_status(b.id, c.id, ChannelStatus::Disabled, None)
            .await
            .is_err(),
        "nor change it"
    );
    assert!(
        store
            .delete_channel(b.id, c.id, audit("channel.delete"))
            .await
            .is_err(),
        "nor delete it"
    );
    store
        .delete_channel(a.id, c.id, audit("channel.delete"))
        .await
        .unwrap();
    assert!(store.channels(a.id).await.unwrap().is_empty());
}

async fn channel_in(
    store: &Arc<dyn Store>,
    ws: relais_core::WorkspaceId,
    name: &str,
) -> relais_core::ChannelId {
    let c = crate::NewChannel {
        id: relais_core::ChannelId::new(),
        workspace_id: ws,
        network: "bluesky".into(),
        name: name.into(),
        settings: serde_json::json!({}),
        secrets: Default::default(),
        created_by: None,
    };
    store
        .create_channel(c, audit("channel.create"))
        .await
        .unwrap()
        .id
}

fn new_post(ws: relais_core::WorkspaceId, texts: &[&str]) -> crate::NewPost {
    crate::NewPost {
        id: relais_core::PostId::new(),
        workspace_id: ws,
        author_id: None,
        author_label: "cli".into(),
        status: crate::PostStatus::Scheduled,
        parts: texts
            .iter()
            .map(|t| crate::PostPart {
                text: (*t).to_owned(),
                media: vec![],
            })
            .collect(),
        scheduled_at: Some(Timestamp::from_millis(1_800_000_000_000)),
        time_zone: Some("Europe/Paris".into()),
    }
}

pub async fn posts_targets_and_their_jobs(store: Arc<dyn Store>) {
    use crate::{NewTarget, PublishPlan, TargetStatus};
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let b = store
        .create_workspace(&slug("bravo"), "B", None, audit("workspace.create"))
        .await
        .unwrap();
    let c1 = channel_in(&store, a.id, "one").await;
    let c2 = channel_in(&store, a.id, "two").await;
    let targets = vec![
        NewTarget {
            id: relais_core::TargetId::new(),
            channel_id: c1,
            parts: None,
        },
        NewTarget {
            id: relais_core::TargetId::new(),
            channel_id: c2,
            parts: Some(vec![crate::PostPart {
                text: "variante".into(),
                media: vec![],
            }]),
        },
    ];
    let plan = PublishPlan {
        job_kind: "publish.target".into(),
        run_at: Timestamp::from_millis(1_800_000_000_000),
        max_attempts: 8,
    };
    let (post, made) = store
        .create_post(
            new_post(a.id, &["Bonjour 👋"]),
            targets,
            Some(plan),
            audit("post.create"),
        )
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    assert!(made.iter().all(|t| t.status == TargetStatus::Queued));
    let read = store.post(a.id, post.id).await.unwrap().unwrap();
    assert_eq!(read.parts[0].text, "Bonjour 👋");
    assert_eq!(
        (read.time_zone.as_deref(), read.scheduled_at),
        (
            Some("Europe/Paris"),
            Some(Timestamp::from_millis(1_800_000_000_000))
        )
    );
    let listed = store.targets_of(a.id, post.id).await.unwrap();
    assert_eq!(
        listed.iter().filter(|t| t.parts.is_some()).count(),
        1,
        "the variant is kept"
    );
    assert_eq!(
        store.job_counts().await.unwrap(),
        vec![("queued".to_owned(), 2)],
        "one job per target, made with the post"
    );
    let job = store
        .claim_job("w", Timestamp::from_millis(1_800_000_000_000), 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.payload["workspace_id"], serde_json::json!(a.id));
    assert!(
        store.post(b.id, post.id).await.unwrap().is_none(),
        "another workspace sees no post"
    );
    assert!(store.targets_of(b.id, post.id).await.unwrap().is_empty());
    assert!(store.target(b.id, made[0].id).await.unwrap().is_none());
    assert!(
        store.begin_target_part(b.id, made[0].id, 0).await.is_err(),
        "nor touches it"
    );
    assert_eq!(store.posts(a.id, 10).await.unwrap().len(), 1);

    // A draft has no jobs and its targets wait.
    let (_, waiting) = store
        .create_post(
            new_post(a.id, &["brouillon"]),
            vec![NewTarget {
                id: relais_core::TargetId::new(),
                channel_id: c1,
                parts: None,
            }],
            None,
            audit("post.create"),
        )
        .await
        .unwrap();
    assert_eq!(waiting[0].status, TargetStatus::Waiting);
    // A post for a channel that does not exist is refused whole: no post, no job.
    let bad = store
        .create_post(
            new_post(a.id, &["x"]),
            vec![NewTarget {
                id: relais_core::TargetId::new(),
                channel_id: relais_core::ChannelId::new(),
                parts: None,
            }],
            Some(PublishPlan {
                job_kind: "k".into(),
                run_at: Timestamp::now(),
                max_attempts: 1,
            }),
            audit("post.create"),
        )
        .await;
    assert!(bad.is_err());
    assert_eq!(store.posts(a.id, 10).await.unwrap().len(), 2);
}

/// Two channels of one post finishing at the same instant, on two connections: whichever
/// commits last must see the other published and mark the post published (on PostgreSQL,
/// without a lock each would read the other as still publishing and leave the post as it was).
pub async fn targets_finishing_together_settle_their_post(store: Arc<dyn Store>) {
    use crate::{NewTarget, PostStatus, PublishPlan, PublishedRef};
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let channels = [
        channel_in(&store, a.id, "one").await,
        channel_in(&store, a.id, "two").await,
    ];
    for round in 0..20 {
        let ids = [relais_core::TargetId::new(), relais_core::TargetId::new()];
        let (post, _) = store
            .create_post(
                new_post(a.id, &["only part"]),
                ids.iter()
                    .zip(channels)
                    .map(|(id, c)| NewTarget {
                        id: *id,
                        channel_id: c,
                        parts: None,
                    })
                    .collect(),
                Some(PublishPlan {
                    job_kind: "publish.target".into(),
                    run_at: Timestamp::now(),
                    max_attempts: 3,
                }),
                audit("post.create"),
            )
            .await
            .unwrap();
        for id in ids {
            store.begin_target_part(a.id, id, 0).await.unwrap();
        }
        let finish = |id: relais_core::TargetId| {
            let store = store.clone();
            tokio::spawn(async move {
                let r = PublishedRef {
                    id: format!("x/{id}"),
                    version: None,
                    url: format!("https://x/{id}"),
                };
                store
                    .record_target_part(a.id, id, 0, r, 1, None, None)
                    .await
            })
        };
        let (one, two) = tokio::join!(finish(ids[0]), finish(ids[1]));
        one.unwrap().unwrap();
        two.unwrap().unwrap();
        let settled = store.post(a.id, post.id).await.unwrap().unwrap();
        assert_eq!(
            settled.status,
            PostStatus::Published,
            "round {round}: both channels published, the post must say so"
        );
    }
}

/// The job publishing a target is marked done with its last part, in the same transaction,
/// only while its lease is the recording worker's.
pub async fn the_last_part_finishes_its_job(store: Arc<dyn Store>) {
    use crate::{JobLease, NewTarget, PublishPlan, PublishedRef};
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let c = channel_in(&store, a.id, "one").await;
    let t = relais_core::TargetId::new();
    store
        .create_post(
            new_post(a.id, &["1/2", "2/2"]),
            vec![NewTarget {
                id: t,
                channel_id: c,
                parts: None,
            }],
            Some(PublishPlan {
                job_kind: "publish.target".into(),
                run_at: Timestamp::now(),
                max_attempts: 3,
            }),
            audit("post.create"),
        )
        .await
        .unwrap();
    let job = store
        .claim_job("w1", Timestamp::now(), 60_000)
        .await
        .unwrap()
        .expect("the publication job is due");
    let r = |n: u32| PublishedRef {
        id: format!("x/{n}"),
        version: None,
        url: format!("https://x/{n}"),
    };
    let mine = JobLease {
        job: job.id,
        worker: "w1".into(),
    };
    let stranger = JobLease {
        job: job.id,
        worker: "w2".into(),
    };
    let running = |counts: Vec<(String, u64)>| counts.contains(&("running".to_owned(), 1));
    store
        .record_target_part(a.id, t, 0, r(0), 2, None, Some(&mine))
        .await
        .unwrap();
    assert!(
        running(store.job_counts().await.unwrap()),
        "not the last part: the job goes on"
    );
    store
        .record_target_part(a.id, t, 1, r(1), 2, None, Some(&stranger))
        .await
        .unwrap();
    assert!(
        running(store.job_counts().await.unwrap()),
        "another worker's lease does not finish the job"
    );
    store
        .record_target_part(a.id, t, 1, r(1), 2, None, Some(&mine))
        .await
        .unwrap();
    let counts = store.job_counts().await.unwrap();
    assert!(
        counts.contains(&("done".to_owned(), 1)) && !running(counts.clone()),
        "{counts:?}"
    );
    assert!(
        !store
            .complete_job(job.id, "w1", Timestamp::now())
            .await
            .unwrap(),
        "already done"
    );
}

pub async fn publication_is_recorded_part_by_part(store: Arc<dyn Store>) {
    use crate::{NewTarget, PostStatus, PublishPlan, PublishedRef, TargetStatus};
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let c = channel_in(&store, a.id, "one").await;
    let c2 = channel_in(&store, a.id, "two").await;
    let t1 = relais_core::TargetId::new();
    let t2 = relais_core::TargetId::new();
    let plan = PublishPlan {
        job_kind: "publish.target".into(),
        run_at: Timestamp::now(),
        max_attempts: 3,
    };
    let (post, _) = store
        .create_post(
            new_post(a.id, &["1/2", "2/2"]),
            vec![
                NewTarget {
                    id: t1,
                    channel_id: c,
                    parts: None,
                },
                NewTarget {
                    id: t2,
                    channel_id: c2,
                    parts: None,
                },
            ],
            Some(plan),
            audit("post.create"),
        )
        .await
        .unwrap();
    let before = store.begin_target_part(a.id, t1, 0).await.unwrap();
    assert_eq!(
        before.in_flight_part, None,
        "first attempt: nothing was in flight"
    );
    // A crash here: the next attempt learns that part 0 may have reached the network.
    let again = store.begin_target_part(a.id, t1, 0).await.unwrap();
    assert_eq!(
        (again.in_flight_part, again.status, again.attempts),
        (Some(0), TargetStatus::Publishing, 1)
    );
    let r = |n: u32| PublishedRef {
        id: format!("at://x/{n}"),
        version: Some(format!("cid{n}")),
        url: format!("https://x/{n}"),
    };
    let after = store
        .record_target_part(a.id, t1, 0, r(0), 2, None, None)
        .await
        .unwrap();
    assert_eq!(
        (after.published.len(), after.status),
        (1, TargetStatus::Publishing)
    );
    let twice = store
        .record_target_part(a.id, t1, 0, r(9), 2, None, None)
        .await
        .unwrap();
    assert_eq!(
        twice.published,
        vec![r(0)],
        "recording a part twice changes nothing"
    );
    store.begin_target_part(a.id, t1, 1).await.unwrap();
    let metrics_job = crate::NewJob {
        workspace_id: Some(a.id),
        kind: "publish.metrics".into(),
        payload: serde_json::json!({ "target_id": t1 }),
        run_at: Timestamp::now(),
        max_attempts: 3,
    };
    let done = store
        .record_target_part(a.id, t1, 1, r(1), 2, Some(metrics_job.clone()), None)
        .await
        .unwrap();
    let again = store
        .record_target_part(a.id, t1, 1, r(1), 2, Some(metrics_job), None)
        .await
        .unwrap();
    assert_eq!(again.published.len(), 2);
    let counts = store.job_counts().await.unwrap();
    assert!(
        counts.contains(&("queued".to_owned(), 3)),
        "two publication jobs and one metrics job, not two: {counts:?}"
    );
    let sample = |at: i64, likes: Option<u64>| crate::MetricsSample {
        at: Timestamp::from_millis(at),
        likes,
        reposts: Some(2),
        replies: None,
        quotes: None,
        views: None,
    };
    store
        .record_metrics(a.id, t1, sample(2_000, Some(5)))
        .await
        .unwrap();
    store
        .record_metrics(a.id, t1, sample(1_000, None))
        .await
        .unwrap();
    assert_eq!(
        store.metrics_of(a.id, t1).await.unwrap(),
        vec![sample(1_000, None), sample(2_000, Some(5))],
        "oldest first, unknown stays unknown"
    );
    assert_eq!(
        (done.status, done.url.as_deref(), done.in_flight_part),
        (TargetStatus::Published, Some("https://x/0"), None)
    );
    assert!(done.published_at.is_some());
    assert_eq!(
        store.post(a.id, post.id).await.unwrap().unwrap().status,
        PostStatus::Scheduled,
        "one target still to go"
    );

    store
        .fail_target(a.id, t2, "503 from the network", false)
        .await
        .unwrap();
    let t = store.target(a.id, t2).await.unwrap().unwrap();
    assert_eq!(
        (t.status, t.last_error.as_deref()),
        (TargetStatus::Queued, Some("503 from the network")),
        "a passing failure keeps it queued"
    );
    store
        .fail_target(a.id, t2, "text too long", true)
        .await
        .unwrap();
    assert_eq!(
        store.target(a.id, t2).await.unwrap().unwrap().status,
        TargetStatus::Failed
    );
    assert_eq!(
        store.post(a.id, post.id).await.unwrap().unwrap().status,
        PostStatus::Failed,
        "a failed target shows on the post"
    );
    let published = store.begin_target_part(a.id, t1, 2).await.unwrap();
    assert_eq!(published.status, TargetStatus::Published);
    assert_eq!(
        store.target(a.id, t1).await.unwrap().unwrap().status,
        TargetStatus::Published,
        "a published target is not reopened"
    );
}

pub async fn approval_queues_or_cancels_once(store: Arc<dyn Store>) {
    use crate::{NewTarget, PostStatus, PublishPlan, TargetStatus};
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let b = store
        .create_workspace(&slug("bravo"), "B", None, audit("workspace.create"))
        .await
        .unwrap();
    let c = channel_in(&store, a.id, "one").await;
    let pending = |ws| crate::NewPost {
        status: PostStatus::PendingApproval,
        ..new_post(ws, &["à valider"])
    };
    let target = || {
        vec![NewTarget {
            id: relais_core::TargetId::new(),
            channel_id: c,
            parts: None,
        }]
    };
    let (p1, _) = store
        .create_post(pending(a.id), target(), None, audit("post.create"))
        .await
        .unwrap();
    assert!(
        store.job_counts().await.unwrap().is_empty(),
        "nothing goes before approval"
    );
    let plan = || PublishPlan {
        job_kind: "publish.target".into(),
        run_at: Timestamp::now(),
        max_attempts: 3,
    };
    assert!(
        store
            .decide_post(b.id, p1.id, Some(plan()), audit("post.approve"))
            .await
            .is_err(),
        "not from another workspace"
    );
    let approved = store
        .decide_post(a.id, p1.id, Some(plan()), audit("post.approve"))
        .await
        .unwrap();
    assert_eq!(approved.status, PostStatus::Scheduled);
    assert_eq!(
        store.targets_of(a.id, p1.id).await.unwrap()[0].status,
        TargetStatus::Queued
    );
    assert_eq!(
        store.job_counts().await.unwrap(),
        vec![("queued".to_owned(), 1)]
    );
    let twice = store
        .decide_post(a.id, p1.id, Some(plan()), audit("post.approve"))
        .await;
    assert!(
        matches!(twice, Err(StoreError::NotFound(_))),
        "decided once only"
    );
    assert_eq!(
        store.job_counts().await.unwrap(),
        vec![("queued".to_owned(), 1)],
        "no second job"
    );

    let (p2, _) = store
        .create_post(pending(a.id), target(), None, audit("post.create"))
        .await
        .unwrap();
    let refused = store
        .decide_post(a.id, p2.id, None, audit("post.refuse"))
        .await
        .unwrap();
    assert_eq!(refused.status, PostStatus::Cancelled);
    assert_eq!(
        store.targets_of(a.id, p2.id).await.unwrap()[0].status,
        TargetStatus::Cancelled
    );
}

pub async fn rescheduling_moves_the_jobs_too(store: Arc<dyn Store>) {
    use crate::{NewTarget, PublishPlan};
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let b = store
        .create_workspace(&slug("bravo"), "B", None, audit("workspace.create"))
        .await
        .unwrap();
    let c = channel_in(&store, a.id, "one").await;
    let t = relais_core::TargetId::new();
    let plan = PublishPlan {
        job_kind: "publish.target".into(),
        run_at: Timestamp::from_millis(1_900_000_000_000),
        max_attempts: 3,
    };
    let (post, _) = store
        .create_post(
            new_post(a.id, &["à déplacer"]),
            vec![NewTarget {
                id: t,
                channel_id: c,
                parts: None,
            }],
            Some(plan),
            audit("post.create"),
        )
        .await
        .unwrap();
    let other = store
        .create_post(
            new_post(a.id, &["reste"]),
            vec![NewTarget {
                id: relais_core::TargetId::new(),
                channel_id: c,
                parts: None,
            }],
            Some(PublishPlan {
                job_kind: "publish.target".into(),
                run_at: Timestamp::from_millis(1_900_000_000_000),
                max_attempts: 3,
            }),
            audit("post.create"),
        )
        .await
        .unwrap();
    let earlier = Timestamp::from_millis(1_850_000_000_000);
    assert!(
        store
            .reschedule_post(b.id, post.id, earlier, audit("post.move"))
            .await
            .is_err(),
        "not from another workspace"
    );
    let moved = store
        .reschedule_post(a.id, post.id, earlier, audit("post.move"))
        .await
        .unwrap();
    assert_eq!(moved.scheduled_at, Some(earlier));
    let job = store
        .claim_job("w", earlier, 1000)
        .await
        .unwrap()
        .expect("its job moved earlier with it");
    assert_eq!(job.payload["target_id"], serde_json::json!(t));
    assert!(
        store.claim_job("w", earlier, 1000).await.unwrap().is_none(),
        "the other post's job did not move"
    );
    store.begin_target_part(a.id, t, 0).await.unwrap();
    let late = store
        .reschedule_post(
            a.id,
            post.id,
            Timestamp::from_millis(1_950_000_000_000),
            audit("post.move"),
        )
        .await;
    assert!(
        matches!(late, Err(StoreError::NotFound(_))),
        "a post being published stays where it is"
    );
    let _ = other;
}

pub async fn media_keep_their_bytes(store: Arc<dyn Store>) {
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let b = store
        .create_workspace(&slug("bravo"), "B", None, audit("workspace.create"))
        .await
        .unwrap();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let m = store
        .create_media(
            crate::NewMedia {
                id: relais_core::MediaId::new(),
                workspace_id: a.id,
                file_name: "logo.png".into(),
                mime: "image/png".into(),
                alt: Some("Le logo".into()),
                content: bytes.clone(),
                created_by: None,
                thumbnail: None,
            },
            audit("media.create"),
        )
        .await
        .unwrap();
    assert_eq!(m.size, 70_000);
    assert_eq!(m.sha256.len(), 64);
    let (read, content) = store.media(a.id, m.id).await.unwrap().unwrap();
    assert_eq!(
        (read.mime.as_str(), read.alt.as_deref()),
        ("image/png", Some("Le logo"))
    );
    assert_eq!(content, bytes, "every byte, zeros included");
    assert!(store.media(b.id, m.id).await.unwrap().is_none());
}

fn job(kind: &str, run_at: Timestamp) -> NewJob {
    NewJob {
        workspace_id: None,
        kind: kind.into(),
        payload: serde_json::json!({"n": 1}),
        run_at,
        max_attempts: 3,
    }
}

pub async fn jobs_claim_lease_and_retry(store: Arc<dyn Store>) {
    let now = Timestamp::now();
    let later = store
        .enqueue_job(job("later", now.plus_seconds(600)))
        .await
        .unwrap();
    let id = store.enqueue_job(job("now", now)).await.unwrap();
    assert_eq!(store.jobs_waiting("now").await.unwrap(), 1);
    assert_eq!(store.jobs_waiting("nothing").await.unwrap(), 0);
    let claimed = store
        .claim_job("w1", now, 30_000)
        .await
        .unwrap()
        .expect("a due job");
    assert_eq!(
        (claimed.id, claimed.status, claimed.attempts),
        (id, JobStatus::Running, 1)
    );
    assert_eq!(
        store.jobs_waiting("now").await.unwrap(),
        1,
        "a running job still counts"
    );
    assert_eq!(claimed.payload, serde_json::json!({"n": 1}));
    assert!(
        store.claim_job("w2", now, 30_000).await.unwrap().is_none(),
        "leased, and the other is not due"
    );

    // The lease runs out (the worker died): another worker takes the job over.
    let after_lease = now.plus_seconds(31);
    let taken = store
        .claim_job("w2", after_lease, 30_000)
        .await
        .unwrap()
        .expect("expired lease is requeued");
    assert_eq!((taken.id, taken.attempts), (id, 2));
    assert!(
        !store.complete_job(id, "w1", after_lease).await.unwrap(),
        "the old worker lost it"
    );
    assert!(
        !store
            .heartbeat_job(id, "w1", after_lease.plus_seconds(30))
            .await
            .unwrap()
    );
    assert!(
        store
            .heartbeat_job(id, "w2", after_lease.plus_seconds(60))
            .await
            .unwrap()
    );

    assert!(
        store
            .fail_job(
                id,
                "w2",
                "429 Too Many Requests",
                Some(after_lease.plus_seconds(5)),
                after_lease
            )
            .await
            .unwrap()
    );
    let requeued = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        (requeued.status, requeued.last_error.as_deref()),
        (JobStatus::Queued, Some("429 Too Many Requests"))
    );
    assert!(
        store
            .claim_job("w3", after_lease, 30_000)
            .await
            .unwrap()
            .is_none(),
        "not before its retry time"
    );
    let third = store
        .claim_job("w3", after_lease.plus_seconds(6), 30_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.attempts, 3);
    assert!(
        store
            .fail_job(id, "w3", "gone", None, after_lease)
            .await
            .unwrap()
    );
    assert_eq!(
        store.job(id).await.unwrap().unwrap().status,
        JobStatus::Dead
    );
    assert_eq!(
        store.jobs_waiting("now").await.unwrap(),
        0,
        "a dead job waits no more"
    );
    assert_eq!(store.jobs_waiting("later").await.unwrap(), 1);

    let far = now.plus_seconds(601);
    let l = store.claim_job("w1", far, 1000).await.unwrap().unwrap();
    assert_eq!(l.id, later);
    assert!(store.complete_job(later, "w1", far).await.unwrap());
    let counts = store.job_counts().await.unwrap();
    assert_eq!(counts, vec![("dead".to_owned(), 1), ("done".to_owned(), 1)]);
}

pub async fn jobs_are_claimed_once_under_contention(store: Arc<dyn Store>) {
    let now = Timestamp::now();
    let mut ids = HashSet::new();
    for i in 0..40 {
        ids.insert(store.enqueue_job(job(&format!("k{i}"), now)).await.unwrap());
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let name = format!("worker-{w}");
            let mut mine = Vec::new();
            while let Some(j) = store.claim_job(&name, now, 60_000).await.expect("claim") {
                assert!(
                    store
                        .complete_job(j.id, &name, now)
                        .await
                        .expect("complete")
                );
                mine.push(j.id);
            }
            mine
        }));
    }
    let mut seen = Vec::new();
    for w in workers {
        seen.extend(w.await.expect("worker"));
    }
    assert_eq!(
        seen.len(),
        40,
        "every job ran once: no double claims, none lost"
    );
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), ids);
}

pub async fn table_list_matches_schema(store: Arc<dyn Store>) {
    for table in TABLES {
        let actual = store.actual_columns(table.name).await.unwrap();
        let listed: Vec<String> = table.columns.iter().map(|(c, _)| (*c).to_owned()).collect();
        assert_eq!(
            actual, listed,
            "tables.rs is out of date for `{}`",
            table.name
        );
    }
}

/// Fills a store through its API, copies it cell by cell into a second, empty store, and
/// compares every table; then checks the copy works as a store (its users can be found).
pub async fn copy_round_trips(from: Arc<dyn Store>, to: Arc<dyn Store>) {
    let ada = user(&from, "ada@example.org").await;
    let w = from
        .create_workspace(
            &slug("acme"),
            "Acmé « test »",
            Some(ada),
            audit("workspace.create"),
        )
        .await
        .unwrap();
    from.create_api_token(
        NewApiToken {
            workspace_id: w.id,
            name: "t".into(),
            role: Role::Editor,
            token_hash: "x".into(),
            created_by: Some(ada),
        },
        audit("token.create"),
    )
    .await
    .unwrap();
    from.enqueue_job(job("k", Timestamp::now())).await.unwrap();
    from.create_media(
        crate::NewMedia {
            id: relais_core::MediaId::new(),
            workspace_id: w.id,
            file_name: "a.bin".into(),
            mime: "application/octet-stream".into(),
            alt: None,
            content: vec![0, 1, 2, 255, 0],
            created_by: Some(ada),
            thumbnail: None,
        },
        audit("media.create"),
    )
    .await
    .unwrap();
    inbox::fill_inbox_for_copy(&from, w.id, ada).await;
    assert!(!from.is_empty().await.unwrap());
    assert!(to.is_empty().await.unwrap());
    for table in TABLES {
        let rows = from.dump_table(table).await.unwrap();
        to.load_rows(table, rows).await.unwrap();
    }
    for table in TABLES {
        assert_eq!(
            from.dump_table(table).await.unwrap(),
            to.dump_table(table).await.unwrap(),
            "table {}",
            table.name
        );
    }
    let users = to.dump_table(&TABLES[0]).await.unwrap();
    assert!(
        users[0].contains(&Cell::Bool(false)),
        "booleans stay booleans"
    );
    assert!(
        users[0].contains(&Cell::Null),
        "NULL stays NULL (the locale)"
    );
    assert_eq!(to.role_of(w.id, ada).await.unwrap(), Some(Role::Admin));
    assert_eq!(
        to.workspace_by_slug(&slug("acme"))
            .await
            .unwrap()
            .unwrap()
            .name,
        "Acmé « test »"
    );
}
