-- Listening: the queries a workspace watches for, the sources polled for mentions, the mentions
-- found (with the queries they matched and the tags a person gave them), and the alert rules
-- with the alerts they raised. Portable types only: a sentiment score (-1..1) is kept in
-- thousandths, a 64-bit fingerprint as the signed integer with the same bits.

-- What a workspace watches for. `query` is the text of the query language, parsed by the
-- caller; `role` is 'brand', 'competitor' or 'topic' (share of voice compares them).
CREATE TABLE listen_queries (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    role TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Where mentions are found: `kind` is 'feed', 'page', 'bluesky', 'mastodon', 'x', 'youtube' or
-- 'reddit'; `target` a URL or search terms; `channel_id` the account whose credentials a
-- network's search uses. The columns after `created_at` are the poller's state, all written at
-- once after each poll (NULL `next_poll_at`: poll at the first chance).
CREATE TABLE listen_sources (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    label TEXT,
    interval_secs BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    channel_id TEXT REFERENCES channels (id) ON DELETE SET NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    cursor TEXT,
    next_poll_at BIGINT,
    failures BIGINT NOT NULL,
    last_success_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    last_items BIGINT,
    UNIQUE (workspace_id, kind, target)
);
CREATE INDEX listen_sources_due ON listen_sources (enabled, next_poll_at);

-- One item found, stored once per workspace whatever the number of sources that found it
-- (`key` is its identity at its source). `at` is the time it counts at (published, else found).
-- `duplicate_of` names the first mention of the same content (near-duplicate folding); it has
-- no foreign key so that a batch or a copy never fails on the order rows arrive in.
CREATE TABLE mentions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_id TEXT REFERENCES listen_sources (id) ON DELETE SET NULL,
    source_kind TEXT NOT NULL,
    key TEXT NOT NULL,
    url TEXT,
    title TEXT,
    text TEXT NOT NULL,
    author TEXT,
    reach BIGINT,
    site TEXT,
    lang TEXT,
    sentiment TEXT NOT NULL,
    score_milli BIGINT NOT NULL,
    fingerprint BIGINT,
    duplicate_of TEXT,
    at BIGINT NOT NULL,
    found_at BIGINT NOT NULL,
    muted BOOLEAN NOT NULL,
    inbox_sent_at BIGINT,
    UNIQUE (workspace_id, source_kind, key)
);
-- The list, newest first, pages on (at, id); the folder warms up from the latest found.
CREATE INDEX mentions_by_time ON mentions (workspace_id, at, id);
CREATE INDEX mentions_by_found ON mentions (workspace_id, found_at);
-- Statistics count only what the list shows by default; with its sentiment at hand this index
-- answers the series of every mention without reading the table (on SQLite, 100,000 mentions
-- over 30 days: 40 ms instead of 310).
CREATE INDEX mentions_counted ON mentions (workspace_id, at, sentiment)
    WHERE muted = FALSE AND duplicate_of IS NULL;

-- Which queries a mention matched; `at` is the mention's, copied so that a query's series reads
-- one index.
CREATE TABLE mention_matches (
    mention_id TEXT NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    query_id TEXT NOT NULL REFERENCES listen_queries (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    PRIMARY KEY (mention_id, query_id)
);
CREATE INDEX mention_matches_by_query ON mention_matches (query_id, at);

-- Tags a person put on a mention.
CREATE TABLE mention_tags (
    mention_id TEXT NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    PRIMARY KEY (mention_id, tag)
);
CREATE INDEX mention_tags_by_tag ON mention_tags (workspace_id, tag);

-- When to warn: 'volume_spike' and 'negative_spike' watch the hourly series of `query_id` (NULL:
-- every mention), 'keyword' watches new mentions for the query text `keywords`. `k_milli` is
-- the spike's k in thousandths. `webhook_secret` is sealed by the vault. Deleting the query a
-- rule watches deletes the rule: it would otherwise silently watch everything.
CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    query_id TEXT REFERENCES listen_queries (id) ON DELETE CASCADE,
    keywords TEXT,
    k_milli BIGINT NOT NULL,
    min_mentions BIGINT NOT NULL,
    delivery TEXT NOT NULL,
    email TEXT,
    webhook_url TEXT,
    webhook_secret BYTEA,
    enabled BOOLEAN NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_fired_at BIGINT,
    UNIQUE (workspace_id, name)
);

-- An alert raised: a spike in the hour starting at `bucket_start`, or a keyword found in
-- `mention_id`. The two unique keys make the same hit fire once however often it is checked
-- (NULLs are distinct, so each kind is bound by its own key only).
CREATE TABLE alert_events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    rule_id TEXT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    fired_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    value_milli BIGINT NOT NULL,
    threshold_milli BIGINT NOT NULL,
    bucket_start BIGINT,
    mention_id TEXT REFERENCES mentions (id) ON DELETE SET NULL,
    sent_at BIGINT,
    last_attempt_error TEXT,
    UNIQUE (rule_id, bucket_start),
    UNIQUE (rule_id, mention_id)
);
CREATE INDEX alert_events_by_workspace ON alert_events (workspace_id, fired_at);
CREATE INDEX alert_events_unsent ON alert_events (rule_id, sent_at);
