/**
 * JSON schemas (TypeBox) of the API: request bodies are strict (`additionalProperties: false`, no type
 * coercion), with the limits of MISSION.md; responses are documented for the OpenAPI document and
 * serialized by them. Money is in kopecks (minor units), as everywhere in the service; instants are ISO
 * 8601 strings.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { BookingStatus } from '../read-models/catalog/index.ts'

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' })
export const Instant = Type.String({ format: 'date-time', maxLength: 40 })
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false })

export const ErrorResponse = Type.Object(
  {
    code: Type.String({ description: 'Stable error code (query-api/README.md, docs/errors.md)' }),
    message: Type.String(),
    details: Type.Object({}, { additionalProperties: true }),
    traceId: Type.String(),
  },
  { $id: 'ErrorResponse', description: 'Every 4xx and 5xx answer' },
)

export const Accepted = Type.Object(
  {
    requestId: Type.String(),
    resourceId: Type.String(),
    status: Type.Union([Type.Literal('PENDING'), Type.Literal('ACCEPTED')]),
    links: Type.Object({ outcome: Type.String() }),
  },
  {
    description:
      'The command was accepted for processing (PENDING), or decided and accepted (ACCEPTED) while the ' +
      'resource does not show the decision yet; the outcome is at links.outcome, the resource at ' +
      'Content-Location',
  },
)

export const Outcome = Type.Object({
  requestId: Type.String(),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('ACCEPTED'), Type.Literal('REJECTED')]),
  eventId: Type.String(),
  commandType: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.String(),
  reasonCode: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
  originalRequestId: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description:
        'Set when this request repeated an earlier request of the same Idempotency-Key: the request that was decided',
    }),
  ),
  checkIn: Type.Optional(
    Type.Union(
      [
        Type.Object({
          bookingId: Type.String(),
          seats: Type.Integer(),
          checkedInSeats: Type.Integer(),
          firstScannedAt: Type.Union([Type.String(), Type.Null()]),
          scannedAt: Type.String(),
        }),
        Type.Null(),
      ],
      { description: "A CHECK_IN's result: the booking's check-in counts after the decision" },
    ),
  ),
})

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

export const PriceOptionView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  priceMinor: Type.Integer(),
  allotment: Type.Integer(),
  seatsTaken: Type.Integer(),
  seatsAvailable: Type.Integer(),
  validFrom: Nullable(Type.String()),
  validUntil: Nullable(Type.String()),
})

const summaryFields = {
  id: Type.String(),
  version: Type.Integer(),
  status: Type.String(),
  organizerId: Type.String(),
  title: Type.String(),
  area: Type.String(),
  startsAt: Type.String(),
  endsAt: Type.String(),
  categories: Type.Array(Type.String()),
  priceFrom: Nullable(Type.Integer()),
  currency: Type.String(),
  capacity: Type.Integer(),
  seatsAvailable: Type.Integer(),
  rating: Nullable(Type.Number()),
  reviewCount: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}

export const EventSummary = Type.Object(summaryFields)
export const EventDetails = Type.Object({
  ...summaryFields,
  description: Type.String(),
  place: Nullable(Type.String({ description: 'null for guests (reduced details)' })),
  seatsTaken: Type.Integer(),
  priceOptions: Type.Array(PriceOptionView),
  crew: Nullable(Type.Array(Type.Object({ crewRequestId: Type.String(), status: Type.String() }))),
  publishAt: Nullable(Type.String()),
  cancelReason: Nullable(Type.String()),
})

export const BookingView = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  eventOrganizerId: Nullable(Type.String()),
  eventTitle: Nullable(Type.String()),
  eventStartsAt: Nullable(Type.String()),
  userId: Type.String(),
  status: Type.String(),
  priceOptionId: Nullable(Type.String()),
  seats: Type.Integer({
    description:
      "seats the booking holds, a pending top-up's extra seats included; confirmed seats = seats - topUpSeats (0 when null)",
  }),
  amountMinor: Type.Integer(),
  paidMinor: Type.Integer(),
  refundedMinor: Type.Integer(),
  promoCode: Nullable(Type.String()),
  ticketCode: Nullable(Type.String()),
  reasonCode: Nullable(Type.String()),
  holdExpiresAt: Nullable(Type.String()),
  topUpSeats: Nullable(
    Type.Integer({ description: 'extra seats of a pending seat top-up (included in seats); null when none' }),
  ),
  reconfirmedAt: Nullable(
    Type.String({
      description: 'when the user last re-confirmed after a schedule change (ISO 8601); null when never',
    }),
  ),
  checkedInSeats: Type.Integer({ description: 'seats of the booking checked in at the entrance so far' }),
  firstCheckedInAt: Nullable(
    Type.String({ description: 'scan time of the first accepted check-in (ISO 8601); null before any' }),
  ),
  lastEvent: Type.String(),
  version: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const WaitlistEntry = Type.Object({
  eventId: Type.String(),
  eventTitle: Nullable(Type.String()),
  eventStartsAt: Nullable(Type.String()),
  userId: Type.String(),
  seats: Type.Integer(),
  status: Type.String(),
  position: Type.Integer(),
  joinedAt: Type.String(),
  offerExpiresAt: Nullable(Type.String()),
})

export const CategoryView = Type.Object({
  id: Type.String(),
  parentId: Nullable(Type.String()),
  name: Type.String(),
  slug: Type.String(),
  level: Type.Integer(),
  position: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), page: Type.Integer(), size: Type.Integer(), total: Type.Integer() })

/**
 * A page of catalog search: a `PageOf` plus the bounded total's flag and the keyset cursor (both added
 * fields, so clients reading `items`/`page`/`size`/`total` keep working).
 */
