import type { Actor, CreateEvent, EventCommand, PriceOptionInput, ResourceType } from '../avro/index.ts'
import { canCreateEvent, canManageEvent } from './authorization.ts'
import { releaseCrew, updateCrewSchedule, crewCommand } from './crew.ts'
import { eventFact, notify, TIMER_CAUSE, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import {
  DEFAULT_BOOKING_DEADLINE_HOURS,
  DEFAULT_HOLD_MINUTES,
  MAX_CAPACITY,
  MAX_PRICE_MINOR,
  MAX_PRICE_OPTIONS,
  REMINDER_BEFORE_START_MS,
  REVIEW_WINDOW_MS,
  type EventState,
  type PriceOptionState,
} from './ledger-state.ts'
import { createPromoCode, isRefusal } from './promo-codes.ts'
import { refuse, type Refusal } from './reason-codes.ts'
import { validateRefundPolicy } from './refund-policy.ts'

/**
 * What an event command or timer asks of the event's bookings after the event itself changed; the
 * processor runs it over the bookings store (booking-cancel.ts `cancelForEvent` and schedule-notices.ts
 * decide each booking).
 */
export type BookingsFollowUp = 'CANCEL_ALL' | 'NOTIFY_RESCHEDULED' | 'NOTIFY_RESTORED' | 'REMIND'

export interface EventAccepted {
  readonly ok: true
  readonly event: EventState
  readonly outputs: readonly LedgerOutput[]
  readonly followUp: BookingsFollowUp | null
  readonly resourceType: ResourceType
  readonly resourceId: string
  readonly message: string
}

export type EventDecision = EventAccepted | { readonly ok: false; readonly refusal: Refusal }

function no(refusal: Refusal): EventDecision {
  return { ok: false, refusal }
}

function validateTexts(title: string, description: string): Refusal | undefined {
  if (title.length < 3 || title.length > 255)
    return refuse('VALIDATION_FAILED', 'title must be 3-255 characters')
  if (description !== '' && (description.length < 10 || description.length > 5000))
    return refuse('VALIDATION_FAILED', 'description must be 10-5,000 characters')
  return undefined
}

function validateSchedule(startsAtMs: number, endsAtMs: number, place: string): Refusal | undefined {
  if (!(endsAtMs > startsAtMs)) return refuse('VALIDATION_FAILED', 'the end must be after the start')
  if (place.trim() === '') return refuse('VALIDATION_FAILED', 'place is required')
  return undefined
}

function validateNumbers(capacity: number, holdMinutes: number, deadlineHours: number): Refusal | undefined {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY)
    return refuse('VALIDATION_FAILED', `capacity must be 1-${MAX_CAPACITY}`)
  if (!Number.isInteger(holdMinutes) || holdMinutes < 1 || holdMinutes > 7 * 24 * 60)
    return refuse('VALIDATION_FAILED', 'holdMinutes must be 1-10,080')
  if (!Number.isInteger(deadlineHours) || deadlineHours < 0 || deadlineHours > 24 * 365)
    return refuse('VALIDATION_FAILED', 'bookingDeadlineHours must be >= 0')
  return undefined
}

/** Creates the DRAFT state of a CREATE command. */
export function createEvent(eventId: string, actor: Actor, input: CreateEvent): EventState | Refusal {
  if (!canCreateEvent(actor, input.organizerId))
    return refuse(
      'FORBIDDEN',
      actor.role === 'USER'
        ? 'only organizers and admins create events'
        : 'an organizer creates events for themselves only',
    )
  const organizerId = actor.role === 'ADMIN' ? (input.organizerId ?? actor.userId) : actor.userId
  const holdMinutes = input.holdMinutes ?? DEFAULT_HOLD_MINUTES
  const bookingDeadlineHours = input.bookingDeadlineHours ?? DEFAULT_BOOKING_DEADLINE_HOURS
  const invalid =
    validateTexts(input.title, input.description) ??
    validateSchedule(input.startsAtMs, input.endsAtMs, input.place) ??
    validateNumbers(input.capacity, holdMinutes, bookingDeadlineHours) ??
    (input.categories.length > 5 ? refuse('VALIDATION_FAILED', 'at most 5 categories') : undefined)
  if (invalid !== undefined) return invalid
  return {
    eventId,
    organizerId,
    version: 1,
    status: 'DRAFT',
    title: input.title,
    description: input.description,
    place: input.place,
    startsAtMs: input.startsAtMs,
    endsAtMs: input.endsAtMs,
    categories: input.categories,
    capacity: input.capacity,
    holdMinutes,
    bookingDeadlineHours,
    locale: input.locale,
    seatsTaken: 0,
    priceOptions: [],
    promoCodes: [],
    refundPolicy: null,
    crew: [],
    publishAtMs: null,
    original: null,
    lastRescheduledAtMs: null,
    reminderSentForStartMs: null,
  }
}

