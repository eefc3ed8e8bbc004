-- The catalog read model. Runs with search_path = <schema>, public (migrate.ts); unqualified names land in
-- the read model's schema. Projected tables (events, event_price_options, bookings, waitlist_entries,
-- request_outcomes) are rebuilt from the topics; owned tables (categories, category_audit, favorites) are
-- written by the API and carried over by a rebuild.

-- Trigram operators for the place filter; the extension lives in public so every schema shares it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- Where each projection stands: the next offset to apply, written in the same transaction as the rows.
CREATE TABLE projection_offsets (
  projection text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (projection, topic, partition)
);

-- One row per event: the latest snapshot from aquastream.event.events.v1, seats derived from bookings.
CREATE TABLE events (
  id text PRIMARY KEY,
  version bigint NOT NULL,
  status text NOT NULL,
  organizer_id text NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  place text NOT NULL,
  area text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  publish_at timestamptz,
  categories text[] NOT NULL DEFAULT '{}',
  capacity integer NOT NULL,
  seats_taken integer NOT NULL DEFAULT 0,
  seats_available integer NOT NULL DEFAULT 0,
  price_from bigint,
  crew jsonb NOT NULL DEFAULT '[]',
  cancel_reason text,
  rating double precision,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- The default catalog (bookable statuses): every catalog index is partial on it, so the common search
  -- walks a small index in the requested order and counts with an index-only scan.
  listed boolean GENERATED ALWAYS AS (status IN ('PUBLISHED', 'RESCHEDULED')) STORED,
  -- Full text, Russian and English: the 'russian' configuration stems Cyrillic words with the Russian
  -- Snowball stemmer and Latin words (asciiword) with the English one, so one vector serves both
  -- languages; queries use websearch_to_tsquery('russian', q). Weights: title A, description B, place C.
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('russian', title), 'A') ||
    setweight(to_tsvector('russian', description), 'B') ||
    setweight(to_tsvector('simple', place), 'C')
  ) STORED
);

CREATE INDEX events_search_idx ON events USING gin (search);
CREATE INDEX events_categories_idx ON events USING gin (categories);
CREATE INDEX events_place_trgm_idx ON events USING gin (place public.gin_trgm_ops);
-- One index per sort field of the default catalog (ties on id, both directions by backward scans).
CREATE INDEX events_listed_starts_idx ON events (starts_at, id) WHERE listed;
CREATE INDEX events_listed_price_idx ON events (price_from, id) WHERE listed;
CREATE INDEX events_listed_title_idx ON events (title, id) WHERE listed;
CREATE INDEX events_listed_created_idx ON events (created_at, id) WHERE listed;
CREATE INDEX events_listed_rating_idx ON events (rating, id) WHERE listed;
CREATE INDEX events_listed_price_desc_idx ON events (price_from DESC NULLS LAST, id DESC) WHERE listed;
CREATE INDEX events_listed_rating_desc_idx ON events (rating DESC NULLS LAST, id DESC) WHERE listed;
CREATE INDEX events_listed_seats_idx ON events (seats_available) WHERE listed;
-- Other statuses (drafts, canceled, archive) and "my events".
CREATE INDEX events_status_starts_idx ON events (status, starts_at, id);
CREATE INDEX events_organizer_idx ON events (organizer_id, starts_at);

-- Price options with live availability (seats_taken: active bookings of the option).
CREATE TABLE event_price_options (
  event_id text NOT NULL,
  price_option_id text NOT NULL,
  position integer NOT NULL,
  name text NOT NULL,
  price_minor bigint NOT NULL,
  allotment integer NOT NULL,
  seats_taken integer NOT NULL DEFAULT 0,
  valid_from timestamptz,
  valid_until timestamptz,
  PRIMARY KEY (event_id, price_option_id)
);

-- Bookings: the latest state of each booking from aquastream.booking.events.v1.
CREATE TABLE bookings (
  id text PRIMARY KEY,
  event_id text NOT NULL,
  user_id text NOT NULL,
  status text NOT NULL,
  price_option_id text,
  seats integer NOT NULL,
  amount_minor bigint NOT NULL,
  paid_minor bigint NOT NULL,
  refunded_minor bigint NOT NULL DEFAULT 0,
  promo_code text,
  ticket_code text,
  reason_code text,
  hold_expires_at timestamptz,
  last_event text NOT NULL,
  last_request_id text,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX bookings_user_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_option_active_idx ON bookings (event_id, price_option_id)
  WHERE status IN ('PENDING_PAYMENT', 'CONFIRMED');

-- Active waiting-list entries (left, expired or used-up entries are deleted).
CREATE TABLE waitlist_entries (
  event_id text NOT NULL,
  user_id text NOT NULL,
  seats integer NOT NULL,
  status text NOT NULL CHECK (status IN ('WAITING', 'OFFERED')),
  -- FIFO order: the booking-topic offset of the WAITLIST_JOINED fact (one partition per event).
  queue_seq bigint NOT NULL,
  joined_at timestamptz NOT NULL,
  offer_expires_at timestamptz,
  PRIMARY KEY (event_id, user_id)
);

CREATE INDEX waitlist_entries_user_idx ON waitlist_entries (user_id);
CREATE INDEX waitlist_entries_queue_idx ON waitlist_entries (event_id, queue_seq);

-- The outcome of each command, by request ID (compacted topic: the latest record wins).
CREATE TABLE request_outcomes (
  request_id text PRIMARY KEY,
  event_id text NOT NULL,
  command_type text NOT NULL,
  accepted boolean NOT NULL,
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  reason_code text,
  message text NOT NULL,
  decided_at timestamptz NOT NULL
);

-- Owned: admin-managed category tree, at most 3 levels.
CREATE TABLE categories (
  id text PRIMARY KEY,
  parent_id text REFERENCES categories (id),
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX categories_parent_idx ON categories (parent_id);

-- Owned: every category write with before/after values (admin actions are audited).
CREATE TABLE category_audit (
  id bigserial PRIMARY KEY,
  category_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('CREATE', 'UPDATE', 'DELETE')),
  actor_user_id text NOT NULL,
  request_id text NOT NULL,
  before jsonb,
  after jsonb,
  at timestamptz NOT NULL
);

CREATE INDEX category_audit_category_idx ON category_audit (category_id, at);

-- Owned: private favorites.
CREATE TABLE favorites (
  user_id text NOT NULL,
  event_id text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, event_id)
);

CREATE INDEX favorites_user_idx ON favorites (user_id, created_at DESC, event_id);
