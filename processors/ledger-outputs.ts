import type {
  Actor,
  BookingDomainEvent,
  BookingEventType,
  CrewCommand,
  EventDomainEvent,
  EventEventType,
  NotificationMessage,
  RefundRequest,
  RequestOutcome,
} from '../avro/index.ts'
import { holdDueMs, pendingTopUp, type BookingState, type EventState } from './ledger-state.ts'
import { promoCodeSnapshots } from './promo-codes.ts'

/**
 * What the ledger decisions emit. The processor forwards each to the child node of the same name (a sink
 * in the topology); outcomes are keyed by requestId, everything else by eventId.
 */
export type LedgerOutput =
  | { readonly to: 'event-events'; readonly value: EventDomainEvent }
  | { readonly to: 'booking-events'; readonly value: BookingDomainEvent }
  | { readonly to: 'outcomes'; readonly value: RequestOutcome }
  | { readonly to: 'notifications'; readonly value: NotificationMessage }
  | { readonly to: 'refund-requests'; readonly value: RefundRequest }
  | { readonly to: 'crew-commands'; readonly value: CrewCommand }

/** The child node names the event-ledger processor forwards to. */
export const LEDGER_CHILDREN = [
  'event-events',
  'booking-events',
  'outcomes',
  'notifications',
  'refund-requests',
  'crew-commands',
] as const satisfies readonly LedgerOutput['to'][]

/** Why something happened: the command's request ID and actor, or null for timers and other services. */
export interface Cause {
  readonly requestId: string | null
  readonly actorUserId: string | null
}

export const TIMER_CAUSE: Cause = { requestId: null, actorUserId: null }

/** The cause of a command: its request ID and acting user. */
export function causeOf(command: { readonly requestId: string; readonly actor: Actor }): Cause {
  return { requestId: command.requestId, actorUserId: command.actor.userId }
}

export function eventFact(
  event: EventState,
  type: EventEventType,
  cause: Cause,
  nowMs: number,
  detail: string | null = null,
): LedgerOutput {
  return {
    to: 'event-events',
    value: {
      eventId: event.eventId,
      version: event.version,
      type,
      status: event.status,
      requestId: cause.requestId,
      actorUserId: cause.actorUserId,
      occurredAtMs: nowMs,
      organizerId: event.organizerId,
      title: event.title,
      description: event.description,
      place: event.place,
      startsAtMs: event.startsAtMs,
      endsAtMs: event.endsAtMs,
      categories: event.categories,
      capacity: event.capacity,
      seatsTaken: event.seatsTaken,
      publishAtMs: event.publishAtMs,
      priceOptions: event.priceOptions.map((option) => ({
        priceOptionId: option.priceOptionId,
        name: option.name,
        priceMinor: option.priceMinor,
        allotment: option.allotment,
        seatsTaken: option.taken,
        validFromMs: option.validFromMs,
        validUntilMs: option.validUntilMs,
      })),
      detail,
      promoCodes: promoCodeSnapshots(event),
    },
  }
}

/** The check-in fields of a booking fact other than CHECKED_IN. */
export const NO_CHECK_IN = { checkedInSeats: null, scannedAtMs: null, deviceId: null } as const

/** What a CHECKED_IN fact says of its scan. */
export interface CheckInFact {
  /** Seats this scan admitted (the fact's `seats`). */
  readonly seats: number
  /** The booking's seats checked in after it. */
  readonly checkedInSeats: number
  readonly scannedAtMs: number
  readonly deviceId: string | null
}

/**
 * A booking fact with the booking as it is after the decision. A pending seat top-up shows in it: `seats`
 * counts its extra seats, `amountMinor` adds its price, `holdExpiresAtMs` is its expiry. A CHECKED_IN fact
 * (`extra.checkIn`) has the seats of its scan instead, and the check-in fields.
 */
