import type {
  BookingCommand,
  BookingDomainEvent,
  CrewCommand,
  CrewStatusChanged,
  EventCommand,
  EventDomainEvent,
  NotificationMessage,
  PaymentStatusChanged,
  RefundRequest,
  RequestOutcome,
  SchemaRegistry,
} from '../avro/index.ts'
import { avroSerde, type AvroSerde } from '../avro/index.ts'
import { EventLedgerProcessor } from '../processors/event-ledger.ts'
import { LedgerInputTagger } from '../processors/ledger-input.ts'
import { LEDGER_CHILDREN } from '../processors/ledger-outputs.ts'
import { upgradeBooking, type BookingState, type StoredBookingState } from '../processors/ledger-state.ts'
import { LEDGER_STORES } from '../processors/ledger-stores.ts'
import { jsonSerde, Stores, stringSerde, Topology, type Serde } from '../streams/index.ts'
import {
  BOOKING_COMMANDS_TOPIC,
  BOOKING_EVENTS_TOPIC,
  CREW_COMMANDS_TOPIC,
  CREW_STATUS_TOPIC,
  EVENT_COMMANDS_TOPIC,
  EVENT_EVENTS_TOPIC,
  NOTIFICATIONS_TOPIC,
  PAYMENT_STATUS_TOPIC,
  REFUND_REQUESTS_TOPIC,
  REQUEST_OUTCOMES_TOPIC,
} from './topic-names.ts'

const storedBookingJson = jsonSerde<StoredBookingState>()

/** Bookings as JSON; those stored by an earlier version of the ledger are read as the current shape. */
export const bookingStateSerde: Serde<BookingState> = {
  serialize: (topic, booking) => storedBookingJson.serialize(topic, booking),
  deserialize: (topic, data) => upgradeBooking(storedBookingJson.deserialize(topic, data)),
}

/** The value serdes of every topic of the booking topology (keys are plain strings). */
export interface BookingSerdes {
  readonly eventCommand: Serde<EventCommand>
  readonly bookingCommand: Serde<BookingCommand>
  readonly paymentStatus: Serde<PaymentStatusChanged>
  readonly crewStatus: Serde<CrewStatusChanged>
  readonly eventEvent: Serde<EventDomainEvent>
  readonly bookingEvent: Serde<BookingDomainEvent>
  readonly outcome: Serde<RequestOutcome>
  readonly notification: Serde<NotificationMessage>
  readonly refundRequest: Serde<RefundRequest>
  readonly crewCommand: Serde<CrewCommand>
}

/**
 * Avro serdes (Confluent wire format) for every topic, from the given registry; `init()` registers them
 * all. Use a LocalSchemaRegistry for the embedded mode and tests, the Confluent one on Kafka.
 */
export function createBookingSerdes(registry: SchemaRegistry): BookingSerdes & { init(): Promise<void> } {
  const serde = <T>(schema: string, topic: string): AvroSerde<T> =>
    avroSerde<T>({ registry, schema, topics: [topic] })
  const serdes = {
    eventCommand: serde<EventCommand>('aquastream.event.EventCommand', EVENT_COMMANDS_TOPIC),
    bookingCommand: serde<BookingCommand>('aquastream.booking.BookingCommand', BOOKING_COMMANDS_TOPIC),
    paymentStatus: serde<PaymentStatusChanged>(
      'aquastream.payment.PaymentStatusChanged',
      PAYMENT_STATUS_TOPIC,
    ),
    crewStatus: serde<CrewStatusChanged>('aquastream.crew.CrewStatusChanged', CREW_STATUS_TOPIC),
    eventEvent: serde<EventDomainEvent>('aquastream.event.EventDomainEvent', EVENT_EVENTS_TOPIC),
    bookingEvent: serde<BookingDomainEvent>('aquastream.booking.BookingDomainEvent', BOOKING_EVENTS_TOPIC),
    outcome: serde<RequestOutcome>('aquastream.outcome.RequestOutcome', REQUEST_OUTCOMES_TOPIC),
    notification: serde<NotificationMessage>(
      'aquastream.notification.NotificationMessage',
      NOTIFICATIONS_TOPIC,
    ),
    refundRequest: serde<RefundRequest>('aquastream.payment.RefundRequest', REFUND_REQUESTS_TOPIC),
    crewCommand: serde<CrewCommand>('aquastream.crew.CrewCommand', CREW_COMMANDS_TOPIC),
  }
  return {
    ...serdes,
    async init() {
      await Promise.all(Object.values(serdes).map((s) => s.init()))
    },
  }
}

/** The ledger's processor node; its children are the sinks named in LEDGER_CHILDREN. */
export const LEDGER_NODE = 'event-ledger'

/**
 * The event and booking core: the four co-partitioned inputs (keyed by eventId) are tagged and fed to
 * one ledger processor that owns every store, so one task is the single writer of an event's seats.
 *
 *   event-commands ─► tag-event-commands ───┐
 *   booking-commands ─► tag-booking-commands ┤            ┌─► event-events, booking-events,
 *   payment-status ─► tag-payment-status ────┼─► event-ledger ─► outcomes, notifications,
 *   crew-status ─► tag-crew-status ──────────┘   (6 stores)  └─► refund-requests, crew-commands
 *
 * Store values are JSON (internal state); topic values are Avro through `serdes`.
 */
export function buildBookingTopology({ serdes }: { serdes: BookingSerdes }): Topology {
  const sources = [
    ['event-commands', EVENT_COMMANDS_TOPIC, serdes.eventCommand, 'event-command'],
    ['booking-commands', BOOKING_COMMANDS_TOPIC, serdes.bookingCommand, 'booking-command'],
    ['payment-status', PAYMENT_STATUS_TOPIC, serdes.paymentStatus, 'payment-status'],
    ['crew-status', CREW_STATUS_TOPIC, serdes.crewStatus, 'crew-status'],
  ] as const
  const topology = new Topology()
  for (const [name, topic, valueSerde, kind] of sources) {
    topology
      .addSource(name, topic, { keySerde: stringSerde, valueSerde: valueSerde as Serde<unknown> })
      .addProcessor(`tag-${name}`, () => new LedgerInputTagger(kind), name)
  }
  topology.addProcessor(
    LEDGER_NODE,
    () => new EventLedgerProcessor(),
    ...sources.map(([name]) => `tag-${name}`),
  )
  for (const store of Object.values(LEDGER_STORES))
    topology.addStateStore(
      Stores.keyValueStoreBuilder(
        store,
        stringSerde,
        store === LEDGER_STORES.bookings ? bookingStateSerde : jsonSerde<unknown>(),
      ),
      LEDGER_NODE,
    )
  const sinks = {
    'event-events': [EVENT_EVENTS_TOPIC, serdes.eventEvent],
    'booking-events': [BOOKING_EVENTS_TOPIC, serdes.bookingEvent],
    outcomes: [REQUEST_OUTCOMES_TOPIC, serdes.outcome],
    notifications: [NOTIFICATIONS_TOPIC, serdes.notification],
    'refund-requests': [REFUND_REQUESTS_TOPIC, serdes.refundRequest],
    'crew-commands': [CREW_COMMANDS_TOPIC, serdes.crewCommand],
  } as const
  for (const child of LEDGER_CHILDREN) {
    const [topic, valueSerde] = sinks[child]
    topology.addSink(
      child,
      topic,
      { keySerde: stringSerde, valueSerde: valueSerde as Serde<unknown> },
      LEDGER_NODE,
    )
  }
  return topology
}
