-- Request outcomes carry who sent the command, its Idempotency-Key, and for a repeat of a key under another
-- request ID the request that was decided (RequestOutcome v2), so `GET /requests/{id}` answers the sender
-- from this table after any restart. Rows projected before this migration keep NULL until a rebuild.
ALTER TABLE request_outcomes
  ADD COLUMN actor_user_id text,
  ADD COLUMN idempotency_key text,
  ADD COLUMN original_request_id text;