export function bookingFact(
  event: EventState,
  booking: BookingState,
  type: BookingEventType,
  cause: Cause,
  nowMs: number,
  extra: { reasonCode?: string; refundMinor?: number; checkIn?: CheckInFact } = {},
): LedgerOutput {
  const checkIn = extra.checkIn
  const topUp = pendingTopUp(booking)
  return {
    to: 'booking-events',
    value: {
      eventId: event.eventId,
      bookingId: booking.bookingId,
      userId: booking.userId,
      type,
      status: booking.status,
      priceOptionId: booking.priceOptionId,
      seats: checkIn?.seats ?? topUp?.seats ?? booking.seats,
      amountMinor: booking.amountMinor + (topUp?.amountMinor ?? 0),
      paidMinor: booking.paidMinor,
      refundMinor: extra.refundMinor ?? 0,
      promoCode: booking.promoCode,
      ticketCode: booking.ticketCode,
      reasonCode: extra.reasonCode ?? null,
      holdExpiresAtMs: holdDueMs(booking),
      offerExpiresAtMs: null,
      requestId: cause.requestId,
      occurredAtMs: nowMs,
      eventSeatsTaken: event.seatsTaken,
      checkedInSeats: checkIn?.checkedInSeats ?? null,
      scannedAtMs: checkIn?.scannedAtMs ?? null,
      deviceId: checkIn?.deviceId ?? null,
    },
  }
}

/** A booking request refused: the fact for analytics (conversion), besides the outcome. */
export function rejectionFact(
  event: EventState | undefined,
  request: { eventId: string; bookingId: string; userId: string; priceOptionId: string; seats: number },
  reasonCode: string,
  requestId: string,
  nowMs: number,
): LedgerOutput {
  return {
    to: 'booking-events',
    value: {
      eventId: request.eventId,
      bookingId: request.bookingId,
      userId: request.userId,
      type: 'REJECTED',
      status: 'REJECTED',
      priceOptionId: request.priceOptionId,
      seats: request.seats,
      amountMinor: 0,
      paidMinor: 0,
      refundMinor: 0,
      promoCode: null,
      ticketCode: null,
      reasonCode,
      holdExpiresAtMs: null,
      offerExpiresAtMs: null,
      requestId,
      occurredAtMs: nowMs,
      eventSeatsTaken: event?.seatsTaken ?? 0,
      ...NO_CHECK_IN,
    },
  }
}

export function waitingListFact(
  event: EventState,
  userId: string,
  seats: number,
  type: 'WAITLIST_JOINED' | 'WAITLIST_LEFT' | 'WAITLIST_OFFERED' | 'WAITLIST_OFFER_EXPIRED',
  cause: Cause,
  nowMs: number,
  offerExpiresAtMs: number | null = null,
  reasonCode: string | null = null,
): LedgerOutput {
  return {
    to: 'booking-events',
    value: {
      eventId: event.eventId,
      bookingId: null,
      userId,
      type,
      status: null,
      priceOptionId: null,
      seats,
      amountMinor: 0,
      paidMinor: 0,
      refundMinor: 0,
      promoCode: null,
      ticketCode: null,
      reasonCode,
      holdExpiresAtMs: null,
      offerExpiresAtMs,
      requestId: cause.requestId,
      occurredAtMs: nowMs,
      eventSeatsTaken: event.seatsTaken,
      ...NO_CHECK_IN,
    },
  }
}

/**
 * A notification. `dedupKey` names the cause (template, the thing it is about, and what makes the cause
 * unique: a version, a start time, a payment ID), so the same cause always yields the same key.
 */
export function notify(
  event: EventState,
  recipientUserId: string,
  templateKey: string,
  dedupKey: string,
  nowMs: number,
  params: Record<string, string> = {},
): LedgerOutput {
  return {
    to: 'notifications',
    value: {
      dedupKey,
      recipientUserId,
      templateKey,
      locale: event.locale,
      params: { eventId: event.eventId, eventTitle: event.title, ...params },
      eventId: event.eventId,
      createdAtMs: nowMs,
    },
  }
}
