import {
  avroSerde,
  type AvroSerde,
  type BookingCommand,
  type BookingDomainEvent,
  type CrewCommand,
  type CrewStatusChanged,
  type EventCommand,
  type EventDomainEvent,
  type NotificationMessage,
  type PaymentRequest,
  type PaymentStatusChanged,
  type RefundRequest,
  type RequestOutcome,
  type ReviewCommand,
  type ReviewDomainEvent,
  type SchemaRegistry,
} from '../avro/index.ts'
import {
  type BookingState,
  DEVELOPMENT_TICKET_SECRET,
  EventLedgerProcessor,
  LEDGER_CHILDREN,
  LEDGER_STORES,
  LedgerInputTagger,
  REVIEW_CHILDREN,
  REVIEW_STORES,
  ReviewLedgerProcessor,
  type StoredBookingState,
  TicketSigner,
  upgradeBooking,
} from '../processors/index.ts'
import { jsonSerde, Stores, stringSerde, Topology, type Serde } from '../streams/index.ts'
import { DEFAULT_TOPIC_NAMES, type TopicNames } from './topic-names.ts'

const storedBookingJson = jsonSerde<StoredBookingState>()

/** Bookings as JSON; those stored by an earlier version of the ledger are read as the current shape. */
export const bookingStateSerde: Serde<BookingState> = {
  serialize: (topic, booking) => storedBookingJson.serialize(topic, booking),
  deserialize: (topic, data) => upgradeBooking(storedBookingJson.deserialize(topic, data)),
}

/**
 * A hold timer's due time (LEDGER_STORES.holdTimers) as 8 bytes, a float64: a restart reads every timer
 * before it serves (ledger-stores.ts `primeHolds`), and 100,000 of them as JSON took a third of a second.
 * A timer an earlier version stored, as JSON `{ eventId, bookingId, dueMs }` (never 8 bytes long), is read too.
 */
export const holdDueSerde: Serde<number> = {
  serialize: (_topic, dueMs) => {
    const bytes = Buffer.allocUnsafe(8)
    bytes.writeDoubleBE(dueMs)
    return bytes
  },
  deserialize: (_topic, data) =>
    data.length === 8 ? data.readDoubleBE(0) : (JSON.parse(data.toString('utf8')) as { dueMs: number }).dueMs,
}

/** The ledger stores whose values are not JSON, and their serdes. */
const LEDGER_STORE_SERDES: { readonly [store: string]: Serde<unknown> } = {
  [LEDGER_STORES.bookings]: bookingStateSerde as Serde<unknown>,
  [LEDGER_STORES.holdTimers]: holdDueSerde as Serde<unknown>,
}

/**
 * The value serdes of every topic of the booking topology (keys are plain strings), and the topic names
 * they are registered for (subjects follow the TopicNameStrategy, so a serde belongs to its topic).
 */
export interface BookingSerdes {
  readonly topics: TopicNames
  readonly eventCommand: Serde<EventCommand>
  readonly bookingCommand: Serde<BookingCommand>
  readonly paymentStatus: Serde<PaymentStatusChanged>
  readonly paymentRequest: Serde<PaymentRequest>
  readonly crewStatus: Serde<CrewStatusChanged>
  readonly eventEvent: Serde<EventDomainEvent>
  readonly bookingEvent: Serde<BookingDomainEvent>
  readonly outcome: Serde<RequestOutcome>
  readonly notification: Serde<NotificationMessage>
  readonly refundRequest: Serde<RefundRequest>
  readonly crewCommand: Serde<CrewCommand>
  readonly reviewCommand: Serde<ReviewCommand>
  readonly reviewEvent: Serde<ReviewDomainEvent>
}

/**
 * Avro serdes (Confluent wire format) for every topic of `topics`, from the given registry; `init()`
 * registers them all. Use a LocalSchemaRegistry for the embedded mode and tests, the Confluent one on Kafka.
 */
export function createBookingSerdes(
  registry: SchemaRegistry,
  topics: TopicNames = DEFAULT_TOPIC_NAMES,
): BookingSerdes & { init(): Promise<void> } {
  const serde = <T>(schema: string, topic: string): AvroSerde<T> =>
    avroSerde<T>({ registry, schema, topics: [topic] })
  const serdes = {
    eventCommand: serde<EventCommand>('aquastream.event.EventCommand', topics.eventCommands),
    bookingCommand: serde<BookingCommand>('aquastream.booking.BookingCommand', topics.bookingCommands),
    paymentStatus: serde<PaymentStatusChanged>(
      'aquastream.payment.PaymentStatusChanged',
      topics.paymentStatus,
    ),
    paymentRequest: serde<PaymentRequest>('aquastream.payment.PaymentRequest', topics.paymentRequests),
    crewStatus: serde<CrewStatusChanged>('aquastream.crew.CrewStatusChanged', topics.crewStatus),
    eventEvent: serde<EventDomainEvent>('aquastream.event.EventDomainEvent', topics.eventEvents),
    bookingEvent: serde<BookingDomainEvent>('aquastream.booking.BookingDomainEvent', topics.bookingEvents),
    outcome: serde<RequestOutcome>('aquastream.outcome.RequestOutcome', topics.requestOutcomes),
    notification: serde<NotificationMessage>(
      'aquastream.notification.NotificationMessage',
      topics.notifications,
    ),
    refundRequest: serde<RefundRequest>('aquastream.payment.RefundRequest', topics.refundRequests),
    crewCommand: serde<CrewCommand>('aquastream.crew.CrewCommand', topics.crewCommands),
    reviewCommand: serde<ReviewCommand>('aquastream.review.ReviewCommand', topics.reviewCommands),
    reviewEvent: serde<ReviewDomainEvent>('aquastream.review.ReviewDomainEvent', topics.reviewEvents),
  }
  return {
    ...serdes,
    topics,
    async init() {
      await Promise.all(Object.values(serdes).map((s) => s.init()))
    },
  }
}

