import type { RequestOutcome, ReviewCommand, ReviewDomainEvent } from '../avro/index.ts'
import { Record, type Processor, type ProcessorContext } from '../streams/index.ts'
import { causeOf, type LedgerOutput } from './ledger-outputs.ts'
import { LedgerStores } from './ledger-stores.ts'
import { acceptedOutcome, refusedOutcome, repeatedOutcome, type CommandIdentity } from './request-outcomes.ts'
import { decideReviewCommand, reviewFact } from './review-decision.ts'
import { eventRating } from './review-state.ts'
import { ReviewStores } from './review-stores.ts'

/** What the review ledger emits: review facts, and the ledger's outcomes and notifications. */
export type ReviewOutput =
  | { readonly to: 'review-events'; readonly value: ReviewDomainEvent }
  | Extract<LedgerOutput, { to: 'outcomes' | 'notifications' }>

/** The child nodes the review ledger forwards to (sinks in the topology). */
export const REVIEW_CHILDREN = [
  'review-events',
  'outcomes',
  'notifications',
] as const satisfies readonly ReviewOutput['to'][]

/**
 * Decides review commands, keyed by event ID, in the event's task: it reads the event ledger's stores (the
 * event, its bookings, the kept outcomes and Idempotency-Keys) and owns the review stores. It never writes
 * an event or a booking: the event ledger stays their single writer, and the event's passage to REVIEWED
 * (30 days after its end) is the ledger's timer, which closes the review window. Each request ID (and each
 * actor's Idempotency-Key) is decided once, like the ledger's commands.
 */
export class ReviewLedgerProcessor implements Processor<string, ReviewCommand, string, unknown> {
  #context!: ProcessorContext<string, unknown>
  #ledger!: LedgerStores
  #reviews!: ReviewStores

  init(context: ProcessorContext<string, unknown>): void {
    this.#context = context
    this.#ledger = new LedgerStores(context)
    this.#reviews = new ReviewStores(context)
  }

  process(record: Record<string, ReviewCommand>): void {
    const command = record.value
    if (command === null || command === undefined) return // a tombstone carries no command
    const nowMs = this.#context.currentSystemTimeMs()
    const identity: CommandIdentity = {
      requestId: command.requestId,
      eventId: command.eventId,
      commandType: `review.${command.type}`,
      actorUserId: command.actor.userId,
      idempotencyKey: command.idempotencyKey,
    }
    const kept = this.#ledger.outcome(identity.requestId) ?? this.#repeatOfKey(identity)
    if (kept !== undefined) return this.#emit({ to: 'outcomes', value: kept }, kept.decidedAtMs)
    const outcome = this.#decide(identity, command, nowMs)
    this.#ledger.putOutcome(identity.requestId, outcome)
    if (identity.idempotencyKey !== null)
      this.#ledger.putFirstRequest(identity.eventId, identity.actorUserId, identity.idempotencyKey, {
        requestId: identity.requestId,
        decidedAtMs: outcome.decidedAtMs,
      })
    this.#emit({ to: 'outcomes', value: outcome }, nowMs)
  }

  #decide(identity: CommandIdentity, command: ReviewCommand, nowMs: number): RequestOutcome {
    const { eventId, actor } = command
    const event = this.#ledger.event(eventId)
    const decision = decideReviewCommand(
      {
        event,
        review: this.#reviews.review(eventId, command.reviewId),
        actorReviewId: this.#reviews.reviewIdOf(eventId, actor.userId),
        attended: this.#ledger.hasConfirmedBooking(eventId, actor.userId),
      },
      command,
      nowMs,
    )
    if (!decision.ok) return refusedOutcome(identity, 'REVIEW', command.reviewId, decision.refusal, nowMs)
    this.#reviews.saveReview(decision.review)
    const rating = eventRating(this.#reviews.reviewsOf(eventId))
    const fact = reviewFact(
      event!,
      decision.review,
      decision.type,
      rating,
      causeOf(command),
      nowMs,
      decision.voterUserId,
    )
    this.#emit({ to: 'review-events', value: fact }, nowMs)
    for (const notice of decision.notifications) this.#emit(notice, nowMs)
    return acceptedOutcome(identity, 'REVIEW', command.reviewId, decision.message, nowMs)
  }

  /** The first request's outcome when `identity` repeats a kept key under another request ID (kept too). */
  #repeatOfKey(identity: CommandIdentity): RequestOutcome | undefined {
    if (identity.idempotencyKey === null) return undefined
    const first = this.#ledger.firstRequest(identity.eventId, identity.actorUserId, identity.idempotencyKey)
    const original = first === undefined ? undefined : this.#ledger.outcome(first.requestId)
    if (original === undefined) return undefined
    const repeat = repeatedOutcome(original, identity)
    this.#ledger.putOutcome(identity.requestId, repeat)
    return repeat
  }

  #emit(output: ReviewOutput, nowMs: number): void {
    const key = output.to === 'outcomes' ? output.value.requestId : output.value.eventId
    this.#context.forward(new Record(key, output.value as unknown, nowMs), output.to)
  }
}
