// A booking topology on the TestDriver with Avro serdes on a LocalSchemaRegistry, plus builders for
// commands. Used by the booking topology tests and the property test.
import { PAYMENT_STATUS_V1_FIELDS } from '../../processors/index.ts'
import type {
  Actor,
  BookingCommand,
  BookingDomainEvent,
  CreateEvent,
  CrewCommand,
  EventCommand,
  EventDomainEvent,
  NotificationMessage,
  PaymentStatus,
  PaymentStatusChanged,
  RefundRequest,
  RequestOutcome,
  UpdateEvent,
} from '../../avro/index.ts'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import {
  bookingCommand as buildBookingCommand,
  eventCommand as buildEventCommand,
} from '../../query-api/commands/command-builders.ts'
import { HOUR_MS, DAY_MS } from '../../processors/ledger-state.ts'
import { stringSerde, TestDriver, type TestDriverConfig, type TestOutputTopic } from '../../streams/index.ts'
import {
  buildBookingTopology,
  createBookingSerdes,
  type BookingSerdes,
} from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES as topics } from '../../topologies/index.ts'

export const T0 = Date.UTC(2026, 0, 1)
export const ORGANIZER: Actor = { userId: 'org-1', role: 'ORGANIZER' }
export const ADMIN: Actor = { userId: 'admin-1', role: 'ADMIN' }
export const user = (userId: string): Actor => ({ userId, role: 'USER' })

let serdesPromise: Promise<BookingSerdes> | undefined
/** One set of initialized serdes per test process (schema registration is the slow part). */
export function bookingSerdes(): Promise<BookingSerdes> {
  serdesPromise ??= (async () => {
    const serdes = createBookingSerdes(new LocalSchemaRegistry())
    await serdes.init()
    return serdes
  })()
  return serdesPromise
}

let seq = 0
export const nextRequestId = (): string => `req-${++seq}`

export function eventCommand(
  eventId: string,
  type: EventCommand['type'],
  payload: Partial<EventCommand> = {},
  actor: Actor = ORGANIZER,
  requestId = nextRequestId(),
): EventCommand {
  return buildEventCommand({ requestId, eventId, actor, issuedAtMs: T0 }, type, payload)
}

export function createPayload(overrides: Partial<CreateEvent> = {}): CreateEvent {
  return {
    organizerId: null,
    title: 'Rafting on the Katun',
    description: 'Two days of rafting with instructors.',
    startsAtMs: T0 + 30 * DAY_MS,
    endsAtMs: T0 + 31 * DAY_MS,
    place: 'Altai, Katun river',
    categories: ['rafting'],
    capacity: 10,
    holdMinutes: null,
    bookingDeadlineHours: null,
    locale: 'ru-RU',
    ...overrides,
  }
}

export function bookingCommand(
  eventId: string,
  type: BookingCommand['type'],
  payload: Partial<BookingCommand>,
  actor: Actor,
  requestId = nextRequestId(),
): BookingCommand {
  return buildBookingCommand({ requestId, eventId, actor, issuedAtMs: T0 }, type, payload)
}

export function bookRequest(
  eventId: string,
  userId: string,
  bookingId: string,
  seats = 1,
  priceOptionId = 'std',
  promoCode: string | null = null,
  requestId = nextRequestId(),
): BookingCommand {
  return bookingCommand(
    eventId,
    'REQUEST',
    { request: { bookingId, userId, priceOptionId, seats, promoCode } },
    user(userId),
    requestId,
  )
}

/** The driver with typed input and output topics. */
export class BookingHarness {
  readonly driver: TestDriver
  readonly outcomes: TestOutputTopic<string, RequestOutcome>
  readonly eventEvents: TestOutputTopic<string, EventDomainEvent>
  readonly bookingEvents: TestOutputTopic<string, BookingDomainEvent>
  readonly notifications: TestOutputTopic<string, NotificationMessage>
  readonly refunds: TestOutputTopic<string, RefundRequest>
  readonly crewCommands: TestOutputTopic<string, CrewCommand>
  readonly #serdes: BookingSerdes