export const SearchPageOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    page: Type.Integer({ description: 'the page asked for (0 when `cursor` was given)' }),
    size: Type.Integer(),
    total: Type.Integer({
      description:
        'matching events: exact up to 1,000; when `totalIsEstimate` is true, more than 1,000 match',
    }),
    totalIsEstimate: Type.Boolean({
      description:
        'true when the count stopped at its bound: `total` (1,000) is a lower bound, not the count',
    }),
    nextCursor: Nullable(
      Type.String({
        description:
          'pass as `cursor` (same filters and sort) for the next page; null when no more events match',
      }),
    ),
  })

export const PageQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
)

const BOOKING_STATUS = '(PENDING_PAYMENT|CONFIRMED|CANCELED|EXPIRED|REJECTED)'

/**
 * A booking list's page and statuses: `status=CONFIRMED,PENDING_PAYMENT`; by default the bookings that
 * held seats (everything but REJECTED, the refused requests).
 */
export const BookingListQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    status: Type.Optional(
      Type.String({
        maxLength: 100,
        pattern: `^${BOOKING_STATUS}(,${BOOKING_STATUS})*$`,
        description: 'Comma-separated booking statuses; default all but REJECTED',
      }),
    ),
  },
  { additionalProperties: false },
)

/** The read model's request for a booking list query. */
export function bookingListRequest(query: { page: number; size: number; status?: string }): {
  page: number
  size: number
  status?: BookingStatus[]
} {
  return query.status === undefined
    ? { page: query.page, size: query.size }
    : { page: query.page, size: query.size, status: query.status.split(',') as BookingStatus[] }
}

/** Headers every command route reads. */
export const CommandHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' }),
  ),
  prefer: Type.Optional(Type.String({ maxLength: 200 })),
})

// ---- request bodies -------------------------------------------------------------------------------

const strict = { additionalProperties: false } as const
const Title = Type.String({ minLength: 3, maxLength: 255 })
const Description = Type.Union([Type.Literal(''), Type.String({ minLength: 10, maxLength: 5000 })])
const Place = Type.String({ minLength: 1, maxLength: 500 })
const Categories = Type.Array(Id, { maxItems: 5, uniqueItems: true })
const Capacity = Type.Integer({ minimum: 1, maximum: 10_000 })
const HoldMinutes = Type.Integer({ minimum: 1, maximum: 10_080 })
const DeadlineHours = Type.Integer({ minimum: 0, maximum: 8_760 })
const Seats = Type.Integer({ minimum: 1, maximum: 20 })
const PriceMinor = Type.Integer({
  minimum: 0,
  maximum: 100_000_000,
  description: 'kopecks (0-1,000,000.00 RUB)',
})