/** The ledger's processor node; its children are the sinks named in LEDGER_CHILDREN. */
export const LEDGER_NODE = 'event-ledger'

/** The review ledger's processor node: it shares the event ledger's stores (same task, read only). */
export const REVIEW_NODE = 'review-ledger'

/**
 * The event and booking core: the four co-partitioned inputs (keyed by eventId) are tagged and fed to
 * one ledger processor that owns every store, so one task is the single writer of an event's seats.
 *
 *   event-commands ─► tag-event-commands ───┐
 *   booking-commands ─► tag-booking-commands ┤            ┌─► event-events, booking-events,
 *   payment-status ─► tag-payment-status ────┼─► event-ledger ─► outcomes, notifications,
 *   crew-status ─► tag-crew-status ──────────┘   (6 stores)  └─► refund-requests, crew-commands
 *   review-commands ─► review-ledger (reads the ledger's stores, owns 2) ─► review-events, outcomes,
 *                                                                          notifications
 *
 * Store values are JSON (internal state); topic values are Avro through `serdes`. `tickets` signs and reads
 * ticket codes with the service's TICKET_SECRET; without it, the development secret (tests, tools).
 */
export function buildBookingTopology({
  serdes,
  tickets = new TicketSigner(DEVELOPMENT_TICKET_SECRET),
}: {
  serdes: BookingSerdes
  tickets?: TicketSigner
}): Topology {
  const { topics } = serdes
  const sources = [
    ['event-commands', topics.eventCommands, serdes.eventCommand, 'event-command'],
    ['booking-commands', topics.bookingCommands, serdes.bookingCommand, 'booking-command'],
    ['payment-status', topics.paymentStatus, serdes.paymentStatus, 'payment-status'],
    ['crew-status', topics.crewStatus, serdes.crewStatus, 'crew-status'],
  ] as const
  const topology = new Topology()
  for (const [name, topic, valueSerde, kind] of sources) {
    topology
      .addSource(name, topic, { keySerde: stringSerde, valueSerde: valueSerde as Serde<unknown> })
      .addProcessor(`tag-${name}`, () => new LedgerInputTagger(kind), name)
  }
  topology.addProcessor(
    LEDGER_NODE,
    () => new EventLedgerProcessor(tickets),
    ...sources.map(([name]) => `tag-${name}`),
  )
  for (const store of Object.values(LEDGER_STORES))
    topology.addStateStore(
      Stores.keyValueStoreBuilder(store, stringSerde, LEDGER_STORE_SERDES[store] ?? jsonSerde<unknown>()),
      LEDGER_NODE,
    )
  const sinks = {
    'event-events': [topics.eventEvents, serdes.eventEvent],
    'booking-events': [topics.bookingEvents, serdes.bookingEvent],
    outcomes: [topics.requestOutcomes, serdes.outcome],
    notifications: [topics.notifications, serdes.notification],
    'refund-requests': [topics.refundRequests, serdes.refundRequest],
    'crew-commands': [topics.crewCommands, serdes.crewCommand],
  } as const
  topology
    .addSource('review-commands', topics.reviewCommands, {
      keySerde: stringSerde,
      valueSerde: serdes.reviewCommand,
    })
    .addProcessor(REVIEW_NODE, () => new ReviewLedgerProcessor(), 'review-commands')
  topology.connectProcessorAndStateStores(REVIEW_NODE, ...Object.values(LEDGER_STORES))
  for (const store of Object.values(REVIEW_STORES))
    topology.addStateStore(Stores.keyValueStoreBuilder(store, stringSerde, jsonSerde<unknown>()), REVIEW_NODE)
  const reviewSinks = { ...sinks, 'review-events': [topics.reviewEvents, serdes.reviewEvent] } as const
  for (const child of new Set<keyof typeof reviewSinks>([...LEDGER_CHILDREN, ...REVIEW_CHILDREN])) {
    const [topic, valueSerde] = reviewSinks[child]
    const parents = [
      ...((LEDGER_CHILDREN as readonly string[]).includes(child) ? [LEDGER_NODE] : []),
      ...((REVIEW_CHILDREN as readonly string[]).includes(child) ? [REVIEW_NODE] : []),
    ]
    topology.addSink(
      child,
      topic,
      { keySerde: stringSerde, valueSerde: valueSerde as Serde<unknown> },
      ...parents,
    )
  }
  return topology
}
