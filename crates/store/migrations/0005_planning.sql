-- Planning and connecting: OAuth apps and connections under way, comments on posts, the queue
-- of time slots per channel, and feeds (RSS/Atom) turned into posts.

-- An app the brand registered with an OAuth network (X, LinkedIn, Meta, Google…). The client id
-- is public; the secret is sealed by relais-vault.
CREATE TABLE oauth_apps (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, network)
);

-- A connection under way, found again by the hash of the `state` the network sends back. The
-- PKCE verifier and, once the person has consented, the accounts found (with their tokens) are
-- sealed. Rows die at `expires_at`.
CREATE TABLE oauth_connections (
    state_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    accounts TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- What the team says about a post before it goes out.
CREATE TABLE post_comments (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX post_comments_by_post ON post_comments (post_id, created_at);

-- A channel's weekly publishing times: ISO weekday (1 = Monday) and minutes after midnight in
-- `time_zone`, so that a 09:00 slot stays at 09:00 across daylight-saving changes.
CREATE TABLE queue_slots (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    weekday BIGINT NOT NULL,
    minute BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    UNIQUE (channel_id, weekday, minute)
);

-- A feed whose new entries become posts on `channel_ids` (JSON list): drafts to review, or
-- posts queued in the channels' next free slots.
CREATE TABLE feeds (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    channel_ids TEXT NOT NULL,
    mode TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_polled_at BIGINT,
    last_success_at BIGINT,
    last_error TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, url)
);

-- Entries of a feed already turned into posts (or skipped when the feed was added), so that an
-- entry never makes two posts.
CREATE TABLE feed_entries (
    feed_id TEXT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    post_id TEXT REFERENCES posts (id) ON DELETE SET NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);

-- Claiming a job walks one of these to its first row (see CLAIM_JOB_SQL): with 100,000 jobs
-- due at once, the 0001 index on (status, run_at) left a sort per claim. `jobs_due` covers what
-- `jobs_ready` did, which goes (one index fewer to update at every change of a job's status).
CREATE INDEX jobs_due ON jobs (status, run_at, id);
CREATE INDEX jobs_leased ON jobs (status, lease_until);
DROP INDEX jobs_ready;
