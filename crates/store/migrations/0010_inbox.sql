-- The team inbox: the community's people (contacts and their accounts on the networks), the
-- conversations the team handles (threads of messages received and sent on one channel), what
-- the team writes about them (notes, tags, canned replies, saved columns), the ingest state of
-- each channel, and moderation (rules, the review queue). Times are Unix milliseconds.

-- A person of the community. Two contacts merged by hand become one: the second's accounts and
-- conversations move to the first, and the second is deleted.
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_by_workspace ON contacts (workspace_id, name);

-- A contact's account on a network, known by the network's stable id (`author_id`: a DID, an
-- account id), since handles change. Refreshed each time the account writes.
CREATE TABLE contact_accounts (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    author_id TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    handle TEXT NOT NULL,
    display_name TEXT,
    avatar_url TEXT,
    profile_url TEXT,
    followers BIGINT,
    account_created_at BIGINT,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, network, author_id)
);
CREATE INDEX contact_accounts_by_contact ON contact_accounts (contact_id);
CREATE INDEX contact_accounts_by_handle ON contact_accounts (workspace_id, handle);

-- A thread on one channel, as the network threads it: `thread_key` is the network id of the
-- thread's first post (or of a private conversation). A conversation without a channel holds a
-- mention sent over from listening that no channel of the workspace can answer (a blog post).
-- `status` is 'open', 'pending' or
-- 'closed'; a snoozed conversation is open with `snoozed_until` in the future.
-- The columns after `preview` are kept up to date by every message so that the inbox list
-- reads one row per conversation: `awaiting_since` is when the oldest message the team has not
-- answered arrived (NULL when the team spoke last), the start of the response clock.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id TEXT REFERENCES channels (id) ON DELETE CASCADE,
    thread_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    snoozed_until BIGINT,
    preview TEXT NOT NULL,
    message_count BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    awaiting_since BIGINT,
    first_inbound_at BIGINT,
    first_response_at BIGINT,
    closed_at BIGINT,
    problem TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, channel_id, thread_key)
);
-- NULLs are distinct in unique keys: without a channel, a thread is one per workspace here.
CREATE UNIQUE INDEX conversations_once_without_channel ON conversations (workspace_id, thread_key)
    WHERE channel_id IS NULL;
-- A list walks one of these in (last_message_at, id) order and stops after a page. The columns
-- after `id` are there for the other filters: both databases test them on the index entry, so
-- the rows a filter leaves out are never read, and counts read the index alone (at 100,000
-- conversations: the open ones counted in 1 ms instead of 60, an overdue page in 2 instead of 60).
CREATE INDEX conversations_by_status ON conversations (workspace_id, status, last_message_at, id, snoozed_until, awaiting_since, kind);
CREATE INDEX conversations_by_assignee ON conversations (workspace_id, assignee_id, status, last_message_at, id, snoozed_until, awaiting_since);
CREATE INDEX conversations_by_channel ON conversations (workspace_id, channel_id, last_message_at, id, status, snoozed_until);
CREATE INDEX conversations_by_recency ON conversations (workspace_id, last_message_at, id);
CREATE INDEX conversations_by_contact ON conversations (contact_id);
-- Live pages ask what changed since their last look; every change to a conversation (its
-- messages, status, assignee, tags, notes) moves `updated_at`.
CREATE INDEX conversations_by_change ON conversations (workspace_id, updated_at);

