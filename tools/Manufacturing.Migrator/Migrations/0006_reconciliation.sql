-- 0006_reconciliation: what scheduled reconciliation found when it compared our records with the ERPs'.
--   * mfg_drifts: one row per difference (connector, record, field) with both sides, open until a
--     later run finds the two sides agree again (then resolved_at is set; a new difference on the
--     same field opens a new row). The drift report RPC and metric read it.
--   * mfg_reconciliation_runs: each run per connector: when, how many records it checked, how many
--     differences it found and resolved, or why it failed.
-- Idempotent as a script too (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS mfg_drifts (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector      text        NOT NULL,
    aggregate_type text        NOT NULL,  -- production_order, lot, …
    aggregate_key  text        NOT NULL,  -- {plant}/{id}
    plant          text        NOT NULL,
    field          text        NOT NULL,  -- good_quantity, done, quantity, exists, …
    ours           text        NOT NULL,
    theirs         text        NOT NULL,
    external_ref   text        NOT NULL DEFAULT '',
    found_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz
);

-- At most one open difference per connector, record and field.
CREATE UNIQUE INDEX IF NOT EXISTS mfg_drifts_open ON mfg_drifts (connector, aggregate_type, aggregate_key, field) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS mfg_drifts_by_time ON mfg_drifts (connector, found_at);

CREATE TABLE IF NOT EXISTS mfg_reconciliation_runs (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector   text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    checked     integer     NOT NULL DEFAULT 0,
    found       integer     NOT NULL DEFAULT 0,  -- differences seen in this run (open ones included)
    opened      integer     NOT NULL DEFAULT 0,  -- of which new
    resolved    integer     NOT NULL DEFAULT 0,  -- earlier differences that agree now
    error       text        NOT NULL DEFAULT ''
);

CREATE INDEX IF NOT EXISTS mfg_reconciliation_runs_by_connector ON mfg_reconciliation_runs (connector, id);

-- Reconciliation's query: a connector's delivered records of one type, newest first, skipping
-- records that still have a delivery pending or dead (in flight, or already an exception).
CREATE INDEX IF NOT EXISTS mfg_deliveries_delivered ON mfg_deliveries (connector, aggregate_type, finished_at) WHERE status = 'delivered';
CREATE INDEX IF NOT EXISTS mfg_deliveries_unsettled_by_record ON mfg_deliveries (connector, aggregate_type, aggregate_key) WHERE status IN ('pending', 'dead');
