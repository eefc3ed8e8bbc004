-- Owned: the durable audit log. Every admin request (reads included) and every organizer write, with the
-- actor, the second factor, the route, the target, the state before and (for direct writes) after; the
-- after of a command is its decided outcome, joined from request_outcomes by request_id when read. Append-only:
-- the trigger refuses UPDATE, DELETE and TRUNCATE to every role that runs the application (a superuser could
-- drop the trigger; the application never connects as one in production).
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_user_id text NOT NULL,
  actor_role text NOT NULL,
  second_factor boolean NOT NULL,
  action text NOT NULL,
  target_type text,
  target_id text,
  request_id text,
  trace_id text NOT NULL,
  status integer NOT NULL,
  before jsonb,
  after jsonb,
  input jsonb
);

CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, at);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
