// One catalog scenario driven through the real booking topology: the same log feeds every read-model test.
import type { CreateEvent, RequestOutcome } from '../../../avro/index.ts'
import type { BookingSerdes } from '../../../topologies/booking-topology.ts'
import {
  ADMIN,
  bookingCommand,
  bookRequest,
  createPayload,
  DAY_MS,
  eventCommand,
  HOUR_MS,
  T0,
  user,
} from '../../topologies/booking-harness.ts'
import { PipelineScenario } from './support.ts'

export const ORG_1 = 'org-1'
export const ORG_2 = 'org-2'

function ok(outcome: RequestOutcome): RequestOutcome {
  if (!outcome.accepted) throw new Error(`scenario step refused: ${outcome.commandType} ${outcome.message}`)
  return outcome
}

export function createEvent(
  scn: PipelineScenario,
  eventId: string,
  create: Partial<CreateEvent>,
  options: { organizerId?: string; priceMinor?: number; publish?: boolean } = {},
): void {
  const actor = { userId: options.organizerId ?? ORG_1, role: 'ORGANIZER' as const }
  ok(scn.event(eventCommand(eventId, 'CREATE', { create: createPayload(create) }, actor)))
  ok(
    scn.event(
      eventCommand(
        eventId,
        'ADD_PRICE_OPTION',
        {
          priceOption: {
            priceOptionId: 'std',
            name: 'Standard',
            priceMinor: options.priceMinor ?? 500_000,
            allotment: create.capacity ?? 10,
            validFromMs: null,
            validUntilMs: null,
          },
        },
        actor,
      ),
    ),
  )
  if (options.publish !== false)
    ok(scn.event(eventCommand(eventId, 'PUBLISH', { publish: { publishAtMs: null } }, actor)))
}

/**
 * Six events (Russian and English texts, three categories, free and paid, a draft of each organizer, a
 * canceled one), bookings held, paid, expired and changed, a waiting list with an offer, a crew
 * assignment and a rescheduling; ev-raft has promo codes RAFT10 (used by b-raft-u3's hold and by
 * b-raft-u1's, which expires) and KATUN500 (deactivated).
 */
