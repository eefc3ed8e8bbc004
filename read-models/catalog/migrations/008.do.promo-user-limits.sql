-- A promo code's per-user limit and cancel rule (EventDomainEvent v3 `maxUsesPerUser`, `cancelReturnsUse`).
-- Rows projected from older snapshots read as no per-user limit, a canceled booking keeping its use: the
-- rule before v3.
ALTER TABLE event_promo_codes
  ADD COLUMN max_uses_per_user integer,
  ADD COLUMN cancel_returns_use boolean NOT NULL DEFAULT false;

-- Counting one user's uses of a code on an event (POST /promos/validate).
CREATE INDEX bookings_event_user_promo_idx ON bookings (event_id, user_id, promo_code)
  WHERE promo_code IS NOT NULL;
