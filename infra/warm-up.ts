/**
 * A restart's warm-up, run before the service reports ready. Right after a start the first bookings were
 * slow (bench/RESULTS.md, "Restart after SIGKILL": a second 0 p95 of 0.3-2 s against ~20 ms steady):
 * the ledger's and the projection's code had never run, and neither had the read model's statements,
 * whose first runs load the database's catalog caches and, on PGlite, compile its code paths.
 *
 * So one synthetic booking goes the whole way first, leaving nothing behind: its event is created,
 * priced and published and the booking requested on the booking topology over the TestDriver (an
 * in-memory log of its own, never the service's), what the topology emits is applied to the read model
 * the way the projection applies it but in a transaction that is rolled back (`ReadModel.rehearse`), and
 * the booking and its outcome are then looked up as the API looks them up (absent: the rehearsal kept
 * nothing). No record reaches the service's log or Kafka, no row stays, and no client ever sees its IDs.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Actor } from '../avro/index.ts'
import { DAY_MS, TicketSigner } from '../processors/index.ts'
import { bookingCommand, eventCommand } from '../query-api/index.ts'
import { catalogTopics, type ReadModel } from '../read-models/catalog/index.ts'
import { bufferSerde, failOnError, stringSerde, TestDriver, type ProjectionBatch } from '../streams/index.ts'
import { buildBookingTopology, type BookingSerdes } from '../topologies/index.ts'

/** What the warm-up rehearsed: the records the topology emitted for the read model. */
export interface WarmUpReport {
  readonly records: number
  readonly topics: readonly string[]
}

/** Runs one synthetic booking through the topology and a rolled-back projection; see the module comment. */
export async function warmUp(options: {
  readonly serdes: BookingSerdes
  readonly readModel: ReadModel
}): Promise<WarmUpReport> {
  const { serdes, readModel } = options
  const { topics } = serdes
  // A key of its own: tickets signed here never leave this function.
  const tickets = new TicketSigner(randomBytes(32).toString('hex'))
  const driver = new TestDriver(buildBookingTopology({ serdes, tickets }), {
    initialWallClockTimeMs: Date.now(),
    exceptionHandlers: { deserialization: failOnError, processing: failOnError, production: failOnError },
  })
  try {
    const eventId = `warm-up-${randomUUID()}`
    const organizer: Actor = { userId: `warm-up-organizer-${randomUUID()}`, role: 'ORGANIZER' }
    const user: Actor = { userId: `warm-up-user-${randomUUID()}`, role: 'USER' }
    const envelope = (actor: Actor) => ({ requestId: randomUUID(), eventId, actor })
    const eventCommands = driver.createInputTopic(topics.eventCommands, stringSerde, serdes.eventCommand)
    const startsAtMs = Date.now() + 30 * DAY_MS
    eventCommands.pipeInput(
      eventId,
      eventCommand(envelope(organizer), 'CREATE', {
        create: {
          organizerId: null,
          title: 'Warm-up',
          description: 'An event that exists only inside the service start.',
          startsAtMs,
          endsAtMs: startsAtMs + DAY_MS,
          place: 'Warm-up',
          categories: [],
          capacity: 10,
          holdMinutes: null,
          bookingDeadlineHours: null,
          locale: 'ru-RU',
        },
      }),
    )
    eventCommands.pipeInput(
      eventId,
      eventCommand(envelope(organizer), 'ADD_PRICE_OPTION', {
        priceOption: {
          priceOptionId: 'warm-up',
          name: 'Warm-up',
          priceMinor: 100_000,
          allotment: 10,
          validFromMs: null,
          validUntilMs: null,
        },
      }),
    )
    eventCommands.pipeInput(
      eventId,
      eventCommand(envelope(organizer), 'PUBLISH', { publish: { publishAtMs: null } }),
    )
    const booking = { requestId: randomUUID(), bookingId: randomUUID() }
    driver.createInputTopic(topics.bookingCommands, stringSerde, serdes.bookingCommand).pipeInput(
      eventId,
      bookingCommand({ requestId: booking.requestId, eventId, actor: user }, 'REQUEST', {
        request: {
          bookingId: booking.bookingId,
          userId: user.userId,
          priceOptionId: 'warm-up',
          seats: 1,
          promoCode: null,
        },
      }),
    )
    const batches: ProjectionBatch[] = []
    for (const topic of catalogTopics(topics)) {
      const records = driver.createOutputTopic(topic, bufferSerde, bufferSerde).readRecordsToList()
      if (records.length === 0) continue
      batches.push({
        topic,
        partition: 0,
        records: records.map((r) => ({
          topic,
          partition: r.partition,
          offset: r.offset,
          key: r.key,
          value: r.value,
          timestamp: r.timestamp,
          headers: r.headers,
        })),
        nextOffset: records.at(-1)!.offset + 1,
      })
    }
    await readModel.rehearse(serdes, batches)
    await readModel.getBooking(booking.bookingId)
    await readModel.getOutcome(booking.requestId)
    return {
      records: batches.reduce((sum, b) => sum + b.records.length, 0),
      topics: batches.map((b) => b.topic),
    }
  } finally {
    driver.close()
  }
}