/** Why a DRAFT cannot be published yet, if it cannot. */
export function publishable(event: EventState, nowMs: number): Refusal | undefined {
  if (event.description.length < 10)
    return refuse('VALIDATION_FAILED', 'a description is required to publish')
  if (event.priceOptions.length === 0)
    return refuse('VALIDATION_FAILED', 'at least one price option is required')
  if (event.categories.length < 1 || event.categories.length > 5)
    return refuse('VALIDATION_FAILED', '1-5 categories are required')
  if (event.startsAtMs <= nowMs) return refuse('VALIDATION_FAILED', 'the start has passed')
  return undefined
}

function validatePriceOption(input: PriceOptionInput): Refusal | undefined {
  if (input.priceOptionId === '' || input.name.trim() === '')
    return refuse('VALIDATION_FAILED', 'price option ID and name are required')
  if (!Number.isInteger(input.priceMinor) || input.priceMinor < 0 || input.priceMinor > MAX_PRICE_MINOR)
    return refuse('VALIDATION_FAILED', 'price must be 0-1,000,000.00')
  if (!Number.isInteger(input.allotment) || input.allotment < 0)
    return refuse('VALIDATION_FAILED', 'allotment must be >= 0')
  if (input.validFromMs !== null && input.validUntilMs !== null && input.validFromMs >= input.validUntilMs)
    return refuse('VALIDATION_FAILED', 'validFrom must be before validUntil')
  return undefined
}

function allotmentSum(options: readonly PriceOptionState[]): number {
  return options.reduce((sum, option) => sum + option.allotment, 0)
}

const EDITABLE = new Set(['DRAFT', 'PUBLISHED', 'RESCHEDULED'])

/**
 * Decides one event command against the event's state (undefined before CREATE). Checks, in order:
 * payload present, existence, ownership, expectedVersion, then the command's own rules. Never mutates.
 */