export const CreateEventBody = Type.Object(
  {
    id: Type.Optional(Id),
    organizerId: Type.Optional(Id),
    title: Title,
    description: Type.Optional(Description),
    startsAt: Instant,
    endsAt: Instant,
    place: Place,
    categories: Type.Optional(Categories),
    capacity: Capacity,
    holdMinutes: Type.Optional(HoldMinutes),
    bookingDeadlineHours: Type.Optional(DeadlineHours),
    locale: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[A-Z]{2})?$' })),
  },
  strict,
)
export type CreateEventBody = Static<typeof CreateEventBody>

export const UpdateEventBody = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    place: Type.Optional(Place),
    startsAt: Type.Optional(Instant),
    endsAt: Type.Optional(Instant),
    categories: Type.Optional(Categories),
    capacity: Type.Optional(Capacity),
    holdMinutes: Type.Optional(HoldMinutes),
    bookingDeadlineHours: Type.Optional(DeadlineHours),
  },
  { ...strict, minProperties: 1 },
)
export type UpdateEventBody = Static<typeof UpdateEventBody>

export const PublishBody = Type.Object(
  { publishAt: Type.Optional(Instant) },
  { ...strict, 'x-optional': true },
)
export const RescheduleBody = Type.Object({ startsAt: Instant, endsAt: Instant, place: Place }, strict)
export const CancelEventBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 1000 })) },
  { ...strict, 'x-optional': true },
)

export const PriceOptionBody = Type.Object(
  {
    id: Type.Optional(Id),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    priceMinor: PriceMinor,
    allotment: Capacity,
    validFrom: Type.Optional(Instant),
    validUntil: Type.Optional(Instant),
  },
  strict,
)
export type PriceOptionBody = Static<typeof PriceOptionBody>

export const PromoBody = Type.Object(
  {
    code: Type.String({ pattern: '^[A-Z0-9]{3,20}$' }),
    kind: Type.Union([Type.Literal('PERCENTAGE'), Type.Literal('FIXED_AMOUNT')]),
    value: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'percent (1-100) or kopecks' }),
    usageLimit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    validFrom: Type.Optional(Instant),
    validUntil: Instant,
    maxUsesPerUser: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: 'bookings of one user that may use the code (at most usageLimit); left out: no limit',
      }),
    ),
    cancelReturnsUse: Type.Optional(
      Type.Boolean({
        description:
          'whether a confirmed booking canceled later gives its use back (to the total and its user); default false',
      }),
    ),
  },
  strict,
)
export type PromoBody = Static<typeof PromoBody>

export const RefundPolicyBody = Type.Object(
  {
    tiers: Type.Array(
      Type.Object(
        {
          minHoursBeforeStart: Type.Integer({
            minimum: 0,
            maximum: 8784,
            description: 'hours before the start',
          }),
          percent: Type.Integer({ minimum: 0, maximum: 100 }),
        },
        strict,
      ),
      { minItems: 1, maxItems: 10, description: 'the first tier whose hours are reached applies' },
    ),
  },
  strict,
)
export type RefundPolicyBody = Static<typeof RefundPolicyBody>

export const CrewRequestBody = Type.Object(
  {
    id: Type.Optional(Id),
    role: Type.Union([
      Type.Literal('INSTRUCTOR'),
      Type.Literal('ASSISTANT'),
      Type.Literal('SAFETY_OFFICER'),
      Type.Literal('PHOTOGRAPHER'),
    ]),
  },
  strict,
)
export type CrewRequestBody = Static<typeof CrewRequestBody>

export const CreateBookingBody = Type.Object(
  {
    eventId: Id,
    priceOptionId: Id,
    seats: Seats,
    promoCode: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{3,20}$' })),
    userId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'admins only: book for a user' }),
    ),
  },
  strict,
)
export type CreateBookingBody = Static<typeof CreateBookingBody>

export const ChangeSeatsBody = Type.Object({ seats: Seats }, strict)
export const CancelBookingBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
    forceMajeure: Type.Optional(
      Type.Boolean({ description: 'admins only: full refund whatever the policy' }),
    ),
  },
  { ...strict, 'x-optional': true },
)
export const WaitlistBody = Type.Object({ seats: Type.Optional(Seats) }, { ...strict, 'x-optional': true })

