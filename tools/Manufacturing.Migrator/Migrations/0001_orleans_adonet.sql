-- 0001_orleans_adonet: the tables and OrleansQuery rows that Orleans 10.4.2's ADO.NET providers
-- (clustering, grain persistence, reminders) use with Invariant "Npgsql".
--
-- Written from shared/ORLEANS-ADONET-CONTRACT.md. Rules that shape every query below:
--   * The providers run the stored text as is, autocommit, with named parameters written @Name.
--     One statement per query (data-modifying CTEs) keeps each operation atomic.
--   * Conflicts are reported through the result (false / NULL / no row), never by raising an error:
--     an error surfaces as a storage or membership failure, not as a conflict.
--   * Npgsql sends DateTime as timestamptz (UTC), so every time column is timestamptz.
--   * Versions are int32. Where a version is bumped on every write, it wraps from 2147483647 to 1
--     (version % 2147483647 + 1) instead of overflowing: the providers only compare versions for
--     equality, so any value different from the previous one is a valid new version.
--
-- The migrator runs this file in one transaction. It is idempotent anyway (IF NOT EXISTS,
-- ON CONFLICT DO UPDATE), so running it by hand against an existing schema is harmless.

DO $check$
BEGIN
    -- UNIQUE NULLS NOT DISTINCT (the storage identity below) needs PostgreSQL 15.
    IF current_setting('server_version_num')::int < 150000 THEN
        RAISE EXCEPTION 'PostgreSQL 15 or later is required (this server is %)', current_setting('server_version');
    END IF;
END
$check$;

-- The providers read "SELECT QueryKey, QueryText FROM OrleansQuery": unquoted, so PostgreSQL folds
-- the names to lower case. QueryKey must be unique.
CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  text NOT NULL PRIMARY KEY,
    querytext text NOT NULL
);

---------------------------------------------------------------------------------------------------
-- Clustering
---------------------------------------------------------------------------------------------------

-- One row per cluster (DeploymentId = ClusterOptions.ClusterId). Its version is the only thing that
-- protects membership changes against races; every member row reports it as its etag.
CREATE TABLE IF NOT EXISTS orleansmembershipversiontable
(
    deploymentid text        NOT NULL PRIMARY KEY,
    modifiedon   timestamptz NOT NULL DEFAULT now(),
    version      int         NOT NULL DEFAULT 0 CHECK (version >= 0)
);

CREATE TABLE IF NOT EXISTS orleansmembershiptable
(
    deploymentid text        NOT NULL
        REFERENCES orleansmembershipversiontable (deploymentid) ON DELETE CASCADE,
    -- Parsed with IPAddress.Parse, so plain text rather than inet.
    address      text        NOT NULL,
    port         int         NOT NULL,
    generation   int         NOT NULL,
    -- The provider casts SiloName straight to string: never NULL (inserted with coalesce).
    siloname     text        NOT NULL,
    hostname     text        NOT NULL,
    -- 0 None, 1 Created, 2 Joining, 3 Active, 4 ShuttingDown, 5 Stopping, 6 Dead.
    status       int         NOT NULL,
    -- 0 = not a gateway. Never NULL on a member row.
    proxyport    int         NOT NULL DEFAULT 0,
    -- Opaque to the database, unbounded.
    suspecttimes text        NULL,
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,
    PRIMARY KEY (deploymentid, address, port, generation)
);

---------------------------------------------------------------------------------------------------
-- Grain persistence
---------------------------------------------------------------------------------------------------

-- Row identity is (ServiceId, state name, N0, N1, key extension), NULL-safe on the extension:
--   GUID key    -> N0/N1 = the GUID's two little-endian int64 halves, extension or NULL
--   integer key -> N0 = 0, N1 = the key, extension or NULL
--   string key  -> N0 = N1 = 0, extension = the whole key
-- The grain class is not part of the identity: GrainTypeString carries the state name.
--
-- The unique constraint doubles as the lookup index, and the queries below look rows up by the
-- identity only. The hash columns come from the provider's configured hasher (StableHash by default,
-- another one after UseOrleans3CompatibleHasher()); they are stored for diagnostics but never used to
-- find a row, so switching the hasher cannot orphan stored state. The cost: key + state name must
-- stay under PostgreSQL's btree entry limit (~2.7 kB), far above our "P100/WO-000123" style keys.
CREATE TABLE IF NOT EXISTS orleansstorage
(
    serviceid              text        NOT NULL,
    graintypestring        text        NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    grainidextensionstring text        NULL,
    grainidhash            int         NOT NULL,
    graintypehash          int         NOT NULL,
    -- NULL = cleared (tombstone: the row and its version stay, so etags never go back).
    payloadbinary          bytea       NULL,
    modifiedon             timestamptz NOT NULL DEFAULT now(),
    version                int         NOT NULL,
    CONSTRAINT uq_orleansstorage_identity
        UNIQUE NULLS NOT DISTINCT (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
);

---------------------------------------------------------------------------------------------------
-- Reminders
---------------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS orleansreminderstable
(
    serviceid    text        NOT NULL,
    -- GrainId.ToString(), sent as AnsiString: text.
    grainid      text        NOT NULL,
    remindername text        NOT NULL,
    starttime    timestamptz NOT NULL,
    -- Milliseconds. bigint: periods over ~24.8 days arrive as int64.
    period       bigint      NOT NULL,
    -- (int)GrainId.GetUniformHashCode(): the signed view of the unsigned ring position.
    grainhash    int         NOT NULL,
    version      int         NOT NULL,
    PRIMARY KEY (serviceid, grainid, remindername)
);

-- Range reads by ring position (each silo loads the reminders of its ring range).
CREATE INDEX IF NOT EXISTS ix_orleansreminderstable_range ON orleansreminderstable (serviceid, grainhash);

---------------------------------------------------------------------------------------------------
-- Queries. Dollar-quoted so the SQL reads as SQL; ON CONFLICT DO UPDATE so a later migration (or a
-- re-run) can replace a query text in place.
---------------------------------------------------------------------------------------------------

INSERT INTO orleansquery (querykey, querytext) VALUES

-- Clustering -------------------------------------------------------------------------------------

-- Single boolean: true when this call created the version row.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleansmembershipversiontable (deploymentid, version)
    VALUES (@DeploymentId, 0)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT count(*) = 1 FROM created;
$q$),

