//! Administration from the command line: workspaces, users, API tokens. Each change is written
//! to the audit log with `cli` as its origin.

use std::io::IsTerminal;

use anyhow::{Context, Result, anyhow, bail};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DisplayName, DomainError, Email, Password, Role, Slug};
use relais_store::{NewApiToken, NewUser, StoreError};

use super::open_store;
use crate::cli::DataArgs;

fn audit(
    workspace: Option<relais_core::WorkspaceId>,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        workspace_id: workspace,
        actor: Actor::cli(),
        action: action.into(),
        target: target.into(),
        details,
    }
}

/// A domain refusal, as a CLI error that keeps its message.
fn refused(e: impl Into<DomainError>) -> anyhow::Error {
    let e: DomainError = e.into();
    anyhow!("{} [{}]", e.message, e.code)
}

pub async fn workspace_add(data: &DataArgs, slug: &str, name: &str) -> Result<()> {
    let slug = Slug::parse(slug).map_err(refused)?;
    let name = DisplayName::parse(name).map_err(refused)?;
    let (store, _) = open_store(data, true).await?;
    let w = store
        .create_workspace(
            &slug,
            name.as_str(),
            None,
            audit(
                None,
                "workspace.create",
                slug.as_str(),
                serde_json::json!({ "name": name.as_str() }),
            ),
        )
        .await
        .map_err(refused)?;
    println!("workspace {} created ({})", w.slug, w.id);
    store.close().await;
    Ok(())
}

pub async fn workspace_list(data: &DataArgs) -> Result<()> {
    let (store, _) = open_store(data, true).await?;
    for w in store.all_workspaces().await.map_err(refused)? {
        println!("{}\t{}\t{}", w.slug, w.name, w.id);
    }
    store.close().await;
    Ok(())
}

fn password_from_env_or_terminal() -> Result<Password> {
    let raw = match std::env::var("RELAIS_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            let first =
                rpassword::prompt_password("Password: ").context("cannot read the password")?;
            let again = rpassword::prompt_password("Password again: ")
                .context("cannot read the password")?;
            if first != again {
                bail!("the two passwords differ; run the command again");
            }
            first
        }
        Err(_) => {
            bail!("no password: set RELAIS_PASSWORD, or run the command in a terminal to be asked")
        }
    };
    Password::new(&raw).map_err(refused)
}

pub async fn user_add(
    data: &DataArgs,
    email: &str,
    role: &str,
    workspace: &str,
    name: Option<&str>,
    instance_admin: bool,
) -> Result<()> {
    let email = Email::parse(email).map_err(refused)?;
    let role: Role = role.parse().map_err(refused)?;
    let slug = Slug::parse(workspace).map_err(refused)?;
    let (store, _) = open_store(data, true).await?;
    let ws = store
        .workspace_by_slug(&slug)
        .await
        .map_err(refused)?
        .ok_or_else(|| anyhow!("no workspace `{slug}`; create it with `relais workspace add {slug} --name NAME`, or list them with `relais workspace list`"))?;
    let user = match store.credentials_by_email(&email).await.map_err(refused)? {
        Some((u, _)) => {
            println!("{email} has an account already; adding it to {slug}");
            u
        }
        None => {
            let display = DisplayName::parse(
                name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("user")),
            )
            .map_err(refused)?;
            let password = password_from_env_or_terminal()?;
            let hash = hash_password(password).await?;
            let new = NewUser {
                email: email.clone(),
                name: display,
                password_hash: hash,
                is_instance_admin: instance_admin,
            };
            store
                .create_user(
                    new,
                    audit(
                        None,
                        "user.create",
                        email.as_str(),
                        serde_json::json!({ "instance_admin": instance_admin }),
                    ),
                )
                .await
                .map_err(refused)?
        }
    };
    match store
        .add_member(
            ws.id,
            user.id,
            role,
            audit(
                Some(ws.id),
                "member.add",
                email.as_str(),
                serde_json::json!({ "role": role.as_str() }),
            ),
        )
        .await
    {
        Ok(()) => println!("{email} is {role} of {slug}"),
        Err(StoreError::Conflict(_)) => bail!(
            "{email} is already a member of {slug}; change the role in the workspace's settings"
        ),
        Err(e) => return Err(refused(e)),
    }
    store.close().await;
    Ok(())
}

pub async fn user_password(data: &DataArgs, email: &str) -> Result<()> {
    let email = Email::parse(email).map_err(refused)?;
    let (store, _) = open_store(data, true).await?;
    let (user, _) = store
        .credentials_by_email(&email)
        .await
        .map_err(refused)?
        .ok_or_else(|| anyhow!("no account for {email}; create it with `relais user add {email} --role ROLE --workspace SLUG`"))?;
    let hash = hash_password(password_from_env_or_terminal()?).await?;
    store
        .set_password(
            user.id,
            &hash,
            None,
            audit(
                None,
                "user.password_reset",
                email.as_str(),
                serde_json::Value::Null,
            ),
        )
        .await
        .map_err(refused)?;
    println!("password of {email} changed; all their sessions are logged out");
    store.close().await;
    Ok(())
}

async fn hash_password(password: Password) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let raw = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow!("no randomness: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow!("{e}"))?;
        argon2::Argon2::default()
            .hash_password(raw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow!("cannot hash the password: {e}"))
    })
    .await?
}

pub async fn token_create(data: &DataArgs, workspace: &str, name: &str, role: &str) -> Result<()> {
    let slug = Slug::parse(workspace).map_err(refused)?;
    let role: Role = role.parse().map_err(refused)?;
    let name = DisplayName::parse(name).map_err(refused)?;
    let (store, _) = open_store(data, true).await?;
    let ws = store
        .workspace_by_slug(&slug)
        .await
        .map_err(refused)?
        .ok_or_else(|| anyhow!("no workspace `{slug}`; list them with `relais workspace list`"))?;
    let secret = relais_web::auth::secret::new_secret(relais_web::pages::tokens::TOKEN_PREFIX);
    store
        .create_api_token(
            NewApiToken {
                workspace_id: ws.id,
                name: name.to_string(),
                role,
                token_hash: relais_web::auth::secret::hash_secret(&secret),
                created_by: None,
            },
            audit(
                Some(ws.id),
                "token.create",
                name.as_str(),
                serde_json::json!({ "role": role.as_str() }),
            ),
        )
        .await
        .map_err(refused)?;
    eprintln!("API token `{name}` ({role}) for {slug}; it is shown once:");
    println!("{secret}");
    store.close().await;
    Ok(())
}