export function catalogScenario(serdes: BookingSerdes): { scn: PipelineScenario; refused: RequestOutcome } {
  const scn = new PipelineScenario(serdes)
  createEvent(scn, 'ev-raft', {
    title: 'Сплав на байдарках по Катуни',
    description: 'Двухдневный сплав по горной реке с инструкторами и ночёвкой в палатках.',
    place: 'Алтай, причал у моста через Катунь',
    categories: ['rafting'],
    capacity: 10,
    startsAtMs: T0 + 30 * DAY_MS,
    endsAtMs: T0 + 31 * DAY_MS,
  })
  createEvent(
    scn,
    'ev-sup',
    {
      title: 'SUP tours at sunset',
      description: 'Paddle boarding on a calm lake while the sun goes down; boards included.',
      place: 'Karelia, Lake Onega pier 3',
      categories: ['sup'],
      capacity: 2,
      startsAtMs: T0 + 10 * DAY_MS,
      endsAtMs: T0 + 10 * DAY_MS + 3 * HOUR_MS,
    },
    { priceMinor: 300_000 },
  )
  createEvent(
    scn,
    'ev-hike',
    {
      title: 'Hiking in the Caucasus mountains',
      description: 'A free guided hike for beginners: trails, views and a picnic.',
      place: 'Caucasus, Dombay village square',
      categories: ['hiking'],
      capacity: 5,
      startsAtMs: T0 + 20 * DAY_MS,
      endsAtMs: T0 + 20 * DAY_MS + 8 * HOUR_MS,
    },
    { priceMinor: 0, organizerId: ORG_2 },
  )
  createEvent(
    scn,
    'ev-draft-1',
    {
      title: 'Черновик: сплав по Волге',
      description: 'Пока не опубликовано, но уже про сплав.',
      categories: ['rafting'],
    },
    { publish: false },
  )
  createEvent(
    scn,
    'ev-draft-2',
    {
      title: 'Draft rafting of org two',
      description: 'Not published yet, rafting draft.',
      categories: ['rafting'],
    },
    { publish: false, organizerId: ORG_2 },
  )
  createEvent(scn, 'ev-canceled', {
    title: 'Парусная регата на Ладоге',
    description: 'Регата отменена из-за погоды, все брони возвращены.',
    place: 'Ладога, яхт-клуб',
    categories: ['sailing'],
    capacity: 8,
  })
  ok(scn.event(eventCommand('ev-canceled', 'CANCEL', { cancel: { reason: 'storm warning' } })))

  // ev-raft: promo codes (one deactivated), a pending hold, a paid booking, a hold that expires.
  for (const [code, kind, value, usageLimit] of [
    ['RAFT10', 'PERCENTAGE', 10, 5],
    ['KATUN500', 'FIXED_AMOUNT', 50_000, 1],
  ] as const)
    ok(
      scn.event(
        eventCommand('ev-raft', 'CREATE_PROMO_CODE', {
          createPromoCode: {
            code,
            kind,
            value,
            usageLimit,
            validFromMs: null,
            validUntilMs: T0 + 20 * DAY_MS,
            maxUsesPerUser: null,
            cancelReturnsUse: false,
          },
        }),
      ),
    )
  ok(
    scn.event(
      eventCommand('ev-raft', 'DEACTIVATE_PROMO_CODE', { deactivatePromoCode: { code: 'KATUN500' } }),
    ),
  )
  ok(scn.booking(bookRequest('ev-raft', 'u1', 'b-raft-u1', 2, 'std', 'RAFT10')))
  ok(scn.booking(bookRequest('ev-raft', 'u2', 'b-raft-u2', 3)))
  scn.payment('ev-raft', 'b-raft-u2', 'COMPLETED', 1_500_000)
  // Crew: requested and assigned.
  ok(
    scn.event(
      eventCommand('ev-raft', 'REQUEST_CREW', {
        crewRequest: { crewRequestId: 'crew-1', role: 'INSTRUCTOR' },
      }),
    ),
  )
  scn.crew('ev-raft', 'crew-1', 'ASSIGNED')
  scn.advance(HOUR_MS)
  ok(scn.booking(bookRequest('ev-raft', 'u3', 'b-raft-u3', 1, 'std', 'RAFT10')))
  scn.advance(90 * 60 * 1000) // u1's hold (2 h) expires; u3's (1 h old) does not
  // A refused booking: more seats than the event has left.
  const refused = scn.booking(bookRequest('ev-raft', 'u9', 'b-raft-u9', 20))
  if (refused.accepted) throw new Error('expected a refusal')

  // ev-sup (2 seats): sold out, a waiting list, seats freed, an offer.
  ok(scn.booking(bookRequest('ev-sup', 'u4', 'b-sup-u4', 2)))
  ok(
    scn.booking(
      bookingCommand(
        'ev-sup',
        'JOIN_WAITING_LIST',
        { joinWaitingList: { userId: 'u5', seats: 1 } },
        user('u5'),
      ),
    ),
  )
  ok(
    scn.booking(
      bookingCommand(
        'ev-sup',
        'JOIN_WAITING_LIST',
        { joinWaitingList: { userId: 'u6', seats: 2 } },
        user('u6'),
      ),
    ),
  )
  ok(
    scn.booking(
      bookingCommand(
        'ev-sup',
        'CHANGE_SEATS',
        { changeSeats: { bookingId: 'b-sup-u4', seats: 1 } },
        user('u4'),
      ),
    ),
  )

  // ev-hike: free, confirmed at once; then rescheduled by an admin.
  ok(scn.booking(bookRequest('ev-hike', 'u1', 'b-hike-u1', 1)))
  ok(
    scn.event(
      eventCommand(
        'ev-hike',
        'RESCHEDULE',
        {
          reschedule: {
            startsAtMs: T0 + 21 * DAY_MS,
            endsAtMs: T0 + 21 * DAY_MS + 8 * HOUR_MS,
            place: 'Caucasus, Teberda bus station',
          },
        },
        ADMIN,
      ),
    ),
  )
  return { scn, refused }
}
