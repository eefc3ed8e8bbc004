-- Check-in devices (POST /events/{id}/check-in-devices): a scanner the event's organizer (or an admin)
-- lets check tickets in for one event. Owned by the read model's database, like categories and favorites
-- (no topic carries them): a rebuild copies them into the fresh schema (rebuild.ts). The secret key is
-- shown once and never stored: `key_hash` is the hex SHA-256 of the whole key (`ckd_…`), a lookup key
-- only (the keys are 256 random bits, so a plain hash needs no salt or stretching). A revoked device keeps
-- its row (`revoked_at` set) for the record; lookups ignore it at once.
CREATE TABLE check_in_devices (
  device_id text PRIMARY KEY,
  event_id text NOT NULL,
  name text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

-- An event's devices in creation order (listing, and the per-event limit).
CREATE INDEX check_in_devices_event_idx ON check_in_devices (event_id, created_at) WHERE revoked_at IS NULL;
