-- Owned: bulk jobs (POST /api/v1/bulk/events, /bulk/bookings). A job and its items are stored before the API
-- answers 202; each item is one command under a request ID derived from (job, item), so producing it again
-- (a retry, a resume after a crash) names the same request and the event's task decides it once. An item's
-- result is its request's outcome (request_outcomes, joined when read) or, for an item the API refused
-- before producing anything (another organizer's event, an unknown booking), `refused_code`/`refused_message`.
-- `produced_at` marks the items whose command was produced (or refused); a job with items left unmarked is
-- resumed when the service starts. No topic carries these: a rebuild copies them (rebuild.ts).
CREATE TABLE bulk_jobs (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('events', 'bookings')),
  action text NOT NULL,
  -- the job's own options (reason, forceMajeure, publishAt), the same for every item
  options jsonb NOT NULL,
  actor_user_id text NOT NULL,
  actor_role text NOT NULL,
  second_factor boolean NOT NULL,
  -- hash of the request body: a repeat with the same Idempotency-Key and another body is refused
  fingerprint text NOT NULL,
  trace_id text NOT NULL,
  item_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  -- when every item's command was produced or refused (the decisions may still be on their way)
  produced_at timestamptz,
  -- the last time a producer worked on it (a job left by a dead instance is picked up by another)
  heartbeat_at timestamptz NOT NULL
);

CREATE INDEX bulk_jobs_unproduced_idx ON bulk_jobs (heartbeat_at) WHERE produced_at IS NULL;

CREATE TABLE bulk_job_items (
  job_id text NOT NULL REFERENCES bulk_jobs (id),
  position integer NOT NULL,
  target_id text NOT NULL,
  request_id text NOT NULL UNIQUE,
  -- known once produced (a booking's event is read when its command is built)
  event_id text,
  produced_at timestamptz,
  refused_code text,
  refused_message text,
  PRIMARY KEY (job_id, position)
);

-- The admins' booking search across events (GET /admin/bookings): by status, and by creation time alone
-- (by user and by event, bookings_user_idx and bookings_event_idx serve).
CREATE INDEX bookings_status_created_idx ON bookings (status, created_at DESC, id DESC);
CREATE INDEX bookings_created_idx ON bookings (created_at DESC, id DESC);
