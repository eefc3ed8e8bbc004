// The request_outcomes rows of a batch, without a database: one per request ID, the latest record wins.
import t from 'tap'
import type { RequestOutcome } from '../../../avro/index.ts'
import { outcomeRows } from '../../../read-models/catalog/outcome-rows.ts'

const T0 = Date.UTC(2026, 5, 1, 9)

const outcome = (requestId: string, overrides: Partial<RequestOutcome> = {}): RequestOutcome => ({
  requestId,
  eventId: 'ev-1',
  commandType: 'BOOK',
  accepted: true,
  resourceType: 'BOOKING',
  resourceId: `b-${requestId}`,
  reasonCode: null,
  message: 'booked',
  decidedAtMs: T0,
  actorUserId: 'user-1',
  idempotencyKey: null,
  originalRequestId: null,
  checkIn: null,
  ...overrides,
})

t.test('one row per request ID, the latest record, in order of first appearance', async (t) => {
  const rows = outcomeRows([
    outcome('r1', { accepted: false, reasonCode: 'NO_AVAILABLE_SEATS', message: 'full' }),
    outcome('r2', { idempotencyKey: 'k-2', originalRequestId: 'r0' }),
    outcome('r1', { decidedAtMs: T0 + 1000 }),
  ])
  t.strictSame(rows, [
    {
      request_id: 'r1',
      event_id: 'ev-1',
      command_type: 'BOOK',
      accepted: true,
      resource_type: 'BOOKING',
      resource_id: 'b-r1',
      reason_code: null,
      message: 'booked',
      decided_at: new Date(T0 + 1000).toISOString(),
      actor_user_id: 'user-1',
      idempotency_key: null,
      original_request_id: null,
      check_in: null,
    },
    {
      request_id: 'r2',
      event_id: 'ev-1',
      command_type: 'BOOK',
      accepted: true,
      resource_type: 'BOOKING',
      resource_id: 'b-r2',
      reason_code: null,
      message: 'booked',
      decided_at: new Date(T0).toISOString(),
      actor_user_id: 'user-1',
      idempotency_key: 'k-2',
      original_request_id: 'r0',
      check_in: null,
    },
  ])
})

t.test("a CHECK_IN's result is kept as the view shows it", async (t) => {
  const [row] = outcomeRows([
    outcome('r3', {
      commandType: 'booking.CHECK_IN',
      accepted: false,
      reasonCode: 'TICKET_ALREADY_USED',
      checkIn: {
        bookingId: 'b1',
        seats: 2,
        checkedInSeats: 2,
        firstScannedAtMs: T0 - 60_000,
        scannedAtMs: T0,
      },
    }),
  ])
  t.strictSame(row?.check_in, {
    bookingId: 'b1',
    seats: 2,
    checkedInSeats: 2,
    firstScannedAt: new Date(T0 - 60_000).toISOString(),
    scannedAt: new Date(T0).toISOString(),
  })
})
