-- Posts, their publication on each channel (targets), and the media library.
--
-- A post's `parts` is JSON: [{"text": …, "media": [{"id": …, "alt": …}]}], several parts making a
-- thread. A target is one post on one channel; `published` is the JSON list of the parts already
-- on the network ([{"id", "version", "url"}], in thread order) and `in_flight_part` the part
-- whose publication was started and not yet recorded: after a crash the publisher looks that
-- part up on the network before trying again, so nothing is published twice or lost.
-- Media content is binary: BYTEA on PostgreSQL; SQLite stores the blob as it is.

CREATE TABLE media (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    alt TEXT,
    content BYTEA NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX media_by_workspace ON media (workspace_id, created_at);

CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    author_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    status TEXT NOT NULL,
    parts TEXT NOT NULL,
    scheduled_at BIGINT,
    time_zone TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX posts_by_workspace ON posts (workspace_id, scheduled_at);

CREATE TABLE post_targets (
    id TEXT PRIMARY KEY,
    post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    parts TEXT,
    status TEXT NOT NULL,
    published TEXT NOT NULL,
    in_flight_part BIGINT,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    url TEXT,
    published_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX post_targets_by_post ON post_targets (post_id);
CREATE INDEX post_targets_by_channel ON post_targets (channel_id, status);
