-- 0005_integration: how business events travel to the ERPs.
--   * mfg_integration_events: every business event, inserted by the projector in the same
--     transaction as the read models (so each is there exactly once, by event id), waiting for the
--     integration service to route it. Routed rows keep `routed_at`; they are the event log that a
--     replay or a reconciliation can read, and may be pruned by `recorded_at`.
--   * mfg_deliveries: one row per event and connector that must carry it, with the sync policy's due
--     time, every attempt's error, and its fate: pending, delivered, coalesced (a newer event of the
--     same record was delivered in its place), dead (a dead letter) or discarded (by an operator,
--     with a reason). Unique per (connector, event id): routing twice creates nothing.
-- Idempotent as a script too (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS mfg_integration_events (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id          text        NOT NULL UNIQUE,
    event_type        text        NOT NULL,  -- OperationCompleted, LotBlocked, …
    aggregate_type    text        NOT NULL,  -- production_order, lot, purchase_order, …
    aggregate_key     text        NOT NULL,  -- the grain key, {plant}/{id}
    plant             text        NOT NULL,
    aggregate_version bigint      NOT NULL,
    occurred_at       timestamptz NOT NULL,
    message_id        text        NOT NULL,
    correlation_id    text        NOT NULL,
    source            text        NOT NULL,  -- the source system of the command
    data              jsonb       NOT NULL,  -- the event's attributes and state.* snapshot
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    routed_at         timestamptz
);

-- What waits to be routed, oldest first.
CREATE INDEX IF NOT EXISTS mfg_integration_events_unrouted ON mfg_integration_events (id) WHERE routed_at IS NULL;
CREATE INDEX IF NOT EXISTS mfg_integration_events_recorded_at ON mfg_integration_events (recorded_at);

CREATE TABLE IF NOT EXISTS mfg_deliveries (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector         text        NOT NULL,  -- the configured connection (odoo-main, sap-p200, …)
    workflow          text        NOT NULL,  -- production-completion, quality-holds, …
    event_id          text        NOT NULL,
    event_type        text        NOT NULL,
    aggregate_type    text        NOT NULL,
    aggregate_key     text        NOT NULL,
    plant             text        NOT NULL,
    aggregate_version bigint      NOT NULL,
    occurred_at       timestamptz NOT NULL,
    correlation_id    text        NOT NULL,
    data              jsonb       NOT NULL,
    status            text        NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'delivered', 'coalesced', 'dead', 'discarded')),
    due_at            timestamptz NOT NULL,  -- not before (the sync policy, then the retry backoff)
    attempts          integer     NOT NULL DEFAULT 0,
    errors            jsonb       NOT NULL DEFAULT '[]',  -- [{at, error, transient}] per failed attempt
    last_error        text        NOT NULL DEFAULT '',
    lease_until       timestamptz,           -- claimed by a dispatcher until then
    external_ref      text        NOT NULL DEFAULT '',  -- what the ERP answered (record id, document number)
    enqueued_at       timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,           -- delivered, coalesced, dead or discarded
    discard_reason    text        NOT NULL DEFAULT '',
    UNIQUE (connector, event_id)
);

-- The dispatcher's query: a connector's pending deliveries that are due, in order.
CREATE INDEX IF NOT EXISTS mfg_deliveries_due ON mfg_deliveries (connector, due_at, id) WHERE status = 'pending';
-- Per record order within a workflow: the earlier pending deliveries of the same aggregate.
CREATE INDEX IF NOT EXISTS mfg_deliveries_pending_by_record ON mfg_deliveries (connector, workflow, aggregate_key, id) WHERE status = 'pending';
-- The dead-letter queue and its filters.
CREATE INDEX IF NOT EXISTS mfg_deliveries_dead ON mfg_deliveries (connector, workflow, finished_at) WHERE status = 'dead';
