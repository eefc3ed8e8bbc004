import t from 'tap'
import type { CreatePromoCode } from '../../avro/index.ts'
import {
  DAY_MS,
  MAX_ACTIVE_PROMO_CODES,
  type BookingState,
  type EventState,
  type PromoCodeState,
} from '../../processors/ledger-state.ts'
import { checkPromo, createPromoCode, holdsPromoUse } from '../../processors/promo-codes.ts'
import { draftEvent, NOW, promoCodeInput } from './ledger-fixtures.ts'

const input = promoCodeInput
const promo = (code: string, active = true): PromoCodeState => ({
  code,
  kind: 'FIXED_AMOUNT',
  value: 100,
  usageLimit: 1,
  used: 0,
  validFromMs: null,
  validUntilMs: NOW + DAY_MS,
  active,
  maxUsesPerUser: null,
  cancelReturnsUse: false,
})
const withCodes = (promoCodes: readonly PromoCodeState[]): EventState => ({ ...draftEvent(), promoCodes })
const event = withCodes([])
const invalid = (message: string) => ({ reasonCode: 'VALIDATION_FAILED', message })
/** Whether `input` makes a code (the refusal shows in the assertion message otherwise). */
const creates = (overrides: Partial<CreatePromoCode>, on: EventState = event) =>
  'code' in createPromoCode(on, input(overrides), NOW)

t.test('a valid code becomes an active state with no uses', async (t) => {
  t.strictSame(createPromoCode(event, input(), NOW), {
    code: 'SALE10',
    kind: 'PERCENTAGE',
    value: 10,
    usageLimit: 5,
    used: 0,
    validFromMs: null,
    validUntilMs: NOW + DAY_MS,
    active: true,
    maxUsesPerUser: null,
    cancelReturnsUse: false,
  })
  t.strictSame(
    createPromoCode(
      event,
      input({
        kind: 'FIXED_AMOUNT',
        value: 700,
        validFromMs: NOW,
        maxUsesPerUser: 2,
        cancelReturnsUse: true,
      }),
      NOW,
    ),
    {
      code: 'SALE10',
      kind: 'FIXED_AMOUNT',
      value: 700,
      usageLimit: 5,
      used: 0,
      validFromMs: NOW,
      validUntilMs: NOW + DAY_MS,
      active: true,
      maxUsesPerUser: 2,
      cancelReturnsUse: true,
    },
  )
  const before3: Record<string, unknown> = { ...input() }
  delete before3.maxUsesPerUser
  delete before3.cancelReturnsUse
  t.match(createPromoCode(event, before3 as unknown as CreatePromoCode, NOW), {
    maxUsesPerUser: null,
    cancelReturnsUse: false,
  })
})

t.test('the code: 3 to 20 of A-Z and 0-9, the whole of it', async (t) => {
  const bad = invalid('code must match ^[A-Z0-9]{3,20}$')
  for (const code of ['AB', 'A'.repeat(21), 'abcDEF', 'ABCdef', 'AB-CD', ' ABC', 'ABC '])
    t.strictSame(createPromoCode(event, input({ code }), NOW), bad, JSON.stringify(code))
  for (const code of ['ABC', 'Z'.repeat(20), '2026']) t.equal(creates({ code }), true, code)
})

t.test('the code is unique on the event, deactivated ones included', async (t) => {
  for (const active of [true, false])
    t.strictSame(createPromoCode(withCodes([promo('OTHER'), promo('SALE10', active)]), input(), NOW), {
      reasonCode: 'PROMO_CODE_EXISTS',
      message: 'promo code SALE10 exists on this event',
    })
  t.equal(creates({}, withCodes([promo('OTHER')])), true)
})

t.test('at most MAX_ACTIVE_PROMO_CODES active codes; deactivated ones do not count', async (t) => {
  const codes = (n: number, active = true) =>
    Array.from({ length: n }, (_, i) => promo(`C${String(i).padStart(3, '0')}${active ? 'A' : 'I'}`, active))
  t.strictSame(createPromoCode(withCodes(codes(MAX_ACTIVE_PROMO_CODES)), input(), NOW), {
    reasonCode: 'LIMIT_EXCEEDED',
    message: `at most ${MAX_ACTIVE_PROMO_CODES} active promo codes per event`,
  })
  t.equal(creates({}, withCodes(codes(MAX_ACTIVE_PROMO_CODES - 1))), true, 'one below the limit')
  t.equal(
    creates({}, withCodes([...codes(MAX_ACTIVE_PROMO_CODES - 1), ...codes(3, false)])),
    true,
    'deactivated codes beyond the limit',
  )
})

t.test('a PERCENTAGE promo is an integer 1 to 100', async (t) => {
  const bad = invalid('a PERCENTAGE promo is 1-100')
  for (const value of [0, 101, 10.5, -5])
    t.strictSame(createPromoCode(event, input({ value }), NOW), bad, String(value))
  for (const value of [1, 100]) t.equal(creates({ value }), true, String(value))
})

