-- 0002_read_models: the tables the projector fills from delivered business events, and that the
-- list queries read (never the grains). Every write is idempotent:
--   * mfg_read_applied_events remembers each applied event id; an event seen again is skipped.
--   * A row moves only to a newer aggregate version, so events arriving out of order or twice
--     cannot move a row back.
-- Idempotent as a script too (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS mfg_read_applied_events (
    event_id       text        PRIMARY KEY,
    aggregate_type text        NOT NULL,
    applied_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS mfg_read_applied_events_applied_at ON mfg_read_applied_events (applied_at);

-- One row per aggregate: its listed fields as of `version`.
CREATE TABLE IF NOT EXISTS mfg_read_aggregates (
    aggregate_type text        NOT NULL,
    aggregate_key  text        NOT NULL,
    plant          text        NOT NULL,
    state          text        NOT NULL,
    version        bigint      NOT NULL,
    fields         jsonb       NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_key)
);

CREATE INDEX IF NOT EXISTS mfg_read_aggregates_by_plant_state
    ON mfg_read_aggregates (aggregate_type, plant, state, aggregate_key);

CREATE TABLE IF NOT EXISTS mfg_read_exceptions (
    name           text        PRIMARY KEY,
    plant          text        NOT NULL,
    aggregate_type text        NOT NULL,
    aggregate_key  text        NOT NULL,
    kind           text        NOT NULL,
    state          text        NOT NULL,
    reason         text        NOT NULL,
    source         text        NOT NULL,
    raised_at      timestamptz NOT NULL,
    version        bigint      NOT NULL
);

CREATE INDEX IF NOT EXISTS mfg_read_exceptions_by_plant ON mfg_read_exceptions (plant, kind, state, name);

-- How far each read model has got: the newest applied event's time, and when it was applied.
CREATE TABLE IF NOT EXISTS mfg_read_positions (
    aggregate_type  text        PRIMARY KEY,
    last_event_time timestamptz NOT NULL,
    last_applied_at timestamptz NOT NULL
);
