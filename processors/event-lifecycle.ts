import type { EventCommand, EventCommandType } from '../avro/index.ts'
import { canManageEvent } from './authorization.ts'
import {
  nextVersion,
  refused,
  type BookingsFollowUp,
  type EventCommandDecider,
  type EventDecision,
} from './event-decision.ts'
import { cancelEvent } from './event-cancel.ts'
import { requestCrew } from './event-crew.ts'
import { decideCreate, updateEvent } from './event-edit.ts'
import { putPriceOption, removePriceOption } from './event-price-options.ts'
import { addPromoCode, deactivatePromoCode } from './event-promo-codes.ts'
import { publishable, publishEvent } from './event-publish.ts'
import { setRefundPolicy } from './event-refund-policy.ts'
import { rescheduleEvent, restoreSchedule } from './event-reschedule.ts'
import { eventFact, notify, TIMER_CAUSE, type LedgerOutput } from './ledger-outputs.ts'
import { REMINDER_BEFORE_START_MS, REVIEW_WINDOW_MS, type EventState } from './ledger-state.ts'
import { refuse } from './reason-codes.ts'

/**
 * An event's lifecycle: which command family decides each event command, and the transitions its timers
 * make. The families live in files of their own (event-edit.ts, event-publish.ts, event-reschedule.ts,
 * event-cancel.ts, event-price-options.ts, event-promo-codes.ts, event-refund-policy.ts, event-crew.ts).
 */

/** The decider of each command on an existing event. */
const DECIDERS: Readonly<Record<Exclude<EventCommandType, 'CREATE'>, EventCommandDecider>> = {
  UPDATE: updateEvent,
  PUBLISH: publishEvent,
  RESCHEDULE: rescheduleEvent,
  RESTORE_SCHEDULE: restoreSchedule,
  CANCEL: cancelEvent,
  ADD_PRICE_OPTION: putPriceOption,
  UPDATE_PRICE_OPTION: putPriceOption,
  REMOVE_PRICE_OPTION: removePriceOption,
  CREATE_PROMO_CODE: addPromoCode,
  DEACTIVATE_PROMO_CODE: deactivatePromoCode,
  SET_REFUND_POLICY: setRefundPolicy,
  REQUEST_CREW: requestCrew,
}

/**
 * Decides one event command against the event's state (undefined before CREATE; CREATE goes to
 * event-edit.ts `decideCreate`). Checks, in order: existence, the actor may manage the event
 * (authorization.ts `canManageEvent`), expectedVersion, then the command's own rules, payload first, in
 * its family's decider. Never mutates.
 *
 * Refusals common to all but CREATE: EVENT_NOT_FOUND, FORBIDDEN, VERSION_CONFLICT; VALIDATION_FAILED for
 * an unknown command type.
 */
export function decideEventCommand(
  event: EventState | undefined,
  command: EventCommand,
  nowMs: number,
): EventDecision {
  if (command.type === 'CREATE') return decideCreate(event, command, nowMs)
  if (event === undefined) return refused(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  if (!canManageEvent(event, command.actor))
    return refused(
      refuse(
        'FORBIDDEN',
        `${command.actor.role} ${command.actor.userId} may not change event ${event.eventId}`,
      ),
    )
  if (command.expectedVersion !== null && command.expectedVersion !== event.version)
    return refused(
      refuse(
        'VERSION_CONFLICT',
        `expected version ${command.expectedVersion}, the event is at ${event.version}`,
      ),
    )
  const decide = Object.hasOwn(DECIDERS, command.type) ? DECIDERS[command.type] : undefined
  if (decide === undefined)
    return refused(refuse('VALIDATION_FAILED', `unknown event command ${String(command.type)}`))
  return decide(event, command, nowMs)
}

/**
 * The timer transitions due at `nowMs`, at most one per call (the punctuator calls again until nothing is
 * due): scheduled publication, the 24-hour reminder, auto-complete at the end, REVIEWED 30 days later.
 * Returns undefined when nothing is due.
 */
export function dueEventTimer(
  event: EventState,
  nowMs: number,
): { event: EventState; outputs: LedgerOutput[]; followUp: BookingsFollowUp | null } | undefined {
  if (event.status === 'DRAFT' && event.publishAtMs !== null && event.publishAtMs <= nowMs) {
    if (publishable(event, nowMs) !== undefined) {
      // Cannot publish any more (start passed, option removed): drop the schedule, tell the organizer.
      const next = nextVersion(event, { publishAtMs: null })
      return {
        event: next,
        outputs: [
          eventFact(next, 'UPDATED', TIMER_CAUSE, nowMs, 'scheduled publication dropped'),
          notify(
            next,
            next.organizerId,
            'event.publication_failed',
            `event.publication_failed:${event.eventId}:${event.publishAtMs}`,
            nowMs,
          ),
        ],
        followUp: null,
      }
    }
    const next = nextVersion(event, { status: 'PUBLISHED', publishAtMs: null })
    return { event: next, outputs: [eventFact(next, 'PUBLISHED', TIMER_CAUSE, nowMs)], followUp: null }
  }
  const running = event.status === 'PUBLISHED' || event.status === 'RESCHEDULED'
  if (running && event.endsAtMs <= nowMs) {
    const next = nextVersion(event, { status: 'COMPLETED' })
    return { event: next, outputs: [eventFact(next, 'COMPLETED', TIMER_CAUSE, nowMs)], followUp: null }
  }
  if (
    running &&
    event.startsAtMs - REMINDER_BEFORE_START_MS <= nowMs &&
    event.startsAtMs > nowMs &&
    event.reminderSentForStartMs !== event.startsAtMs
  ) {
    return { event: { ...event, reminderSentForStartMs: event.startsAtMs }, outputs: [], followUp: 'REMIND' }
  }
  if (event.status === 'COMPLETED' && event.endsAtMs + REVIEW_WINDOW_MS <= nowMs) {
    const next = nextVersion(event, { status: 'REVIEWED' })
    return { event: next, outputs: [eventFact(next, 'REVIEWED', TIMER_CAUSE, nowMs)], followUp: null }
  }
  return undefined
}