export function decideEventCommand(
  event: EventState | undefined,
  command: EventCommand,
  nowMs: number,
): EventDecision {
  const cause: Cause = { requestId: command.requestId, actorUserId: command.actor.userId }
  if (command.type === 'CREATE') {
    if (command.create === null) return no(refuse('VALIDATION_FAILED', 'CREATE needs the create payload'))
    if (event !== undefined) return no(refuse('EVENT_ALREADY_EXISTS', `event ${command.eventId} exists`))
    const created = createEvent(command.eventId, command.actor, command.create)
    if (isRefusal(created)) return no(created)
    return accepted(created, [eventFact(created, 'CREATED', cause, nowMs)], 'event created')
  }
  if (event === undefined) return no(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  if (!canManageEvent(event, command.actor))
    return no(
      refuse(
        'FORBIDDEN',
        `${command.actor.role} ${command.actor.userId} may not change event ${event.eventId}`,
      ),
    )
  if (command.expectedVersion !== null && command.expectedVersion !== event.version)
    return no(
      refuse(
        'VERSION_CONFLICT',
        `expected version ${command.expectedVersion}, the event is at ${event.version}`,
      ),
    )
  const bump = (next: Omit<EventState, 'version'>): EventState => ({ ...next, version: event.version + 1 })
  const editable = EDITABLE.has(event.status)
  const notEditable = () => no(refuse('INVALID_TRANSITION', `event is ${event.status}`))

  switch (command.type) {
    case 'UPDATE': {
      const input = command.update
      if (input === null) return no(refuse('VALIDATION_FAILED', 'UPDATE needs the update payload'))
      if (command.expectedVersion === null)
        return no(refuse('VALIDATION_FAILED', 'UPDATE needs expectedVersion'))
      if (!editable) return notEditable()
      const movesSchedule = input.startsAtMs !== null || input.endsAtMs !== null || input.place !== null
      if (movesSchedule && event.status !== 'DRAFT')
        return no(
          refuse('INVALID_TRANSITION', `date and place of a ${event.status} event change by RESCHEDULE`),
        )
      const next = bump({
        ...event,
        title: input.title ?? event.title,
        description: input.description ?? event.description,
        place: input.place ?? event.place,
        startsAtMs: input.startsAtMs ?? event.startsAtMs,
        endsAtMs: input.endsAtMs ?? event.endsAtMs,
        categories: input.categories ?? event.categories,
        capacity: input.capacity ?? event.capacity,
        holdMinutes: input.holdMinutes ?? event.holdMinutes,
        bookingDeadlineHours: input.bookingDeadlineHours ?? event.bookingDeadlineHours,
      })
      const invalid =
        validateTexts(next.title, next.description) ??
        validateSchedule(next.startsAtMs, next.endsAtMs, next.place) ??
        validateNumbers(next.capacity, next.holdMinutes, next.bookingDeadlineHours) ??
        (next.categories.length > 5 ? refuse('VALIDATION_FAILED', 'at most 5 categories') : undefined) ??
        (next.capacity < next.seatsTaken || next.capacity < allotmentSum(next.priceOptions)
          ? refuse('VALIDATION_FAILED', 'capacity below the seats taken or the sum of allotments')
          : undefined)
      if (invalid !== undefined) return no(invalid)
      return accepted(next, [eventFact(next, 'UPDATED', cause, nowMs)], 'event updated')
    }
    case 'PUBLISH': {
      if (event.status !== 'DRAFT')
        return no(refuse('INVALID_TRANSITION', `cannot publish a ${event.status} event`))
      const invalid = publishable(event, nowMs)
      if (invalid !== undefined) return no(invalid)
      const at = command.publish?.publishAtMs ?? null
      if (at !== null && at > nowMs) {
        if (at >= event.startsAtMs)
          return no(refuse('VALIDATION_FAILED', 'publication must be before the start'))
        const next = bump({ ...event, publishAtMs: at })
        return accepted(
          next,
          [eventFact(next, 'PUBLICATION_SCHEDULED', cause, nowMs)],
          'publication scheduled',
        )
      }
      const next = bump({ ...event, status: 'PUBLISHED', publishAtMs: null })
      return accepted(next, [eventFact(next, 'PUBLISHED', cause, nowMs)], 'event published')
    }
    case 'RESCHEDULE': {
      const input = command.reschedule
      if (input === null) return no(refuse('VALIDATION_FAILED', 'RESCHEDULE needs the reschedule payload'))
      if (event.status !== 'PUBLISHED' && event.status !== 'RESCHEDULED')
        return no(refuse('INVALID_TRANSITION', `cannot reschedule a ${event.status} event`))
      const invalid = validateSchedule(input.startsAtMs, input.endsAtMs, input.place)
      if (invalid !== undefined) return no(invalid)
      if (input.startsAtMs <= nowMs) return no(refuse('VALIDATION_FAILED', 'the new start has passed'))
      const next = bump({
        ...event,
        status: 'RESCHEDULED',
        original: event.original ?? {
          startsAtMs: event.startsAtMs,
          endsAtMs: event.endsAtMs,
          place: event.place,
        },
        startsAtMs: input.startsAtMs,
        endsAtMs: input.endsAtMs,
        place: input.place,
        lastRescheduledAtMs: nowMs,
      })
      return accepted(
        next,
        [eventFact(next, 'RESCHEDULED', cause, nowMs), ...updateCrewSchedule(next, nowMs)],
        'event rescheduled',
        'NOTIFY_RESCHEDULED',
      )
    }
    case 'RESTORE_SCHEDULE': {
      if (event.status !== 'RESCHEDULED' || event.original === null)
        return no(refuse('INVALID_TRANSITION', `cannot restore the schedule of a ${event.status} event`))
      if (event.original.startsAtMs <= nowMs)
        return no(refuse('VALIDATION_FAILED', 'the original start has passed'))
      const next = bump({
        ...event,
        ...event.original,
        status: 'PUBLISHED',
        original: null,
        lastRescheduledAtMs: nowMs,
      })
      return accepted(
        next,
        [eventFact(next, 'SCHEDULE_RESTORED', cause, nowMs), ...updateCrewSchedule(next, nowMs)],
        'original schedule restored',
        'NOTIFY_RESTORED',
      )
    }
    case 'CANCEL': {
      if (!editable) return no(refuse('INVALID_TRANSITION', `cannot cancel a ${event.status} event`))
      const canceled = bump({ ...event, status: 'CANCELED', publishAtMs: null })
      const { event: next, outputs } = releaseCrew(canceled, nowMs)
      return accepted(
        next,
        [eventFact(next, 'CANCELED', cause, nowMs, command.cancel?.reason ?? null), ...outputs],
        'event canceled',
        'CANCEL_ALL',
      )
    }
    case 'ADD_PRICE_OPTION':
    case 'UPDATE_PRICE_OPTION': {
      const input = command.priceOption
      if (input === null)
        return no(refuse('VALIDATION_FAILED', `${command.type} needs the priceOption payload`))
      if (!editable) return notEditable()
      const invalid = validatePriceOption(input)
      if (invalid !== undefined) return no(invalid)
      const existing = event.priceOptions.find((o) => o.priceOptionId === input.priceOptionId)
      if (command.type === 'ADD_PRICE_OPTION' && existing !== undefined)
        return no(refuse('PRICE_OPTION_EXISTS', `price option ${input.priceOptionId} exists`))
      if (command.type === 'UPDATE_PRICE_OPTION' && existing === undefined)
        return no(refuse('PRICE_OPTION_NOT_FOUND', `no price option ${input.priceOptionId}`))
      if (existing === undefined && event.priceOptions.length >= MAX_PRICE_OPTIONS)
        return no(refuse('LIMIT_EXCEEDED', `at most ${MAX_PRICE_OPTIONS} price options`))
      const taken = existing?.taken ?? 0
      if (input.allotment < taken)
        return no(refuse('VALIDATION_FAILED', `allotment below the ${taken} seats already taken`))
      const option: PriceOptionState = { ...input, taken }
      const options =
        existing === undefined
          ? [...event.priceOptions, option]
          : event.priceOptions.map((o) => (o.priceOptionId === option.priceOptionId ? option : o))
      if (allotmentSum(options) > event.capacity)
        return no(refuse('LIMIT_EXCEEDED', 'the allotments would exceed the capacity'))
      const next = bump({ ...event, priceOptions: options })
      const type = existing === undefined ? 'PRICE_OPTION_ADDED' : 'PRICE_OPTION_UPDATED'
      return accepted(next, [eventFact(next, type, cause, nowMs, option.priceOptionId)], type, null, {
        resourceType: 'PRICE_OPTION',
        resourceId: option.priceOptionId,
      })
    }
    case 'REMOVE_PRICE_OPTION': {
      const id = command.removePriceOption?.priceOptionId
      if (id === undefined) return no(refuse('VALIDATION_FAILED', 'REMOVE_PRICE_OPTION needs its payload'))
      if (!editable) return notEditable()
      const existing = event.priceOptions.find((o) => o.priceOptionId === id)
      if (existing === undefined) return no(refuse('PRICE_OPTION_NOT_FOUND', `no price option ${id}`))
      if (existing.taken > 0)
        return no(refuse('PRICE_OPTION_IN_USE', `price option ${id} has active bookings`))
      if (event.status !== 'DRAFT' && event.priceOptions.length === 1)
        return no(refuse('VALIDATION_FAILED', 'a published event keeps at least one price option'))
      const next = bump({ ...event, priceOptions: event.priceOptions.filter((o) => o.priceOptionId !== id) })
      return accepted(
        next,
        [eventFact(next, 'PRICE_OPTION_REMOVED', cause, nowMs, id)],
        'price option removed',
        null,
        {
          resourceType: 'PRICE_OPTION',
          resourceId: id,
        },
      )
    }
    case 'CREATE_PROMO_CODE': {
      const input = command.createPromoCode
      if (input === null) return no(refuse('VALIDATION_FAILED', 'CREATE_PROMO_CODE needs its payload'))
      if (!editable) return notEditable()
      const promo = createPromoCode(event, input, nowMs)
      if (isRefusal(promo)) return no(promo)
      const next = bump({ ...event, promoCodes: [...event.promoCodes, promo] })
      return accepted(
        next,
        [eventFact(next, 'PROMO_CODE_CREATED', cause, nowMs, promo.code)],
        'promo code created',
        null,
        {
          resourceType: 'PROMO_CODE',
          resourceId: promo.code,
        },
      )
    }
    case 'DEACTIVATE_PROMO_CODE': {
      const code = command.deactivatePromoCode?.code
      if (code === undefined)
        return no(refuse('VALIDATION_FAILED', 'DEACTIVATE_PROMO_CODE needs its payload'))
      const promo = event.promoCodes.find((p) => p.code === code)
      if (promo === undefined) return no(refuse('PROMO_NOT_FOUND', `no promo code ${code}`))
      if (!promo.active) return no(refuse('INVALID_TRANSITION', `promo code ${code} is already inactive`))
      const next = bump({
        ...event,
        promoCodes: event.promoCodes.map((p) => (p.code === code ? { ...p, active: false } : p)),
      })
      return accepted(
        next,
        [eventFact(next, 'PROMO_CODE_DEACTIVATED', cause, nowMs, code)],
        'promo code deactivated',
        null,
        {
          resourceType: 'PROMO_CODE',
          resourceId: code,
        },
      )
    }
    case 'SET_REFUND_POLICY': {
      const tiers = command.refundPolicy?.tiers
      if (tiers === undefined) return no(refuse('VALIDATION_FAILED', 'SET_REFUND_POLICY needs its payload'))
      if (!editable) return notEditable()
      const invalid = validateRefundPolicy(tiers)
      if (invalid !== undefined) return no(invalid)
      const next = bump({ ...event, refundPolicy: tiers })
      return accepted(next, [eventFact(next, 'REFUND_POLICY_SET', cause, nowMs)], 'refund policy set', null, {
        resourceType: 'REFUND_POLICY',
        resourceId: event.eventId,
      })
    }
    case 'REQUEST_CREW': {
      const input = command.crewRequest
      if (input === null) return no(refuse('VALIDATION_FAILED', 'REQUEST_CREW needs its payload'))
      if (!editable) return notEditable()
      if (input.crewRequestId === '' || event.crew.some((c) => c.crewRequestId === input.crewRequestId))
        return no(refuse('VALIDATION_FAILED', `crew request ${input.crewRequestId} is empty or exists`))
      const crew = {
        crewRequestId: input.crewRequestId,
        role: input.role,
        status: 'REQUESTED' as const,
        memberId: null,
      }
      const next = bump({ ...event, crew: [...event.crew, crew] })
      return accepted(
        next,
        [
          eventFact(next, 'CREW_REQUESTED', cause, nowMs, crew.crewRequestId),
          crewCommand(next, crew, 'ASSIGN', nowMs),
        ],
        'crew requested',
        null,
        { resourceType: 'CREW_REQUEST', resourceId: crew.crewRequestId },
      )
    }
    default:
      return no(refuse('VALIDATION_FAILED', `unknown event command ${String(command.type)}`))
  }
}

function accepted(
  event: EventState,
  outputs: readonly LedgerOutput[],
  message: string,
  followUp: BookingsFollowUp | null = null,
  resource: { resourceType: ResourceType; resourceId: string } = {
    resourceType: 'EVENT',
    resourceId: event.eventId,
  },
): EventAccepted {
  return { ok: true, event, outputs, followUp, message, ...resource }
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
  const bump = (next: Omit<EventState, 'version'>): EventState => ({ ...next, version: event.version + 1 })
  if (event.status === 'DRAFT' && event.publishAtMs !== null && event.publishAtMs <= nowMs) {
    if (publishable(event, nowMs) !== undefined) {
      // Cannot publish any more (start passed, option removed): drop the schedule, tell the organizer.
      const next = bump({ ...event, publishAtMs: null })
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
    const next = bump({ ...event, status: 'PUBLISHED', publishAtMs: null })
    return { event: next, outputs: [eventFact(next, 'PUBLISHED', TIMER_CAUSE, nowMs)], followUp: null }
  }
  const running = event.status === 'PUBLISHED' || event.status === 'RESCHEDULED'
  if (running && event.endsAtMs <= nowMs) {
    const next = bump({ ...event, status: 'COMPLETED' })
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
    const next = bump({ ...event, status: 'REVIEWED' })
    return { event: next, outputs: [eventFact(next, 'REVIEWED', TIMER_CAUSE, nowMs)], followUp: null }
  }
  return undefined
}