t.test('a FIXED_AMOUNT promo is an integer of at least 1', async (t) => {
  const bad = invalid('a FIXED_AMOUNT promo is at least 1 kopeck')
  for (const value of [0, -1, 1.5])
    t.strictSame(createPromoCode(event, input({ kind: 'FIXED_AMOUNT', value }), NOW), bad, String(value))
  for (const value of [1, 101, 1_000_000])
    t.equal(creates({ kind: 'FIXED_AMOUNT', value }), true, String(value))
})

t.test('usageLimit is an integer of at least 1', async (t) => {
  const bad = invalid('usageLimit must be >= 1')
  for (const usageLimit of [0, -1, 1.5])
    t.strictSame(createPromoCode(event, input({ usageLimit }), NOW), bad, String(usageLimit))
  t.equal(creates({ usageLimit: 1 }), true)
})

t.test('validUntil is after now and at most 366 days ahead', async (t) => {
  const bad = invalid('validUntil must be in the future and at most one year ahead')
  for (const validUntilMs of [NOW - 1, NOW, NOW + 366 * DAY_MS + 1])
    t.strictSame(createPromoCode(event, input({ validUntilMs }), NOW), bad, String(validUntilMs - NOW))
  for (const validUntilMs of [NOW + 1, NOW + 366 * DAY_MS])
    t.equal(creates({ validUntilMs }), true, String(validUntilMs - NOW))
})

t.test('validFrom, when set, is before validUntil', async (t) => {
  const bad = invalid('validFrom must be before validUntil')
  const until = NOW + DAY_MS
  for (const validFromMs of [until, until + 1])
    t.strictSame(createPromoCode(event, input({ validFromMs }), NOW), bad, String(validFromMs - until))
  t.equal(creates({ validFromMs: until - 1 }), true)
})

t.test('maxUsesPerUser, when set, is an integer 1 to usageLimit', async (t) => {
  const bad = invalid('maxUsesPerUser must be 1 to usageLimit')
  for (const maxUsesPerUser of [0, 6, 1.5])
    t.strictSame(createPromoCode(event, input({ maxUsesPerUser }), NOW), bad, String(maxUsesPerUser))
  for (const maxUsesPerUser of [1, 5]) t.equal(creates({ maxUsesPerUser }), true, String(maxUsesPerUser))
})

t.test('holdsPromoUse: holding seats holds a use, ticket or not', async (t) => {
  const booking = (status: BookingState['status'], ticketCode: string | null) => ({ status, ticketCode })
  for (const status of ['PENDING_PAYMENT', 'CONFIRMED'] as const) {
    t.equal(holdsPromoUse(booking(status, null), { cancelReturnsUse: true }), true, status)
    t.equal(holdsPromoUse(booking(status, 'T'), { cancelReturnsUse: true }), true, status)
  }
  for (const status of ['EXPIRED', 'CANCELED'] as const)
    t.equal(holdsPromoUse(booking(status, null), {}), false, `${status} without a ticket`)
  t.equal(holdsPromoUse(booking('CANCELED', 'T'), { cancelReturnsUse: true }), false, 'given back')
  t.equal(holdsPromoUse(booking('CANCELED', 'T'), { cancelReturnsUse: false }), true, 'kept')
  for (const status of ['EXPIRED'] as const)
    t.equal(
      holdsPromoUse(booking(status, 'T'), { cancelReturnsUse: true }),
      true,
      `${status} with a ticket: only a cancel gives it back`,
    )
})

t.test('checkPromo says why, in the exact words a client reads', async (t) => {
  const base: PromoCodeState = { ...promo('CODE1'), usageLimit: 3, maxUsesPerUser: 1 }
  const on = (p: Partial<PromoCodeState>) => withCodes([{ ...base, ...p }])
  const held = [{ status: 'CONFIRMED', ticketCode: 'T', promoCode: 'CODE1' } as unknown as BookingState]
  const cases: readonly [EventState, readonly BookingState[], string, string][] = [
    [on({}), [], 'CODE2', 'PROMO_INVALID:promo code CODE2 is not valid'],
    [on({ active: false }), [], 'CODE1', 'PROMO_INVALID:promo code CODE1 is not valid'],
    [on({ validFromMs: NOW + 1 }), [], 'CODE1', 'PROMO_INVALID:promo code CODE1 is not valid now'],
    [on({ validUntilMs: NOW - 1 }), [], 'CODE1', 'PROMO_INVALID:promo code CODE1 is not valid now'],
    [on({ used: 3 }), [], 'CODE1', 'PROMO_EXHAUSTED:promo code CODE1 is used up'],
    [on({}), held, 'CODE1', 'PROMO_USER_LIMIT:promo code CODE1 was used as often as one user may'],
  ]
  for (const [state, bookings, code, expected] of cases) {
    const result = checkPromo(state, code, bookings, NOW)
    t.equal('reasonCode' in result ? `${result.reasonCode}:${result.message}` : 'usable', expected, expected)
  }
  t.strictSame(checkPromo(on({}), 'CODE1', [], NOW), { ...base })
})
