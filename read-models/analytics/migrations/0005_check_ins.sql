-- Check-in facts (BookingDomainEvent v3): a CHECKED_IN fact is a booking fact like the others, one row of
-- booking_facts written by the same sink with the same exactly-once rules (stored offsets, insert
-- deduplication tokens, coordinates in the sorting key). Its `seats` are the seats that one scan
-- admitted; these columns carry the rest: the booking's seats checked in so far (this scan included), when
-- the scanner read the code, and the check-in device that scanned ('' for a person). 0 and '' on every
-- other fact. A CHECKED_IN or TICKET_REISSUED fact changes nothing of its booking's seats or payments
-- (seats_delta, confirmed_seats_delta and paid_delta_minor are 0), so the daily measures stay as they were;
-- check-ins show in `outcomes` under their type. Attendance is read from these rows (attendance.ts).

ALTER TABLE {{database}}.booking_facts
    ADD COLUMN IF NOT EXISTS checked_in_seats Int32 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS scanned_at DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC'),
    ADD COLUMN IF NOT EXISTS device_id String DEFAULT '';
