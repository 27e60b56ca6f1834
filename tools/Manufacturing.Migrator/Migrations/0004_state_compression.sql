-- 0004_state_compression: grain state rows are compressed with lz4 instead of PostgreSQL's default
-- pglz. A production order's state is tens of kilobytes under plant-event load (its message-id
-- memory and undelivered outbox), so every write is TOASTed and compressed; lz4 costs far less CPU
-- for a similar size (measured: about 1.16x the persisted plant-event throughput on the same box,
-- docs/benchmarks.md). The column's type is unchanged, so the Orleans ADO.NET contract holds; rows
-- written before keep their compression until they are written again. A server built without lz4
-- keeps pglz (a notice says so). Idempotent as a script too.

DO $$
BEGIN
    ALTER TABLE orleansstorage ALTER COLUMN payloadbinary SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server; grain state stays compressed with pglz';
END
$$;
