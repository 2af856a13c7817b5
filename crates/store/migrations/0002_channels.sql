-- Channels: a workspace's accounts on the networks it publishes to.
-- `settings` is public JSON (service URL, handle, instance, page id); `secrets` is a JSON object
-- whose values are sealed by relais-vault (never readable in the database).

CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    secrets TEXT NOT NULL,
    status TEXT NOT NULL,
    status_detail TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
CREATE INDEX channels_by_workspace ON channels (workspace_id);
