-- 0007_trace_context: the W3C traceparent of the command that caused each business event, kept
-- with the event in the log and in its deliveries, so the span that delivers it to an ERP links back
-- to the originating request's trace. '' when the command was not traced.
-- Idempotent as a script too (IF NOT EXISTS).

ALTER TABLE mfg_integration_events ADD COLUMN IF NOT EXISTS trace_parent text NOT NULL DEFAULT '';
ALTER TABLE mfg_deliveries ADD COLUMN IF NOT EXISTS trace_parent text NOT NULL DEFAULT '';
