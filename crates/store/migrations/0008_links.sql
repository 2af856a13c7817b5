-- Tracked links: short addresses (`/l/{slug}`) that Relais redirects to a target, counting the
-- clicks (in the audience's event store, under the link's id), and the cost of campaigns, to
-- show what a visit and a conversion cost.

CREATE TABLE links (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    target TEXT NOT NULL,
    title TEXT,
    campaign TEXT,
    expires_at BIGINT,
    password_hash TEXT,
    post_id TEXT REFERENCES posts (id) ON DELETE SET NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX links_workspace ON links (workspace_id, created_at);
CREATE INDEX links_post ON links (post_id);

-- What a campaign (its utm_campaign) cost, in the currency's smallest unit.
CREATE TABLE campaign_costs (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign TEXT NOT NULL,
    cost_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, campaign)
);
