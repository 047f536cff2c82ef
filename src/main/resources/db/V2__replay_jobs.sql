-- Replay jobs (issue 4): one row per POST /replay, with its per-partition progress so that a job survives a restart
-- and resumes where it was. A process runs a job while it holds the lease (owner, lease_until).
CREATE TABLE replay_jobs (
    replay_id VARCHAR(100) PRIMARY KEY,
    state VARCHAR(20) NOT NULL DEFAULT 'pending',
    topic VARCHAR(255) NOT NULL,
    start_time TIMESTAMP WITH TIME ZONE NOT NULL,
    end_time TIMESTAMP WITH TIME ZONE NOT NULL,
    filter JSONB NOT NULL DEFAULT '{}',
    target JSONB NOT NULL,
    starts JSONB,     -- {"<partition>": first offset of the window}
    bounds JSONB,     -- {"<partition>": offset where the window ends (exclusive)}
    positions JSONB,  -- {"<partition>": next offset to read}
    events_scanned BIGINT NOT NULL DEFAULT 0,
    events_matched BIGINT NOT NULL DEFAULT 0,
    events_delivered BIGINT NOT NULL DEFAULT 0,
    errors JSONB NOT NULL DEFAULT '[]',
    owner VARCHAR(200),
    lease_until TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
CREATE INDEX replay_jobs_runnable ON replay_jobs (created_at) WHERE state IN ('pending', 'running');