-- Only when the table version is still @Version and the silo is not there yet: add the member and
-- bump the version, in one statement. The version row's row lock serialises concurrent joins; the
-- loser re-checks "version = @Version" after the winner commits and matches nothing.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE orleansmembershipversiontable
    SET version = version + 1, modifiedon = now()
    WHERE deploymentid = @DeploymentId
      AND version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM orleansmembershiptable
          WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation)
    RETURNING deploymentid
), inserted AS (
    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport, starttime, iamalivetime)
    SELECT deploymentid, @Address, @Port, @Generation, coalesce(@SiloName, ''), @HostName, @Status, @ProxyPort,
           @StartTime, @IAmAliveTime
    FROM bumped
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING
    RETURNING 1
)
SELECT count(*) = 1 FROM inserted;
$q$),

-- Only when the table version is still @Version and the member exists: update it and bump the version.
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE orleansmembershipversiontable
    SET version = version + 1, modifiedon = now()
    WHERE deploymentid = @DeploymentId
      AND version = @Version
      AND EXISTS (
          SELECT 1 FROM orleansmembershiptable
          WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation)
    RETURNING deploymentid
), updated AS (
    UPDATE orleansmembershiptable AS m
    SET status = @Status, suspecttimes = @SuspectTimes, iamalivetime = @IAmAliveTime
    FROM bumped
    WHERE m.deploymentid = bumped.deploymentid
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*) = 1 FROM updated;
$q$),

-- Heartbeat: deliberately leaves the table version alone.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembershiptable
SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;
$q$),

-- Member-row result sets: the version row LEFT JOIN the members, so there is always at least one row
-- (carrying the table version) while the cluster exists; StartTime NULL marks "no member on this row".
('MembershipReadAllKey', $q$
SELECT m.address      AS "Address",
       m.port         AS "Port",
       m.generation   AS "Generation",
       m.siloname     AS "SiloName",
       m.hostname     AS "HostName",
       m.status       AS "Status",
       m.proxyport    AS "ProxyPort",
       m.suspecttimes AS "SuspectTimes",
       m.starttime    AS "StartTime",
       m.iamalivetime AS "IAmAliveTime",
       v.version      AS "Version"
FROM orleansmembershipversiontable AS v
LEFT JOIN orleansmembershiptable AS m ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId;
$q$),

('MembershipReadRowKey', $q$
SELECT m.address      AS "Address",
       m.port         AS "Port",
       m.generation   AS "Generation",
       m.siloname     AS "SiloName",
       m.hostname     AS "HostName",
       m.status       AS "Status",
       m.proxyport    AS "ProxyPort",
       m.suspecttimes AS "SuspectTimes",
       m.starttime    AS "StartTime",
       m.iamalivetime AS "IAmAliveTime",
       v.version      AS "Version"
FROM orleansmembershipversiontable AS v
LEFT JOIN orleansmembershiptable AS m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId;
$q$),

-- @Status is always 3 (Active). A ProxyPort of 0 means the silo is not a gateway.
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxyport AS "ProxyPort", generation AS "Generation"
FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND status = @Status AND proxyport > 0;
$q$),

-- Removes the whole cluster (members first, then the version row; the FK cascades as well).
('DeleteMembershipTableEntriesKey', $q$
WITH members AS (
    DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId
)
DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId;
$q$),

-- Bulk cleanup: only Dead (6) rows whose last heartbeat is older than the cutoff. Never non-Active
-- rows in general: a Joining or ShuttingDown silo is alive. The version is left alone.
-- (10.4.2 uses the per-row key below instead whenever that key exists.)
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND status = 6 AND iamalivetime < @IAmAliveTime;
$q$),

