-- Audience: the sites a workspace measures, their goals and funnels, and the daily salt that
-- makes visitors countable without cookies. Events themselves are not kept here: they live in
-- the analytics engine's own files (see crate relais-analytics).

-- A site, named by the trackers by its domain (Plausible) or its id (Umami). A domain belongs to
-- one workspace only: the trackers send no workspace.
CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    domain TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sites_workspace ON sites (workspace_id, domain);

-- What counts as a conversion: a page visited (`page`, with `*` wildcards) or a custom event
-- (`event`).
CREATE TABLE site_goals (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, kind, value)
);

-- An ordered path through goals: `steps` is the JSON list of the goals' ids.
CREATE TABLE site_funnels (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    steps TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, name)
);

-- One random key per UTC day, sealed by relais-vault, shared by every Relais process on the
-- database so that they count the same visitors. Deleted once the day is over: after that,
-- nothing can link a visitor's days together.
CREATE TABLE visitor_salts (
    day TEXT PRIMARY KEY,
    salt TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
