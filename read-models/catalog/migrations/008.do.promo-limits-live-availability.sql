-- A promo code's per-user limit and cancel rule (EventDomainEvent v3 `maxUsesPerUser`, `cancelReturnsUse`).
-- Rows projected from older snapshots read as no per-user limit, a canceled booking keeping its use: the
-- rule before v3.
ALTER TABLE event_promo_codes
  ADD COLUMN max_uses_per_user integer,
  ADD COLUMN cancel_returns_use boolean NOT NULL DEFAULT false;

-- Counting one user's uses of a code on an event (POST /promos/validate).
CREATE INDEX bookings_event_user_promo_idx ON bookings (event_id, user_id, promo_code)
  WHERE promo_code IS NOT NULL;

-- Live availability (GET /events/{id}/availability): every change of an event's status or free seats, in
-- the order the projection applied it. `position` counts per event (the last plus one); the events row is
-- locked by the seat recount of the same transaction, so positions commit in order and every API instance
-- reads the same sequence (a reconnecting stream resumes after its Last-Event-ID without a gap or a
-- repeat). A delivery log rather than a projected state: its numbering depends on how batches fell.
CREATE TABLE event_availability_changes (
  event_id text NOT NULL,
  position bigint NOT NULL,
  status text NOT NULL,
  seats_available integer NOT NULL,
  -- [{id, name, available}] in the options' order.
  options jsonb NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, position)
);