export const CategoryBody = Type.Object(
  {
    id: Type.Optional(Id),
    parentId: Type.Union([Id, Type.Null()]),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    slug: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' })),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  strict,
)
export const CategoryPatchBody = Type.Object(
  {
    parentId: Type.Optional(Type.Union([Id, Type.Null()])),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    slug: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' })),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { ...strict, minProperties: 1 },
)

/** The answer of `POST /bookings/{id}/pay`. */
export const PaymentStarted = Type.Object({
  paymentId: Type.String(),
  bookingId: Type.String(),
  eventId: Type.String(),
  amountMinor: Type.Integer(),
  currency: Type.String(),
  status: Type.String({ description: 'REQUESTED (202), INITIATED (201), or already COMPLETED / FAILED' }),
  confirmationUrl: Nullable(
    Type.String({ description: 'where the payer confirms the payment; null until INITIATED' }),
  ),
  links: Type.Object({ payments: Type.String() }),
})

export const PaymentView = Type.Object({
  id: Type.String(),
  bookingId: Type.String(),
  eventId: Type.String(),
  status: Type.String({ description: 'REQUESTED, INITIATED, COMPLETED or FAILED' }),
  amountMinor: Type.Integer({ description: 'asked for, minor units of currency' }),
  currency: Type.String(),
  paidMinor: Nullable(Type.Integer({ description: 'what the provider reported paid (COMPLETED)' })),
  paidCurrency: Nullable(Type.String()),
  confirmationUrl: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const RefundView = Type.Object({
  id: Type.String(),
  bookingId: Type.String(),
  eventId: Type.String(),
  paymentId: Nullable(Type.String()),
  status: Type.String({
    description:
      'REQUESTED (an attempt is with the payment service), COMPLETED, or FAILED (the latest attempt failed; retried with backoff up to the last attempt)',
  }),
  amountMinor: Type.Integer(),
  currency: Type.String(),
  reason: Type.String({ description: 'USER_CANCELED, EVENT_CANCELED, OVERPAID, WRONG_CURRENCY, …' }),
  attempts: Type.Integer(),
  failureReason: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

/** A booking with its refunds (`GET /bookings/{id}`). */
export const BookingWithRefunds = Type.Composite([
  BookingView,
  Type.Object({
    refunds: Type.Array(
      Type.Object({
        id: Type.String(),
        status: Type.String({ description: 'REQUESTED, COMPLETED or FAILED (retried with backoff)' }),
        amountMinor: Type.Integer(),
        currency: Type.String(),
        reason: Type.String(),
        attempts: Type.Integer(),
        updatedAt: Type.String(),
      }),
    ),
  }),
])

export const WebhookBody = Type.Object(
  {
    paymentId: Type.String({ minLength: 1, maxLength: 128 }),
    bookingId: Id,
    eventId: Id,
    status: Type.Union([
      Type.Literal('COMPLETED'),
      Type.Literal('FAILED'),
      Type.Literal('REFUNDED'),
      Type.Literal('PARTIAL_REFUND'),
    ]),
    amountMinor: Type.Integer({ minimum: 0, maximum: 2_000_000_000 }),
    occurredAtMs: Type.Integer({ minimum: 0 }),
    currency: Type.Optional(
      Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code of amountMinor; absent: RUB' }),
    ),
    refundId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'set: the status is of this refund (REFUNDED or PARTIAL_REFUND: done; FAILED: failed)',
      }),
    ),
    refundAttempt: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    failureReason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  strict,
)

/**
 * Free text in a query string: anything but control characters (Postgres refuses a NUL in text, which
 * would surface as a 500; no search means one).
 */
export const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001f\\u007f]*$'

export const SearchQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: NO_CONTROL_CHARACTERS,
        description:
          'full text over title, description and place (for guests: the area, not the meeting point)',
      }),
    ),
    category: Type.Optional(Id),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    priceMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    priceMax: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    place: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: NO_CONTROL_CHARACTERS,
        description: 'substring of the place (for guests: of the area)',
      }),
    ),
    hasSeats: Type.Optional(Type.Boolean()),
    minRating: Type.Optional(Type.Number({ minimum: 1, maximum: 5, description: 'rated at least this' })),
    organizerId: Type.Optional(Type.String({ maxLength: 128, pattern: NO_CONTROL_CHARACTERS })),
    status: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Z]+(,[A-Z]+)*$' })),
    sort: Type.Optional(
      Type.String({
        pattern: '^(relevance|startsAt|price|title|createdAt|rating)(,(asc|desc))?$',
        maxLength: 30,
        description:
          '`field,dir`; default `relevance` with `q` (title matches first, then description and place; then soonest), else `startsAt,asc`',
      }),
    ),
    cursor: Type.Optional(
      Type.String({
        maxLength: 1000,
        pattern: '^[A-Za-z0-9_-]+$',
        description:
          "a page's `nextCursor`: the page after it, for the same filters and sort (`page` is then not used)",
      }),
    ),
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
)
export type SearchQuery = Static<typeof SearchQuery>

