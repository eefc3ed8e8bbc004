DROP INDEX bookings_event_promo_idx;
DROP TABLE event_promo_codes;
