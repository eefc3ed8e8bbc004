import t from 'tap'
import {
  applyPromo,
  checkPromo,
  holdsPromoUse,
  PROMO_REFUSALS,
  promoCodeSnapshots,
  promoUnusable,
  type PromoTerms,
} from '../../processors/promo-codes.ts'
import type { BookingState, EventState, PromoCodeState } from '../../processors/ledger-state.ts'
import { REASON_CODES } from '../../processors/reason-codes.ts'

const NOW = Date.UTC(2026, 0, 1)
const terms = (overrides: Partial<PromoTerms> = {}): PromoTerms => ({
  active: true,
  validFromMs: NOW - 1000,
  validUntilMs: NOW + 1000,
  used: 0,
  usageLimit: 2,
  ...overrides,
})

t.test('promoUnusable: unknown, inactive, window (inclusive), uses, in that order', async (t) => {
  t.equal(promoUnusable(undefined, NOW), 'UNKNOWN')
  t.equal(promoUnusable(terms(), NOW), undefined)
  t.equal(promoUnusable(terms({ validFromMs: null }), NOW), undefined, 'no validFrom: usable from creation')
  t.equal(promoUnusable(terms({ active: false }), NOW), 'INACTIVE')
  t.equal(promoUnusable(terms({ validFromMs: NOW + 1 }), NOW), 'NOT_YET_VALID')
  t.equal(promoUnusable(terms({ validFromMs: NOW }), NOW), undefined, 'validFrom is inclusive')
  t.equal(promoUnusable(terms({ validUntilMs: NOW - 1 }), NOW), 'EXPIRED')
  t.equal(promoUnusable(terms({ validUntilMs: NOW }), NOW), undefined, 'validUntil is inclusive')
  t.equal(promoUnusable(terms({ used: 2 }), NOW), 'EXHAUSTED')
  t.equal(promoUnusable(terms({ used: 1 }), NOW), undefined)
  t.equal(
    promoUnusable(terms({ active: false, used: 2, validUntilMs: NOW - 1 }), NOW),
    'INACTIVE',
    'a deactivated code says so first',
  )
  t.equal(promoUnusable(terms({ used: 5, validUntilMs: NOW - 1 }), NOW), 'EXPIRED', 'the window before uses')
})

t.test('each unusable reason maps to a catalogued reason code', async (t) => {
  for (const [why, code] of Object.entries(PROMO_REFUSALS)) t.ok(code in REASON_CODES, `${why} → ${code}`)
  t.equal(PROMO_REFUSALS.EXHAUSTED, 'PROMO_EXHAUSTED')
  t.equal(PROMO_REFUSALS.EXPIRED, 'PROMO_INVALID')
})

t.test('checkPromo keeps the ledger refusals: PROMO_INVALID and PROMO_EXHAUSTED', async (t) => {
  const promo: PromoCodeState = {
    code: 'SALE',
    kind: 'PERCENTAGE',
    value: 10,
    usageLimit: 1,
    used: 0,
    validFromMs: null,
    validUntilMs: NOW + 1000,
    maxUsesPerUser: null,
    cancelReturnsUse: false,
    active: true,
  }
  const event = { promoCodes: [promo] } as unknown as EventState
  t.equal(checkPromo(event, 'SALE', [], NOW), promo)
  t.match(checkPromo(event, 'OTHER', [], NOW), { reasonCode: 'PROMO_INVALID', message: /not valid$/ })
  t.match(checkPromo(event, 'SALE', [], NOW + 1001), {
    reasonCode: 'PROMO_INVALID',
    message: /not valid now/,
  })
  const used = { promoCodes: [{ ...promo, used: 1 }] } as unknown as EventState
  t.match(checkPromo(used, 'SALE', [], NOW), { reasonCode: 'PROMO_EXHAUSTED', message: /used up/ })
})

t.test('checkPromo: PROMO_USER_LIMIT counts the bookings that hold a use', async (t) => {
  const promo: PromoCodeState = {
    code: 'ONE',
    kind: 'PERCENTAGE',
    value: 10,
    usageLimit: 10,
    used: 1,
    validFromMs: null,
    validUntilMs: NOW + 1000,
    maxUsesPerUser: 1,
    cancelReturnsUse: false,
    active: true,
  }
  const event = { promoCodes: [promo] } as unknown as EventState
  const booking = (status: string, ticketCode: string | null, promoCode = 'ONE') =>
    ({ status, ticketCode, promoCode }) as unknown as BookingState
  t.equal(checkPromo(event, 'ONE', [booking('EXPIRED', null)], NOW), promo, 'an ended hold holds none')
  t.equal(checkPromo(event, 'ONE', [booking('CONFIRMED', 'T', 'OTHER')], NOW), promo, 'another code')
  for (const held of [booking('PENDING_PAYMENT', null), booking('CONFIRMED', 'T'), booking('CANCELED', 'T')])
    t.match(checkPromo(event, 'ONE', [held], NOW), { reasonCode: 'PROMO_USER_LIMIT' }, held.status)
  const returning = { promoCodes: [{ ...promo, cancelReturnsUse: true }] } as unknown as EventState
  t.match(checkPromo(returning, 'ONE', [booking('CANCELED', 'T')], NOW), { code: 'ONE' })
  t.equal(holdsPromoUse(booking('CANCELED', 'T'), {}), true, 'stored before v3: the use is kept')
  t.equal(promoUnusable({ ...promo, userUses: 5, maxUsesPerUser: null }, NOW), undefined, 'no limit')
})

t.test('applyPromo: percent rounds the discount down, a fixed amount never goes below zero', async (t) => {
  t.equal(applyPromo(100_001, null), 100_001)
  t.equal(applyPromo(100_001, { kind: 'PERCENTAGE', value: 10 }), 90_001)
  t.equal(applyPromo(100_000, { kind: 'PERCENTAGE', value: 100 }), 0)
  t.equal(applyPromo(100_000, { kind: 'FIXED_AMOUNT', value: 30_000 }), 70_000)
  t.equal(applyPromo(10_000, { kind: 'FIXED_AMOUNT', value: 30_000 }), 0)
})

t.test('promoCodeSnapshots: creation order, every field, deactivated codes included', async (t) => {
  const event = {
    promoCodes: [
      {
        code: 'A10',
        kind: 'PERCENTAGE',
        value: 10,
        usageLimit: 5,
        used: 3,
        validFromMs: null,
        validUntilMs: NOW,
        active: false,
      },
      {
        code: 'B500',
        kind: 'FIXED_AMOUNT',
        value: 50_000,
        usageLimit: 1,
        used: 0,
        validFromMs: NOW - 1,
        validUntilMs: NOW + 1,
        active: true,
      },
    ],
  } as unknown as EventState
  t.same(
    promoCodeSnapshots(event),
    event.promoCodes.map((p) => ({ ...p, maxUsesPerUser: null, cancelReturnsUse: false })),
    'codes stored before the per-user terms get their defaults',
  )
  const limited = { promoCodes: [{ ...event.promoCodes[0]!, maxUsesPerUser: 2, cancelReturnsUse: true }] }
  t.match(promoCodeSnapshots(limited as unknown as EventState), [
    { maxUsesPerUser: 2, cancelReturnsUse: true },
  ])
  t.same(promoCodeSnapshots({ promoCodes: [] } as unknown as EventState), [])
})
