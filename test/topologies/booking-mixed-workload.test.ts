// The mixed crash run's workload and check (booking-mixed-workload.ts) on the in-memory topology: the same
// phases (the clock moved by the driver) agree with the reference model, and the check reports what the
// real-broker run must never show: a lost or changed outcome, a fact twice, a booking in another state.
import t from 'tap'
import type { RequestOutcome } from '../../avro/index.ts'
import { BookingHarness, bookingSerdes, T0 } from './booking-harness.ts'
import { checkMixed, mixedPlan, type MixedObserved } from './booking-mixed-workload.ts'

const SEED = Number(process.env.MIXED_WORKLOAD_SEED ?? Date.now() % 100_000)

t.test(
  'the mixed workload on the in-memory topology: the model’s outcomes, and a check that can fail',
  async (t) => {
    t.comment(`seed ${SEED} (replay: MIXED_WORKLOAD_SEED=${SEED})`)
    const plan = mixedPlan({ runId: 'w', seed: SEED, events: 8, steps: [150, 100], nowMs: T0 })
    const h = new BookingHarness(await bookingSerdes())
    t.teardown(() => h.close())
    for (const c of plan.eventCommands) if (!h.event(c).accepted) throw new Error(`${c.type} refused`)
    const outcomes: RequestOutcome[] = []
    for (const phase of plan.phases) {
      if (phase.kind === 'commands') for (const c of phase.sends) outcomes.push(h.booking(c))
      else if (phase.kind === 'payments')
        for (const p of phase.sends) h.payment(p.eventId, p.bookingId, p.status, p.amountMinor, p.paymentId)
      else h.driver.advanceWallClockTime(phase.ms)
    }
    const observed: MixedObserved = {
      commands: plan.phases.flatMap((p) => (p.kind === 'commands' ? p.sends : [])),
      payments: plan.phases.flatMap((p) => (p.kind === 'payments' ? p.sends : [])),
      outcomes,
      bookingEvents: h.bookingEvents.readKeyValuesToList().map(([, v]) => v!),
      eventEvents: h.eventEvents.readKeyValuesToList().map(([, v]) => v!),
      refunds: h.refunds.readKeyValuesToList().map(([, v]) => v!),
    }
    const report = checkMixed(plan, observed)
    t.same(report.problems, [], 'outcomes, bookings, waiting lists and seats are the model’s')
    for (const path of ['hold-expired', 'payment-failed', 'waitlist-offered', 'waitlist-offer-taken'])
      t.ok((report.paths.get(path) ?? 0) > 0, `${path} reached (${report.paths.get(path) ?? 0})`)

    const accepted = outcomes.findIndex((o) => o.accepted && o.commandType === 'booking.REQUEST')
    const flipped = { ...outcomes[accepted]!, accepted: false, reasonCode: 'NO_AVAILABLE_SEATS' }
    const held = observed.bookingEvents.findIndex((f) => f.type === 'HELD')
    const offered = observed.bookingEvents.findIndex((f) => f.type === 'WAITLIST_OFFERED')
    const cases: [string, Partial<MixedObserved>, RegExp][] = [
      ['a lost outcome', { outcomes: outcomes.slice(1) }, /outcome records/],
      [
        'a changed decision',
        { outcomes: outcomes.map((o, i) => (i === accepted ? flipped : o)) },
        /the model expects/,
      ],
      [
        'a fact twice',
        { bookingEvents: [...observed.bookingEvents, observed.bookingEvents[held]!] },
        /a fact twice/,
      ],
      [
        'a waiting-list offer twice',
        { bookingEvents: [...observed.bookingEvents, observed.bookingEvents[offered]!] },
        /waiting-list facts/,
      ],
      [
        'a lost fact',
        { bookingEvents: observed.bookingEvents.filter((f) => f.type !== 'EXPIRED') },
        /the facts say|seats held/,
      ],
    ]
    for (const [what, change, expected] of cases)
      t.match(
        checkMixed(plan, { ...observed, ...change }).problems.join('\n'),
        expected,
        `${what} is reported`,
      )
  },
)
