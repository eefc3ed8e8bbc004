DROP INDEX bookings_created_idx;
DROP INDEX bookings_status_created_idx;
DROP TABLE bulk_job_items;
DROP TABLE bulk_jobs;
