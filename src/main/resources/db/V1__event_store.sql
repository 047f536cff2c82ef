-- The Event Bus Service tables, as in the seed (event-bus-service.md, "Database Schema").

-- Events: audit trail and replay index of everything published.
CREATE TABLE events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id VARCHAR(100) UNIQUE NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    source VARCHAR(100) NOT NULL,
    payload TEXT,
    partition INTEGER,
    "offset" BIGINT,
    status VARCHAR(20) DEFAULT 'pending',
    retry_count INTEGER DEFAULT 0,
    priority VARCHAR(10) DEFAULT 'normal',
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    processed_at TIMESTAMP WITH TIME ZONE,
    is_replayable BOOLEAN DEFAULT true,
    is_encrypted BOOLEAN DEFAULT false
);
CREATE INDEX events_topic_offset ON events (topic, partition, "offset");
CREATE INDEX events_type_time ON events (event_type, timestamp);
CREATE INDEX events_status ON events (status);

-- Topics created through the API.
CREATE TABLE topics (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) UNIQUE NOT NULL,
    description TEXT,
    schema TEXT,
    partitions INTEGER NOT NULL DEFAULT 3,
    replication_factor INTEGER NOT NULL DEFAULT 2,
    retention_hours INTEGER DEFAULT 168,
    status VARCHAR(20) DEFAULT 'active',
    category VARCHAR(20) DEFAULT 'game',
    owner_service VARCHAR(100),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    is_system_topic BOOLEAN DEFAULT false,
    requires_auth BOOLEAN DEFAULT false,
    enable_dlq BOOLEAN DEFAULT true
);

-- Subscriptions: who gets which events, and how.
CREATE TABLE event_subscriptions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id VARCHAR(100) UNIQUE NOT NULL,
    service_name VARCHAR(100) NOT NULL,
    topic_pattern VARCHAR(255) DEFAULT '*',
    event_types TEXT, -- JSON array
    endpoint VARCHAR(500),
    filter TEXT, -- JSON filter conditions
    status VARCHAR(20) DEFAULT 'active',
    method VARCHAR(20) DEFAULT 'kafka',
    auth_token VARCHAR(255),
    max_retries INTEGER DEFAULT 3,
    retry_delay INTEGER DEFAULT 60, -- seconds
    rate_limit_per_min INTEGER DEFAULT 1000,
    is_active BOOLEAN DEFAULT true,
    enable_batching BOOLEAN DEFAULT false,
    requires_ack BOOLEAN DEFAULT true,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    last_active TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE INDEX event_subscriptions_active ON event_subscriptions (status) WHERE is_active;

-- Deliveries: every webhook / queue delivery attempt.
CREATE TABLE event_deliveries (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id VARCHAR(100) NOT NULL,
    subscription_id VARCHAR(100) NOT NULL,
    attempt_number INTEGER NOT NULL,
    status VARCHAR(20) NOT NULL,
    method VARCHAR(20) NOT NULL,
    response TEXT,
    error_message TEXT,
    status_code INTEGER,
    duration_ms FLOAT,
    delivered_at TIMESTAMP WITH TIME ZONE NOT NULL,
    next_retry_at TIMESTAMP WITH TIME ZONE,
    is_last_attempt BOOLEAN DEFAULT false
);
CREATE INDEX event_deliveries_subscription_status ON event_deliveries (subscription_id, status);
CREATE INDEX event_deliveries_event ON event_deliveries (event_id);
CREATE INDEX event_deliveries_next_retry ON event_deliveries (next_retry_at) WHERE next_retry_at IS NOT NULL;