-- Per-row compare-and-delete (optional key, 10.4.2): the provider read the row, decided it is Dead
-- and old, and passes back what it saw. Delete only if the row is still exactly that (status 6 and
-- the same StartTime, IAmAliveTime and SuspectTimes, NULL and '' being the same), so a row that
-- changed in between is left alone.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
  AND status = 6
  AND starttime = @StartTime
  AND iamalivetime = @IAmAliveTime
  AND coalesce(suspecttimes, '') = coalesce(@SuspectTimes, '');
$q$),

-- Grain persistence -------------------------------------------------------------------------------
-- The identity predicate is written "extension = @x OR (both NULL)" rather than IS NOT DISTINCT FROM,
-- because only the former can use the unique index when the planner sees the parameter value.

('ReadFromStorageKey', $q$
SELECT payloadbinary AS "PayloadBinary", version AS "Version"
FROM orleansstorage
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (grainidextensionstring IS NULL AND @GrainIdExtensionString IS NULL));
$q$),

-- @GrainStateVersion NULL: first write, insert version 1 unless a row with this identity exists.
-- A racing first insert loses quietly through ON CONFLICT DO NOTHING (no unique violation), returns
-- NULL, and the provider reports the conflict.
-- Otherwise: update only where the stored version still equals the etag, and bump it.
-- Exactly one row comes back: the new version, or NULL on conflict.
('WriteToStorageKey', $q$
WITH inserted AS (
    INSERT INTO orleansstorage
        (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring,
         grainidhash, graintypehash, payloadbinary, modifiedon, version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
           @GrainIdHash, @GrainTypeHash, @PayloadBinary, now(), 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT ON CONSTRAINT uq_orleansstorage_identity DO NOTHING
    RETURNING version
), updated AS (
    UPDATE orleansstorage
    SET payloadbinary = @PayloadBinary, modifiedon = now(), version = version % 2147483647 + 1
    WHERE serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND (grainidextensionstring = @GrainIdExtensionString
           OR (grainidextensionstring IS NULL AND @GrainIdExtensionString IS NULL))
      AND version = @GrainStateVersion
    RETURNING version
)
SELECT (SELECT version FROM inserted UNION ALL SELECT version FROM updated LIMIT 1) AS "NewGrainStateVersion";
$q$),

-- Clear keeps the row as a tombstone (payload NULL) and bumps the version, so a later first write
-- cannot reuse an old etag. Column 0 = the new version; no row = conflict.
('ClearStorageKey', $q$
UPDATE orleansstorage
SET payloadbinary = NULL, modifiedon = now(), version = version % 2147483647 + 1
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (grainidextensionstring IS NULL AND @GrainIdExtensionString IS NULL))
  AND version = @GrainStateVersion
RETURNING version AS "NewGrainStateVersion";
$q$),

-- Used instead of Clear when DeleteStateOnClear = true. Column 0 must differ from the etag sent:
-- return the version the row would have had next. No row = conflict. Unlike a tombstone, a deleted
-- row restarts at version 1 on its next write.
('DeleteStorageKey', $q$
DELETE FROM orleansstorage
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (grainidextensionstring IS NULL AND @GrainIdExtensionString IS NULL))
  AND version = @GrainStateVersion
RETURNING version % 2147483647 + 1 AS "NewGrainStateVersion";
$q$),

-- Reminders --------------------------------------------------------------------------------------

-- Insert or overwrite without an etag check; the version changes on every upsert.
('UpsertReminderRowKey', $q$
INSERT INTO orleansreminderstable AS r
    (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 1)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
SET starttime = excluded.starttime,
    period    = excluded.period,
    grainhash = excluded.grainhash,
    version   = r.version % 2147483647 + 1
RETURNING version AS "Version";
$q$),

('ReadReminderRowsKey', $q$
SELECT grainid AS "GrainId", remindername AS "ReminderName", starttime AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND grainid = @GrainId;
$q$),

('ReadReminderRowKey', $q$
SELECT grainid AS "GrainId", remindername AS "ReminderName", starttime AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName;
$q$),

-- Ring ranges (Begin, End]. The provider casts the unsigned ring positions to int32 and picks
-- Rows1 when (int)Begin < (int)End, Rows2 otherwise. Comparing the signed values here is right:
-- the cast rotates the ring, so the signed interval is the same set as the unsigned one.
('ReadRangeRows1Key', $q$
SELECT grainid AS "GrainId", remindername AS "ReminderName", starttime AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND grainhash > @BeginHash AND grainhash <= @EndHash;
$q$),

-- Wrap-around: everything after Begin or up to End. Begin = End selects the whole ring.
('ReadRangeRows2Key', $q$
SELECT grainid AS "GrainId", remindername AS "ReminderName", starttime AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND (grainhash > @BeginHash OR grainhash <= @EndHash);
$q$),

-- Single boolean: true when the reminder existed with that version and is now gone.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleansreminderstable
    WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName AND version = @Version
    RETURNING 1
)
SELECT count(*) > 0 FROM deleted;
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleansreminderstable WHERE serviceid = @ServiceId;
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
