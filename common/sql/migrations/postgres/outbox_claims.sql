-- Several dispatchers (one per replica) share the outbox: a dispatcher claims a key's due
-- messages for a lease before it sends them, and records their fate only while it still
-- holds that claim (its token); see OutboxStore::Claim. The index finds a key's earlier
-- messages, which hold its later ones back.
CREATE TABLE outbox_claims (
  key            TEXT PRIMARY KEY,
  owner          TEXT NOT NULL,
  token          BIGINT NOT NULL,
  lease_until_us BIGINT NOT NULL
);
CREATE INDEX outbox_by_key ON outbox(key, sequence);
