// The booking topology on the TestDriver with the review ledger's topics typed, plus builders for review
// commands and a completed event with participants. Used by the review tests and the review property test.
import type { Actor, RequestOutcome, ReviewCommand, ReviewDomainEvent } from '../../avro/index.ts'
import { stringSerde, type TestDriverConfig, type TestOutputTopic } from '../../streams/index.ts'
import type { BookingSerdes } from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES as topics } from '../../topologies/index.ts'
import { BookingHarness, bookRequest, DAY_MS, nextRequestId, T0, user } from './booking-harness.ts'

/** The default event of createPayload: it ends here (T0 + 31 days). */
export const EVENT_END = T0 + 31 * DAY_MS

export const ADMIN_2FA: Actor = { userId: 'admin-1', role: 'ADMIN' }

const EMPTY_REVIEW_PAYLOADS = { submit: null, edit: null, moderate: null, reply: null }

export function reviewCommand(
  eventId: string,
  reviewId: string,
  type: ReviewCommand['type'],
  actor: Actor,
  payload: Partial<ReviewCommand> = {},
  requestId = nextRequestId(),
): ReviewCommand {
  return {
    requestId,
    eventId,
    actor,
    issuedAtMs: T0,
    idempotencyKey: null,
    type,
    reviewId,
    ...EMPTY_REVIEW_PAYLOADS,
    ...payload,
  }
}

export const submit = (
  eventId: string,
  reviewId: string,
  userId: string,
  rating = 5,
  text = 'Great trip, thanks!',
) => reviewCommand(eventId, reviewId, 'SUBMIT', user(userId), { submit: { rating, text, authorName: null } })

export const moderate = (
  eventId: string,
  reviewId: string,
  status: 'ACTIVE' | 'REJECTED',
  reason: string | null = null,
  actor: Actor = ADMIN_2FA,
  secondFactor = true,
) => reviewCommand(eventId, reviewId, 'MODERATE', actor, { moderate: { status, reason, secondFactor } })

export class ReviewHarness extends BookingHarness {
  readonly reviewEvents: TestOutputTopic<string, ReviewDomainEvent>
  readonly #serdes: BookingSerdes

  constructor(serdes: BookingSerdes, config: TestDriverConfig = {}) {
    super(serdes, config)
    this.#serdes = serdes
    this.reviewEvents = this.driver.createOutputTopic(
      topics.reviewEvents,
      stringSerde,
      serdes.reviewEvent,
    ) as TestOutputTopic<string, ReviewDomainEvent>
  }

  /** Pipes a review command and returns its one outcome. */
  review(command: ReviewCommand): RequestOutcome {
    this.driver
      .createInputTopic(topics.reviewCommands, stringSerde, this.#serdes.reviewCommand)
      .pipeInput(command.eventId, command)
    const read = this.outcomes.readKeyValuesToList().map(([, v]) => v as RequestOutcome)
    this.seenOutcomes.push(...read)
    const mine = read.filter((o) => o.requestId === command.requestId)
    if (mine.length !== 1)
      throw new Error(`expected one outcome for ${command.requestId}, got ${mine.length}`)
    return mine[0]!
  }

  /** The review facts emitted since the last call. */
  facts(): ReviewDomainEvent[] {
    return this.reviewEvents.readKeyValuesToList().map(([, fact]) => fact!)
  }

  /** Books and pays one seat of `std` for each user (CONFIRMED bookings `b-<user>`). */
  confirmedBookings(eventId: string, userIds: readonly string[]): void {
    for (const userId of userIds) {
      const outcome = this.booking(bookRequest(eventId, userId, `b-${userId}`))
      if (!outcome.accepted) throw new Error(`setup refused: ${outcome.message}`)
      this.payment(eventId, `b-${userId}`, 'COMPLETED', 500_000)
    }
  }

  /** Moves the clock to `atMs` (the timers run on the way, as they would every second). */
  advanceTo(atMs: number): void {
    const now = this.driver.clock.now()
    if (atMs > now) this.driver.advanceWallClockTime(atMs - now)
  }

  /** A published event with CONFIRMED bookings of `userIds`, then the clock moved past its end: COMPLETED. */
  completedEvent(eventId: string, userIds: readonly string[]): void {
    this.publishedEvent(eventId)
    this.confirmedBookings(eventId, userIds)
    this.advanceTo(EVENT_END + 1000)
    this.drain()
  }
}
