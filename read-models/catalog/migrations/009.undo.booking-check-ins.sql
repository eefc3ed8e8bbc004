ALTER TABLE request_outcomes DROP COLUMN check_in;
ALTER TABLE bookings DROP COLUMN first_checked_in_at, DROP COLUMN checked_in_seats;