  constructor(serdes: BookingSerdes, config: TestDriverConfig = {}) {
    this.#serdes = serdes
    this.driver = new TestDriver(buildBookingTopology({ serdes }), { initialWallClockTimeMs: T0, ...config })
    this.outcomes = this.driver.createOutputTopic(
      topics.requestOutcomes,
      stringSerde,
      serdes.outcome,
    ) as TestOutputTopic<string, RequestOutcome>
    this.eventEvents = this.driver.createOutputTopic(
      topics.eventEvents,
      stringSerde,
      serdes.eventEvent,
    ) as TestOutputTopic<string, EventDomainEvent>
    this.bookingEvents = this.driver.createOutputTopic(
      topics.bookingEvents,
      stringSerde,
      serdes.bookingEvent,
    ) as TestOutputTopic<string, BookingDomainEvent>
    this.notifications = this.driver.createOutputTopic(
      topics.notifications,
      stringSerde,
      serdes.notification,
    ) as TestOutputTopic<string, NotificationMessage>
    this.refunds = this.driver.createOutputTopic(
      topics.refundRequests,
      stringSerde,
      serdes.refundRequest,
    ) as TestOutputTopic<string, RefundRequest>
    this.crewCommands = this.driver.createOutputTopic(
      topics.crewCommands,
      stringSerde,
      serdes.crewCommand,
    ) as TestOutputTopic<string, CrewCommand>
  }

  /** Pipes an event command and returns its outcome. */
  event(command: EventCommand): RequestOutcome {
    this.driver
      .createInputTopic(topics.eventCommands, stringSerde, this.#serdes.eventCommand)
      .pipeInput(command.eventId, command)
    return this.#lastOutcome(command.requestId)
  }

  /** Pipes a booking command and returns its outcome. */
  booking(command: BookingCommand): RequestOutcome {
    this.driver
      .createInputTopic(topics.bookingCommands, stringSerde, this.#serdes.bookingCommand)
      .pipeInput(command.eventId, command)
    return this.#lastOutcome(command.requestId)
  }

  payment(
    eventId: string,
    bookingId: string,
    status: PaymentStatus,
    amountMinor: number,
    paymentId = `pay-${bookingId}`,
    extra: Partial<PaymentStatusChanged> = {},
  ): void {
    this.driver
      .createInputTopic(topics.paymentStatus, stringSerde, this.#serdes.paymentStatus)
      .pipeInput(eventId, {
        paymentId,
        bookingId,
        eventId,
        status,
        amountMinor,
        occurredAtMs: this.driver.clock.now(),
        ...PAYMENT_STATUS_V1_FIELDS,
        ...extra,
      })
  }

  crew(
    eventId: string,
    crewRequestId: string,
    status: 'ASSIGNED' | 'UNAVAILABLE',
    memberId: string | null = null,
  ): void {
    this.driver.createInputTopic(topics.crewStatus, stringSerde, this.#serdes.crewStatus).pipeInput(eventId, {
      eventId,
      crewRequestId,
      status,
      memberId,
      reason: status === 'UNAVAILABLE' ? 'busy' : null,
      occurredAtMs: this.driver.clock.now(),
    })
  }

  /** Every outcome read so far, by request ID. */
  readonly seenOutcomes: RequestOutcome[] = []

  #lastOutcome(requestId: string): RequestOutcome {
    const read = this.outcomes.readKeyValuesToList().map(([, v]) => v as RequestOutcome)
    this.seenOutcomes.push(...read)
    const mine = read.filter((o) => o.requestId === requestId)
    if (mine.length !== 1) throw new Error(`expected one outcome for ${requestId}, got ${mine.length}`)
    return mine[0]!
  }

  /** A PUBLISHED event with one price option `std` (price, allotment = capacity by default). */
  publishedEvent(
    eventId: string,
    options: {
      capacity?: number
      priceMinor?: number
      allotment?: number
      create?: Partial<CreateEvent>
    } = {},
  ): void {
    const capacity = options.capacity ?? 10
    const outcomes = [
      this.event(eventCommand(eventId, 'CREATE', { create: createPayload({ capacity, ...options.create }) })),
      this.event(
        eventCommand(eventId, 'ADD_PRICE_OPTION', {
          priceOption: {
            priceOptionId: 'std',
            name: 'Standard',
            priceMinor: options.priceMinor ?? 500_000,
            allotment: options.allotment ?? capacity,
            validFromMs: null,
            validUntilMs: null,
          },
        }),
      ),
      this.event(eventCommand(eventId, 'PUBLISH', { publish: { publishAtMs: null } })),
    ]
    for (const outcome of outcomes)
      if (!outcome.accepted) throw new Error(`setup refused: ${outcome.message}`)
  }

  drain(): void {
    for (const topic of [
      this.eventEvents,
      this.bookingEvents,
      this.notifications,
      this.refunds,
      this.crewCommands,
    ])
      topic.readKeyValuesToList()
  }

  close(): void {
    this.driver.close()
  }
}

export { HOUR_MS, DAY_MS }

/** An event UPDATE that changes nothing: spread it and set the fields a test changes. */
export const NO_UPDATE: UpdateEvent = {
  title: null,
  description: null,
  place: null,
  startsAtMs: null,
  endsAtMs: null,
  categories: null,
  capacity: null,
  holdMinutes: null,
  bookingDeadlineHours: null,
}
