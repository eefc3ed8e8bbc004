import type { BookingCommand } from '../avro/index.ts'
import { canActForUser, mayBook } from './authorization.ts'
import {
  causeOf,
  notify,
  waitingListFact,
  TIMER_CAUSE,
  type Cause,
  type LedgerOutput,
} from './ledger-outputs.ts'
import {
  emptyWaitingList,
  HOUR_MS,
  isBookable,
  MAX_SEATS_PER_BOOKING,
  offeredSeats,
  WAITLIST_OFFER_MS,
  type EventState,
  type WaitingListState,
} from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

export type WaitingListDecision =
  | {
      readonly ok: true
      readonly list: WaitingListState
      readonly outputs: readonly LedgerOutput[]
      readonly message: string
    }
  | { readonly ok: false; readonly refusal: Refusal }

function no(refusal: Refusal): WaitingListDecision {
  return { ok: false, refusal }
}

function isListed(list: WaitingListState, userId: string): boolean {
  return list.queue.some((e) => e.userId === userId) || list.offers.some((o) => o.userId === userId)
}

/** JOIN_WAITING_LIST: only when the event cannot give the seats asked for; FIFO. */
export function joinWaitingList(
  event: EventState | undefined,
  list: WaitingListState | undefined,
  activeBookingId: string | undefined,
  command: BookingCommand,
  nowMs: number,
): WaitingListDecision {
  const input = command.joinWaitingList
  if (input === null) return no(refuse('VALIDATION_FAILED', 'JOIN_WAITING_LIST needs its payload'))
  if (event === undefined) return no(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  if (!canActForUser(command.actor, input.userId))
    return no(refuse('FORBIDDEN', 'users join for themselves only'))
  if (!mayBook(event, input.userId))
    return no(refuse('ORGANIZER_OWN_EVENT', 'an organizer cannot book their own event'))
  if (!isBookable(event)) return no(refuse('EVENT_NOT_BOOKABLE', `event is ${event.status}`))
  if (nowMs > event.startsAtMs - event.bookingDeadlineHours * HOUR_MS)
    return no(refuse('BOOKING_DEADLINE_PASSED', 'booking is closed'))
  if (!Number.isInteger(input.seats) || input.seats < 1)
    return no(refuse('VALIDATION_FAILED', 'seats must be 1-20'))
  if (input.seats > MAX_SEATS_PER_BOOKING) return no(refuse('TOO_MANY_SEATS', 'at most 20 seats'))
  if (activeBookingId !== undefined) return no(refuse('DUPLICATE_BOOKING', 'the user has an active booking'))
  const current = list ?? emptyWaitingList(event.eventId)
  if (isListed(current, input.userId))
    return no(refuse('ALREADY_ON_WAITING_LIST', 'already on the waiting list'))
  if (event.capacity - event.seatsTaken - offeredSeats(current) >= input.seats)
    return no(refuse('SEATS_AVAILABLE', 'seats are available: book them'))
  const next: WaitingListState = {
    ...current,
    queue: [...current.queue, { userId: input.userId, seats: input.seats, joinedAtMs: nowMs }],
  }
  const cause = causeOf(command)
  return {
    ok: true,
    list: next,
    outputs: [waitingListFact(event, input.userId, input.seats, 'WAITLIST_JOINED', cause, nowMs)],
    message: `position ${next.queue.length} on the waiting list`,
  }
}

/** LEAVE_WAITING_LIST: leaves the queue or gives up an offer (whose seats go to the next in line). */
export function leaveWaitingList(
  event: EventState | undefined,
  list: WaitingListState | undefined,
  command: BookingCommand,
  nowMs: number,
): WaitingListDecision {
  const input = command.leaveWaitingList
  if (input === null) return no(refuse('VALIDATION_FAILED', 'LEAVE_WAITING_LIST needs its payload'))
  if (event === undefined) return no(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  if (!canActForUser(command.actor, input.userId))
    return no(refuse('FORBIDDEN', 'users leave for themselves only'))
  if (list === undefined || !isListed(list, input.userId))
    return no(refuse('NOT_ON_WAITING_LIST', 'not on the waiting list'))
  const entry =
    list.queue.find((e) => e.userId === input.userId) ?? list.offers.find((o) => o.userId === input.userId)
  const next: WaitingListState = {
    ...list,
    queue: list.queue.filter((e) => e.userId !== input.userId),
    offers: list.offers.filter((o) => o.userId !== input.userId),
  }
  const cause = causeOf(command)
  return {
    ok: true,
    list: next,
    outputs: [waitingListFact(event, input.userId, entry?.seats ?? 0, 'WAITLIST_LEFT', cause, nowMs)],
    message: 'left the waiting list',
  }
}

/**
 * Offers free seats to the head of the queue, in order, while the event has enough seats beyond what is
 * taken and already offered; each offer holds its seats for 30 minutes. Strict FIFO: a head wanting more
 * seats than are free waits, and so does everyone behind.
 */
export function offerFreedSeats(
  event: EventState,
  list: WaitingListState | undefined,
  nowMs: number,
): { list: WaitingListState | undefined; outputs: LedgerOutput[] } {
  if (list === undefined || list.queue.length === 0 || !isBookable(event)) return { list, outputs: [] }
  if (nowMs > event.startsAtMs - event.bookingDeadlineHours * HOUR_MS) return { list, outputs: [] }
  const queue = [...list.queue]
  const offers = [...list.offers]
  const outputs: LedgerOutput[] = []
  let free = event.capacity - event.seatsTaken - offeredSeats(list)
  while (queue.length > 0 && queue[0]!.seats <= free) {
    const head = queue.shift()!
    const offer = { ...head, offeredAtMs: nowMs, expiresAtMs: nowMs + WAITLIST_OFFER_MS }
    offers.push(offer)
    free -= head.seats
    outputs.push(
      waitingListFact(
        event,
        head.userId,
        head.seats,
        'WAITLIST_OFFERED',
        TIMER_CAUSE,
        nowMs,
        offer.expiresAtMs,
      ),
      notify(
        event,
        head.userId,
        'waitlist.offer',
        `waitlist.offer:${event.eventId}:${head.userId}:${nowMs}`,
        nowMs,
        {
          seats: String(head.seats),
          offerExpiresAtMs: String(offer.expiresAtMs),
        },
      ),
    )
  }
  if (outputs.length === 0) return { list, outputs }
  return { list: { ...list, queue, offers }, outputs }
}

/** Drops the offers whose 30 minutes passed, then offers their seats on. */
export function expireOffers(
  event: EventState,
  list: WaitingListState,
  nowMs: number,
): { list: WaitingListState | undefined; outputs: LedgerOutput[] } {
  const expired = list.offers.filter((o) => o.expiresAtMs <= nowMs)
  if (expired.length === 0) return { list, outputs: [] }
  const remaining: WaitingListState = { ...list, offers: list.offers.filter((o) => o.expiresAtMs > nowMs) }
  const outputs = expired.map((o) =>
    waitingListFact(event, o.userId, o.seats, 'WAITLIST_OFFER_EXPIRED', TIMER_CAUSE, nowMs),
  )
  const offered = offerFreedSeats(event, remaining, nowMs)
  return { list: offered.list, outputs: [...outputs, ...offered.outputs] }
}

/** The user booked: their offer (or queue place) is used up. */
export function removeFromWaitingList(
  list: WaitingListState | undefined,
  userId: string,
): WaitingListState | undefined {
  if (list === undefined || !isListed(list, userId)) return list
  return {
    ...list,
    queue: list.queue.filter((e) => e.userId !== userId),
    offers: list.offers.filter((o) => o.userId !== userId),
  }
}

/**
 * Event canceled: the waiting list closes. Everyone on it, offer holders first and then the queue in its
 * order, gets a WAITLIST_LEFT fact with reason code EVENT_CANCELED and one notification, keyed by event and
 * user (an event is canceled once: CANCELED is final).
 */
export function closeWaitingList(
  event: EventState,
  list: WaitingListState,
  cause: Cause,
  nowMs: number,
): LedgerOutput[] {
  const entries = [
    ...list.offers.map((offer) => ({ ...offer, offered: true })),
    ...list.queue.map((entry) => ({ ...entry, offered: false })),
  ]
  return entries.flatMap((entry) => [
    waitingListFact(event, entry.userId, entry.seats, 'WAITLIST_LEFT', cause, nowMs, null, 'EVENT_CANCELED'),
    notify(
      event,
      entry.userId,
      'waitlist.event_canceled',
      `waitlist.event_canceled:${event.eventId}:${entry.userId}`,
      nowMs,
      { seats: String(entry.seats), hadOffer: String(entry.offered) },
    ),
  ])
}