-- One message, received ('in') or sent by the team ('out'), stored once per (channel, network
-- id) whatever the paths it came by. An outgoing reply has no network id until the network has
-- it; `delivery` is 'received' for what came in, and for replies 'awaiting_approval', 'queued',
-- 'sent' or 'failed' (with `delivery_error`). `parent_id` and `root_id` are network ids.
-- `moderation` is the JSON verdict of the workspace's rules, `network_state` 'visible',
-- 'hidden' or 'deleted' on the network.
CREATE TABLE inbox_messages (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel_id TEXT REFERENCES channels (id) ON DELETE CASCADE,
    network_id TEXT,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    author_id TEXT,
    author_handle TEXT NOT NULL,
    author_name TEXT,
    text TEXT NOT NULL,
    lang TEXT,
    url TEXT,
    version TEXT,
    parent_id TEXT,
    root_id TEXT,
    root_version TEXT,
    sent_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    sender_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    delivery TEXT NOT NULL,
    delivery_error TEXT,
    approved_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    toxicity_milli BIGINT,
    moderation TEXT,
    network_state TEXT NOT NULL
);
CREATE UNIQUE INDEX inbox_messages_once ON inbox_messages (channel_id, network_id);
-- NULLs are distinct in unique indexes: a message without a channel (from listening) is kept
-- once per workspace by this one.
CREATE UNIQUE INDEX inbox_messages_once_without_channel ON inbox_messages (workspace_id, network_id)
    WHERE channel_id IS NULL;
CREATE INDEX inbox_messages_by_network_id ON inbox_messages (workspace_id, network_id);
CREATE INDEX inbox_messages_by_conversation ON inbox_messages (conversation_id, sent_at);
CREATE INDEX inbox_messages_by_contact ON inbox_messages (contact_id, sent_at);
CREATE INDEX inbox_messages_by_author ON inbox_messages (workspace_id, author_id, sent_at);
CREATE INDEX inbox_messages_by_delivery ON inbox_messages (workspace_id, delivery);

-- A tag's conversations are listed from its own index, in page order: each row keeps a copy of
-- its conversation's `last_message_at`, `status` and `snoozed_until` (updated with them), so
-- that a tagged list neither probes every conversation for the tag nor looks up every tagged
-- one (both cost 10 to 60 ms a page at 100,000 conversations; this, under 1 ms).
CREATE TABLE conversation_tags (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    last_message_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    snoozed_until BIGINT,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_by_tag ON conversation_tags (workspace_id, tag, last_message_at, conversation_id, status, snoozed_until);

-- What the team writes for itself about a conversation (never sent to the network).
CREATE TABLE conversation_notes (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX conversation_notes_by_conversation ON conversation_notes (conversation_id, created_at);

-- Who has a conversation open, and whether they are writing a reply (the collision warning).
-- A row counts until `until`; pages renew it while they stay open.
CREATE TABLE conversation_presence (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    replying BOOLEAN NOT NULL,
    until BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- Prepared answers, per language ('fr', 'en'), with variables such as {{first_name}}.
CREATE TABLE canned_replies (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    lang TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name, lang)
);

-- Saved filters shown side by side as columns: the whole team's (`user_id` NULL) or one
-- member's. `filter` is JSON (status, assignee, channel, tag, kind, overdue, text).
CREATE TABLE inbox_columns (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    filter TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inbox_columns_by_workspace ON inbox_columns (workspace_id, position);

-- A workspace's inbox settings: response targets in minutes (NULL: none), whether
-- contributors' replies wait for an editor, and the netiquette shown on its public page.
CREATE TABLE inbox_settings (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    first_response_minutes BIGINT,
    resolution_minutes BIGINT,
    approve_contributor_replies BOOLEAN NOT NULL,
    netiquette TEXT NOT NULL,
    netiquette_public BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Where reading each channel's inbox stands: the polling and stream cursors, when to poll
-- next, and the channel's inbox health.
CREATE TABLE inbox_channel_state (
    channel_id TEXT PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    poll_cursor TEXT,
    stream_cursor TEXT,
    next_poll_at BIGINT,
    failures BIGINT NOT NULL,
    last_success_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT
);

-- A workspace's moderation rules, in the order they are shown; `rule` is the JSON of the rule
-- (its kind, settings and actions) as relais-moderation reads it.
CREATE TABLE moderation_rules (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    rule TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    position BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Messages held for a person to look at: `reasons` is the JSON list of what matched,
-- `status` 'pending', 'approved' (left as it is) or 'removed' (hidden or deleted).
CREATE TABLE moderation_reviews (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL REFERENCES inbox_messages (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    decided_at BIGINT,
    UNIQUE (message_id)
);
CREATE INDEX moderation_reviews_by_status ON moderation_reviews (workspace_id, status, created_at);
