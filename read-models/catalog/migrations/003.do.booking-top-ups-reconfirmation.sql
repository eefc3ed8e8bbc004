-- Seat top-ups and re-confirmations on bookings (BookingDomainEvent v2), derived by the projection from
-- the facts and the row before (projection-sink.ts `bookingRow`). Rows projected before this migration
-- get NULL in both; `npm run projections:rebuild` fills them from the topics.
ALTER TABLE bookings
  -- Extra seats of a pending seat top-up of a CONFIRMED booking, NULL when none is pending. `seats`
  -- includes them (they are held), so the confirmed seats are seats - COALESCE(top_up_seats, 0).
  ADD COLUMN top_up_seats integer,
  -- The latest re-confirmation after a schedule change (fact RECONFIRMED), NULL when never.
  ADD COLUMN reconfirmed_at timestamptz;
