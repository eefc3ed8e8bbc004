import type { BookingDomainEvent } from '../../avro/index.ts'
import type { ClickHouseClient } from './client.ts'

/**
 * What a booking's facts so far add up to, for the sink to turn a fact's cumulative figures into the change
 * it made (booking facts carry the booking as it is after them, not what changed):
 * - `seats`: seats the booking takes from the event (a pending seat top-up's included), 0 once it ended;
 * - `confirmedSeats`: its confirmed seats (a pending top-up's excluded), 0 unless CONFIRMED;
 * - `paidMinor`: every payment settled on it (the fact's `paidMinor`).
 *
 * A booking's facts all live in one partition of the booking topic (keyed by event), in order, so the sink
 * keeps one map per partition; on a restart it sums the deltas stored in `booking_facts` below its committed
 * offset, which gives back exactly these figures.
 */
export interface BookingTally {
  readonly seats: number
  readonly confirmedSeats: number
  readonly paidMinor: number
}

/** Booking ID → tally, of one partition of the booking topic. */
export type BookingTallies = ReadonlyMap<string, BookingTally>

/** The tally of a booking without facts yet. */
export const NO_TALLY: BookingTally = { seats: 0, confirmedSeats: 0, paidMinor: 0 }

/**
 * The tally of a booking after fact `b`, given its tally before. REJECTED facts (a refused request, whose
 * booking ID may be an existing booking's or be used again), waiting-list facts (no booking), CHECKED_IN
 * facts (whose `seats` are the seats one scan admitted, not the booking's) and TICKET_REISSUED facts (a
 * new code, nothing else) change nothing: `undefined`. A CONFIRMED booking with a pending top-up (`holdExpiresAtMs` set) keeps its
 * confirmed seats while `seats` counts the top-up's too.
 */
export function tallyAfter(b: BookingDomainEvent, before: BookingTally): BookingTally | undefined {
  if (
    b.bookingId === null ||
    b.type === 'REJECTED' ||
    b.type === 'CHECKED_IN' ||
    b.type === 'TICKET_REISSUED'
  )
    return undefined
  const active = b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED'
  return {
    seats: active ? b.seats : 0,
    confirmedSeats:
      b.status !== 'CONFIRMED' ? 0 : b.holdExpiresAtMs === null ? b.seats : before.confirmedSeats,
    paidMinor: b.paidMinor,
  }
}

/**
 * The tallies a batch is decoded against: reads see the batch's own changes first, then the partition's
 * tallies before it (never modified); writes go to `changed` only, for the caller to merge once the rows are
 * written, so a batch that fails to write leaves the partition's tallies as they were.
 */
export interface TallyOverlay {
  get(bookingId: string): BookingTally | undefined
  set(bookingId: string, t: BookingTally): void
  readonly changed: Map<string, BookingTally>
}

/** A fresh {@link TallyOverlay} on `tallies`. */
export function overlayOn(tallies: BookingTallies): TallyOverlay {
  const changed = new Map<string, BookingTally>()
  return {
    get: (id) => changed.get(id) ?? tallies.get(id),
    set: (id, t) => void changed.set(id, t),
    changed,
  }
}

/**
 * The booking tallies of partitions of the booking topic (`partitions`, each given a map, empty when it has
 * none) as of their committed offsets: the sums of the deltas stored with the facts below them (facts at or
 * above belong to an interrupted batch, which is written again). The committed offsets come from
 * `sink_offsets` in the same query, so the sink reads its offsets and these side by side: at a start each
 * round trip waited for a busy main thread.
 */
export async function readTallies(
  client: ClickHouseClient,
  database: string,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, Map<string, BookingTally>>> {
  const rows = await (
    await client.query({
      query: `SELECT source_partition AS partition, booking_id AS bookingId, sum(seats_delta) AS seats,
          sum(confirmed_seats_delta) AS confirmedSeats, sum(paid_delta_minor) AS paidMinor
        FROM ${database}.booking_facts AS f FINAL
        INNER JOIN (
          SELECT partition, max(next_offset) AS committed FROM ${database}.sink_offsets
          WHERE topic = {topic:String} AND kind = 'commit' AND partition IN {partitions:Array(UInt32)}
          GROUP BY partition
        ) AS c ON f.source_partition = c.partition
        WHERE f.booking_id != '' AND f.source_offset < c.committed
        GROUP BY source_partition, booking_id
        HAVING seats != 0 OR confirmedSeats != 0 OR paidMinor != 0`,
      query_params: { topic, partitions },
      // One JSON document: a single parse, where a row per line costs a parse per booking (100,000 active
      // bookings: 22-55 ms of this thread against 140-170 ms, at a restart's first requests).
      format: 'JSONCompact',
    })
  ).json<[number, string, number | string, number | string, number | string]>()
  const tallies = new Map(partitions.map((p) => [p, new Map<string, BookingTally>()]))
  // 100,000 rows take 90-200 ms of this thread, which the API or a start's warm-up shares: 2,000 at a time.
  for (const [i, [partition, bookingId, seats, confirmedSeats, paidMinor]] of rows.data.entries()) {
    if (i > 0 && i % 2_000 === 0) await new Promise((resolve) => setImmediate(resolve))
    tallies.get(Number(partition))!.set(bookingId, {
      seats: Number(seats),
      confirmedSeats: Number(confirmedSeats),
      paidMinor: Number(paidMinor),
    })
  }
  return tallies
}
