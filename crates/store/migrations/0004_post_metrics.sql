-- Metrics of published posts as a time series: one row per reading, for the reports to come.
-- A count the network does not give is NULL, not 0.

CREATE TABLE post_metrics (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    target_id TEXT NOT NULL REFERENCES post_targets (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    likes BIGINT,
    reposts BIGINT,
    replies BIGINT,
    quotes BIGINT,
    views BIGINT
);
CREATE INDEX post_metrics_by_target ON post_metrics (target_id, at);
