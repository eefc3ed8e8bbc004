-- Check-in on bookings (BookingDomainEvent v3): CHECKED_IN facts carry the booking's checked-in seats so
-- far; TICKET_REISSUED a new ticket code (the projection takes any fact's code). Rows projected before this
-- migration get 0 and NULL; `npm run projections:rebuild` fills them from the topics.
ALTER TABLE bookings
  -- Seats of the booking checked in at the entrance (the latest CHECKED_IN fact's checkedInSeats).
  ADD COLUMN checked_in_seats integer NOT NULL DEFAULT 0,
  -- The scan time of the booking's earliest accepted check-in (scans of an offline scanner may arrive
  -- later than others made after them), NULL before any.
  ADD COLUMN first_checked_in_at timestamptz;
-- A CHECK_IN's result (RequestOutcome v4 `checkIn`): the booking's check-in counts after the decision,
-- which the check-in route answers per scan. NULL for other commands and codes naming no booking.
ALTER TABLE request_outcomes ADD COLUMN check_in jsonb;