// ---- promo codes ----------------------------------------------------------------------------------

/** A promo code as organizers create it and buyers type it: upper case, as MISSION.md has it. */
const PromoCode = Type.String({ pattern: '^[A-Z0-9]{3,20}$' })
const PromoKindSchema = Type.Union([Type.Literal('PERCENTAGE'), Type.Literal('FIXED_AMOUNT')])
const PromoUnusableSchema = Type.Union(
  [
    Type.Literal('UNKNOWN'),
    Type.Literal('INACTIVE'),
    Type.Literal('NOT_YET_VALID'),
    Type.Literal('EXPIRED'),
    Type.Literal('EXHAUSTED'),
    Type.Literal('USER_LIMIT'),
  ],
  { description: 'Why the code cannot be used now (finer than reasonCode)' },
)

export const PromoCodeView = Type.Object({
  code: Type.String(),
  kind: PromoKindSchema,
  value: Type.Integer({ description: 'percent (1-100) or kopecks off the booking' }),
  usageLimit: Type.Integer(),
  uses: Type.Integer({
    description:
      'bookings holding the code or having used it (a pending hold counts, a confirmed booking keeps its use when canceled), as projected',
  }),
  usesLeft: Type.Integer(),
  validFrom: Nullable(Type.String({ description: 'null: from creation' })),
  validUntil: Type.String(),
  active: Type.Boolean({ description: 'false once deactivated' }),
  maxUsesPerUser: Nullable(
    Type.Integer({ description: 'bookings of one user that may use it; null: no limit' }),
  ),
  cancelReturnsUse: Type.Boolean({ description: 'a canceled confirmed booking gives its use back' }),
  usableNow: Type.Boolean(),
  unusableReason: Nullable(PromoUnusableSchema),
})

export const PromoValidateBody = Type.Object(
  { eventId: Id, code: PromoCode, priceOptionId: Id, seats: Seats },
  strict,
)
export type PromoValidateBody = Static<typeof PromoValidateBody>

export const PromoValidation = Type.Object({
  valid: Type.Boolean(),
  reasonCode: Nullable(
    Type.Union(
      [Type.Literal('PROMO_INVALID'), Type.Literal('PROMO_EXHAUSTED'), Type.Literal('PROMO_USER_LIMIT')],
      {
        description: 'what a booking with this code would be refused with (docs/errors.md)',
      },
    ),
  ),
  reason: Nullable(PromoUnusableSchema),
  eventId: Type.String(),
  code: Type.String(),
  priceOptionId: Type.String(),
  seats: Type.Integer(),
  currency: Type.Literal('RUB'),
  grossMinor: Type.Integer({ description: 'price × seats, kopecks' }),
  discountMinor: Type.Integer({ description: '0 when the code is not valid' }),
  amountMinor: Type.Integer({ description: 'what the booking would cost, kopecks' }),
  kind: Nullable(PromoKindSchema),
  value: Nullable(Type.Integer()),
  validUntil: Nullable(Type.String()),
  maxUsesPerUser: Nullable(
    Type.Integer({ description: "the code's per-user limit; null: none (or not valid)" }),
  ),
  userUses: Type.Integer({
    description: "the caller's bookings on the event holding or having used the code, as projected",
  }),
})
