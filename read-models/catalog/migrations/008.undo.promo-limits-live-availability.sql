DROP TABLE IF EXISTS event_availability_changes;
DROP INDEX IF EXISTS bookings_event_user_promo_idx;
ALTER TABLE event_promo_codes
  DROP COLUMN IF EXISTS cancel_returns_use,
  DROP COLUMN IF EXISTS max_uses_per_user;
