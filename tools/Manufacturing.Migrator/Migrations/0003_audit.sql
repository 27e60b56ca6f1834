-- 0003_audit: the append-only audit trail. Every accepted command and every refusal
-- (authentication, authorization, tenancy, ownership, validation, rate limit) is one row, written
-- by the gateway (its own refusals) and by the services (everything that reached them).
-- Rows are never changed or removed: triggers refuse UPDATE, DELETE and TRUNCATE for every role
-- (only the table's owner could drop them; the hosts should connect as another role in production,
-- with INSERT and SELECT only, see docs/security.md). No request payloads are stored, so no prices.
-- Idempotent as a script too.

CREATE TABLE IF NOT EXISTS mfg_audit_records (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    component       text        NOT NULL,  -- gateway, inventory, procurement, …
    identity        text        NOT NULL,  -- the token's client, or '' when unauthenticated
    source_system   text        NOT NULL,  -- the source system the call acted as, or ''
    correlation_id  text        NOT NULL,
    message_id      text        NOT NULL,
    resource        text        NOT NULL,  -- the resource name the call named, or ''
    rpc             text        NOT NULL,  -- /package.Service/Method, or METHOD /path at the gateway
    outcome         text        NOT NULL,  -- ACCEPTED or REFUSED
    status          text        NOT NULL,  -- the gRPC status code name
    reason          text        NOT NULL   -- ErrorInfo reason and message; '' when accepted
);

CREATE INDEX IF NOT EXISTS mfg_audit_records_by_resource ON mfg_audit_records (resource, recorded_at);
CREATE INDEX IF NOT EXISTS mfg_audit_records_by_identity ON mfg_audit_records (identity, recorded_at);
CREATE INDEX IF NOT EXISTS mfg_audit_records_by_time ON mfg_audit_records (recorded_at);

CREATE OR REPLACE FUNCTION mfg_audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mfg_audit_records is append-only: % is not allowed', TG_OP;
END;
$$;

DROP TRIGGER IF EXISTS mfg_audit_records_no_change ON mfg_audit_records;
CREATE TRIGGER mfg_audit_records_no_change BEFORE UPDATE OR DELETE ON mfg_audit_records
    FOR EACH ROW EXECUTE FUNCTION mfg_audit_records_append_only();

DROP TRIGGER IF EXISTS mfg_audit_records_no_truncate ON mfg_audit_records;
CREATE TRIGGER mfg_audit_records_no_truncate BEFORE TRUNCATE ON mfg_audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION mfg_audit_records_append_only();
