-- Projected: the payments of bookings (from aquastream.payment.requests.v1 and the payment statuses) and
-- their refunds (from aquastream.refund.requests.v1 and the refund statuses). A status never goes back:
-- a repeated INITIATED after COMPLETED, or a repeated report of an earlier refund attempt, changes nothing.
CREATE TABLE payments (
  id text PRIMARY KEY,
  booking_id text NOT NULL,
  event_id text NOT NULL,
  user_id text,
  -- REQUESTED (asked of the payment service), INITIATED, COMPLETED, FAILED
  status text NOT NULL,
  amount_minor bigint NOT NULL,
  currency text NOT NULL,
  -- What the provider reported paid (COMPLETED): may differ from the amount asked for.
  paid_minor bigint,
  paid_currency text,
  confirmation_url text,
  return_url text,
  request_id text,
  failure_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX payments_booking_idx ON payments (booking_id, created_at);

CREATE TABLE refunds (
  id text PRIMARY KEY,
  booking_id text NOT NULL,
  event_id text NOT NULL,
  payment_id text,
  amount_minor bigint NOT NULL,
  currency text NOT NULL,
  reason text NOT NULL,
  -- REQUESTED (an attempt is with the payment service), COMPLETED, FAILED (the latest attempt failed)
  status text NOT NULL,
  -- The latest attempt asked for; a FAILED one below MAX_REFUND_ATTEMPTS is retried by the ledger.
  attempts integer NOT NULL,
  failure_reason text,
  request_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX refunds_booking_idx ON refunds (booking_id, created_at);
CREATE INDEX refunds_status_idx ON refunds (status, updated_at);
