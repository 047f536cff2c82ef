-- Issue 18, retention: events and event_deliveries become partitioned by time (declarative range partitioning, one
-- partition a UTC day), so old days are dropped whole (store/PartitionMaintenance) instead of DELETE storms.
--   events           by "timestamp" (the envelope's own time, or Kafka's record time when it has none): the same
--                    record stored twice has the same key, so the store's ON CONFLICT (event_id, "timestamp") keeps
--                    one row, as ON CONFLICT (event_id) did.
--   event_deliveries by delivered_at.
-- Each table gets a DEFAULT partition for rows outside the days created (clock-skewed or very old timestamps); the
-- maintenance deletes its rows older than the retention and moves rows out of it when it creates their day.
-- The new tables copy the old ones with LIKE, so columns added by earlier migrations carry over; every index of the
-- old table is recreated on the new one, a unique one with the partition column appended (PostgreSQL requires it).
CREATE FUNCTION pg_temp.mesh_partition_by_day(tbl text, key text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  old text := tbl || '_unpartitioned';
  defs text[];
  def text;
  first_day date;
  d date;
BEGIN
  EXECUTE format('UPDATE %I SET %I = COALESCE(%I, NOW()) WHERE %I IS NULL', tbl, key, key, key);
  EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
  SELECT COALESCE(array_agg(pg_get_indexdef(i.indexrelid) ORDER BY c.relname), '{}') INTO defs
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = old::regclass AND NOT i.indisprimary;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED '
    || 'INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%I)', tbl, old, key);
  EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET NOT NULL', tbl, key);
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
  -- the days the existing rows span (the last 60 at most; older rows wait in the default partition), to 3 ahead
  EXECUTE format('SELECT GREATEST(COALESCE(MIN((%I AT TIME ZONE ''UTC'')::date), CURRENT_DATE), CURRENT_DATE - 60) '
    || 'FROM %I', key, old) INTO first_day;
  FOR d IN SELECT generate_series(first_day, (NOW() AT TIME ZONE 'UTC')::date + 3, interval '1 day')::date LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', tbl || '_p' || to_char(d, 'YYYYMMDD'),
      tbl, to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
  END LOOP;
  EXECUTE format('INSERT INTO %I SELECT * FROM %I', tbl, old);
  EXECUTE format('DROP TABLE %I', old);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id, %I)', tbl, tbl || '_pkey', key);
  FOREACH def IN ARRAY defs LOOP
    def := regexp_replace(def, ' ON (ONLY )?(\S+\.)?' || old || ' ', ' ON ' || quote_ident(tbl) || ' ');
    IF def LIKE 'CREATE UNIQUE INDEX%' AND position(key IN def) = 0 THEN
      IF def ~ ' WHERE ' OR def ~ ' INCLUDE ' OR def !~ '\)$' THEN
        RAISE EXCEPTION 'V10: cannot add the partition column % to the unique index %', key, def;
      END IF;
      def := regexp_replace(def, '\)$', ', ' || quote_ident(key) || ')');
    END IF;
    EXECUTE def;
  END LOOP;
END
$fn$;

SELECT pg_temp.mesh_partition_by_day('events', 'timestamp');
SELECT pg_temp.mesh_partition_by_day('event_deliveries', 'delivered_at');
DROP FUNCTION pg_temp.mesh_partition_by_day(text, text);
