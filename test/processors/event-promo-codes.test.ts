import t from 'tap'
import type { CreatePromoCode, EventCommand } from '../../avro/index.ts'
import type { EventDecision } from '../../processors/event-decision.ts'
import { addPromoCode, deactivatePromoCode } from '../../processors/event-promo-codes.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import type { EventState, PromoCodeState } from '../../processors/ledger-state.ts'
import type { ReasonCode } from '../../processors/reason-codes.ts'
import { eventCommand } from '../../query-api/commands/command-builders.ts'
import { NOW, promoCodeInput, publishedEvent } from './ledger-fixtures.ts'

const ENVELOPE = {
  requestId: 'r1',
  eventId: 'e1',
  actor: { userId: 'org', role: 'ORGANIZER' as const },
  issuedAtMs: NOW,
}
const CAUSE = { requestId: 'r1', actorUserId: 'org' }

const input = promoCodeInput()
const created: PromoCodeState = { ...input, used: 0, active: true }
const promo = (code: string, active = true): PromoCodeState => ({ ...created, code, active })

const create = (createPromoCode: CreatePromoCode | null): EventCommand =>
  eventCommand(ENVELOPE, 'CREATE_PROMO_CODE', { createPromoCode })
const deactivate = (code: string | null): EventCommand =>
  eventCommand(ENVELOPE, 'DEACTIVATE_PROMO_CODE', {
    deactivatePromoCode: code === null ? null : { code },
  })
const refusal = (reasonCode: ReasonCode, message: string): EventDecision => ({
  ok: false,
  refusal: { reasonCode, message },
})

function acceptedWith(
  event: EventState,
  promoCodes: readonly PromoCodeState[],
  type: 'PROMO_CODE_CREATED' | 'PROMO_CODE_DEACTIVATED',
  code: string,
  message: string,
): EventDecision {
  const next = { ...event, promoCodes, version: event.version + 1 }
  return {
    ok: true,
    event: next,
    outputs: [eventFact(next, type, CAUSE, NOW, code)],
    followUp: null,
    message,
    resourceType: 'PROMO_CODE',
    resourceId: code,
  }
}

t.test('CREATE_PROMO_CODE adds the code and emits PROMO_CODE_CREATED', async (t) => {
  const event = publishedEvent({ promoCodes: [promo('OLD1', false)] })
  const decision = addPromoCode(event, create(input), NOW)
  t.strictSame(
    decision,
    acceptedWith(
      event,
      [promo('OLD1', false), created],
      'PROMO_CODE_CREATED',
      'SALE10',
      'promo code created',
    ),
  )
  if (decision.ok)
    t.match(decision.outputs, [
      {
        to: 'event-events',
        value: { type: 'PROMO_CODE_CREATED', detail: 'SALE10', version: event.version + 1 },
      },
    ])
})

t.test('CREATE_PROMO_CODE refusals: payload, editable event, the code rules', async (t) => {
  const event = publishedEvent()
  t.strictSame(
    addPromoCode(event, create(null), NOW),
    refusal('VALIDATION_FAILED', 'CREATE_PROMO_CODE needs its payload'),
  )
  for (const status of ['CANCELED', 'COMPLETED', 'REVIEWED'] as const)
    t.strictSame(
      addPromoCode(publishedEvent({ status }), create(input), NOW),
      refusal('INVALID_TRANSITION', `event is ${status}`),
    )
  t.strictSame(
    addPromoCode(publishedEvent({ promoCodes: [promo('SALE10')] }), create(input), NOW),
    refusal('PROMO_CODE_EXISTS', 'promo code SALE10 exists on this event'),
  )
  t.strictSame(
    addPromoCode(event, create({ ...input, code: 'x' }), NOW),
    refusal('VALIDATION_FAILED', 'code must match ^[A-Z0-9]{3,20}$'),
  )
})

t.test('DEACTIVATE_PROMO_CODE deactivates that code only, in any status', async (t) => {
  for (const status of ['PUBLISHED', 'CANCELED', 'COMPLETED'] as const) {
    const event = publishedEvent({ status, promoCodes: [promo('AAA'), promo('BBB'), promo('CCC')] })
    const decision = deactivatePromoCode(event, deactivate('BBB'), NOW)
    t.strictSame(
      decision,
      acceptedWith(
        event,
        [promo('AAA'), promo('BBB', false), promo('CCC')],
        'PROMO_CODE_DEACTIVATED',
        'BBB',
        'promo code deactivated',
      ),
      status,
    )
    if (decision.ok)
      t.match(decision.outputs, [{ value: { type: 'PROMO_CODE_DEACTIVATED', detail: 'BBB', status } }])
  }
})

t.test('DEACTIVATE_PROMO_CODE refusals', async (t) => {
  const event = publishedEvent({ promoCodes: [promo('AAA'), promo('OFF', false)] })
  t.strictSame(
    deactivatePromoCode(event, deactivate(null), NOW),
    refusal('VALIDATION_FAILED', 'DEACTIVATE_PROMO_CODE needs its payload'),
  )
  t.strictSame(
    deactivatePromoCode(event, deactivate('NONE'), NOW),
    refusal('PROMO_NOT_FOUND', 'no promo code NONE'),
  )
  t.strictSame(
    deactivatePromoCode(event, deactivate('OFF'), NOW),
    refusal('INVALID_TRANSITION', 'promo code OFF is already inactive'),
  )
})
