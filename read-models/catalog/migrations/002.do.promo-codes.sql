-- Promo codes per event, from the event snapshots (EventDomainEvent v2 `promoCodes`). A projected table:
-- rebuilt from the topics like event_price_options. A snapshot whose promoCodes is null (written before
-- v2) leaves an event's rows as they are.
CREATE TABLE event_promo_codes (
  event_id text NOT NULL,
  code text NOT NULL,
  -- Creation order on the event (the snapshot's order).
  position integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('PERCENTAGE', 'FIXED_AMOUNT')),
  -- Percent (1-100) or kopecks off the booking.
  value bigint NOT NULL,
  usage_limit integer NOT NULL,
  valid_from timestamptz,
  valid_until timestamptz NOT NULL,
  active boolean NOT NULL,
  -- Derived like seats: bookings holding the code (PENDING_PAYMENT, CONFIRMED) or having used it (a
  -- confirmed booking keeps its use when canceled, so: a ticket was issued), recomputed per batch.
  uses integer NOT NULL DEFAULT 0,
  PRIMARY KEY (event_id, code)
);

-- Counting an event's promo uses reads only the bookings that carry a code.
CREATE INDEX bookings_event_promo_idx ON bookings (event_id, promo_code) WHERE promo_code IS NOT NULL;
