ALTER TABLE bookings DROP COLUMN reconfirmed_at, DROP COLUMN top_up_seats;
