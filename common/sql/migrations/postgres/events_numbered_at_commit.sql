-- Events are numbered as they are written, from a sequence, by writers holding the event
-- log's lock until they commit (common/sql/unit_of_work.cc), no longer inserted unnumbered
-- and numbered later by each reader (a second version of every row, and a write
-- transaction before every read). Rows still unnumbered are numbered here, in the old way.
SELECT pg_advisory_xact_lock(4857020301);
WITH todo AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM events WHERE sequence IS NULL),
     base AS (SELECT COALESCE(MAX(sequence), 0) AS b FROM events)
  UPDATE events SET sequence = base.b + todo.n FROM todo, base WHERE events.id = todo.id;
CREATE SEQUENCE events_sequence_seq AS BIGINT OWNED BY events.sequence;
SELECT setval('events_sequence_seq', COALESCE((SELECT MAX(sequence) FROM events), 0) + 1, false);
-- A replica of the version before, still running while others are upgraded, inserts
-- without a number: the default numbers its rows (at insert, not in commit order -- only
-- until it is replaced), and its readers then find nothing left to number.
ALTER TABLE events ALTER COLUMN sequence SET DEFAULT nextval('events_sequence_seq'),
                   ALTER COLUMN sequence SET NOT NULL;
DROP INDEX events_unnumbered;
