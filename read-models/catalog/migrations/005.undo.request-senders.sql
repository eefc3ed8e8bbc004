ALTER TABLE request_outcomes
  DROP COLUMN IF EXISTS original_request_id,
  DROP COLUMN IF EXISTS idempotency_key,
  DROP COLUMN IF EXISTS actor_user_id;
