/**
 * A mixed run on the real broker with EOS, checked against the reference model (booking-model.ts): 16
 * published events (capacity 16 to 39, a paid option and a free one, a promo code), then the phases of
 * booking-mixed-workload.ts: multi-seat requests, waiting-list joins and leaves, cancels, repeats; payment
 * statuses (completed, over- and under-paid, failed, redelivered, unknown booking); every unpaid hold
 * expired; late payments; the offers taken; the offers lapsed. Two instances of the booking pipeline
 * (`test/support/booking-app.ts`) run it; one is killed with SIGKILL during phase 1 and one during phase 5,
 * each replaced by a new instance. After every instance stopped, the input topics are read back and replayed
 * on fresh models, and every output topic is read with read_committed to its end offsets: each booking
 * command sent n times has n identical outcome records with the model's decision (accepted, or refused with
 * the model's reason); per event the bookings the facts tell of are the model's (status, seats, amounts,
 * paid, refunded), the waiting-list facts are the model's, seats held = the model's figure <= capacity,
 * DESIGN.md's invariants hold (booking-fact-recount.ts), and no fact appears twice.
 *
 * Why the model's prediction is deterministic although the pipeline decides at wall-clock times:
 * - Order. An event's inputs are one key, one partition of each input topic, and each phase sends to one
 *   topic only; the next phase is sent once the app's committed offsets on the phase's topic reach its end
 *   (EOS: its outputs are committed with them). So the ledger decides an event's inputs in partition order,
 *   phase by phase, and the model replays that order, read back from the topics.
 * - Time. Holds last 5 minutes, offers 30; events start in 30 days with a 1-hour deadline, so refunds are
 *   100% and booking stays open; nothing comes due by the wall clock in the run (it is checked to take less
 *   than 4 minutes). The pipeline's clock is the wall clock plus a skip (CLOCK_SKIP_FILE, read by every
 *   instance, restarted ones included) that the test moves forward by 6 minutes after the first payments
 *   (every unpaid hold is due, no offer is) and by 31 more after phase 5 (the offers and phase 5's holds are
 *   due); the models advance by the same amounts. Only hold and offer expiry instants differ, and they are
 *   not compared. The test waits for the facts the model expects each clock move to cause.
 *
 * Each kill lands mid-work, as in booking-flash-sale.test.ts: the instance is killed once it reported
 * commits of the phase, while it holds a transaction whose output the broker acknowledged (commit-hold.ts);
 * after the kill, the group's committed offsets on the booking commands are above the phase's start and
 * below its end, the held batches sit at or above the last stable offsets read before the kill, and none of
 * them is read at the end.
 * Checked by hand on 2026-12-05 (MIXED_CRASH_SEED=3499, edits not kept): the second kill moved after phase 5
 * was decided and committed, and the first moved before phase 1's first record was sent, each fail with
 * "no instance committed work of the phase in 30 s" (no transaction of the phase is left to hold); the same
 * kills made at once with a plain SIGKILL (no wait, no hold) fail "committed above 2399 and below 3998
 * (3998)" and "above 0 and below 2399 (0)", and "killed holding 0 output batches". A planted ledger bug
 * (offers to others not held back in seat-checks.ts) fails the clock moves' waits and the model comparison.
 * Replay a run: MIXED_CRASH_SEED=<seed> (printed). The run has topics of its own (KAFKA_TOPIC_PREFIX,
 * own-topics.ts), its own application ID (consumer group, transactional IDs, changelogs) and IDs.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type {
  BookingCommand,
  EventDomainEvent,
  PaymentStatusChanged,
  RefundRequest,
} from '../../avro/index.ts'
import { loadConfig } from '../../infra/config.ts'
import { schemaRegistryFor } from '../../infra/serdes.ts'
import { createBookingSerdes } from '../../topologies/booking-topology.ts'
import { ALL_TASKS, BookingCluster, share } from '../support/booking-cluster.ts'
import type { HeldRecord } from '../support/commit-hold.ts'
import { committedOffsetSum, produce, readToEnd, requireKafka } from '../support/kafka.ts'
import { RUN_TOPICS } from '../support/own-topics.ts'
import { sleep, type AppProcess } from '../support/processes.ts'
import { checkMixed, mixedPlan, type Phase } from './booking-mixed-workload.ts'

const SEED = Number(process.env.MIXED_CRASH_SEED ?? Date.now() % 100_000)
/** The margin of the time argument above: holds last 5 minutes on the wall clock. */
const MAX_RUN_MS = 4 * 60_000

t.test(
  'mixed bookings, payments, expiry, cancels and the waiting list, two SIGKILLs: the reference model’s outcomes',
  async (t) => {
    await requireKafka()
    const started = Date.now()
    const runId = `mx${Date.now().toString(36)}`
    const appId = `booking-mixed-crash-${runId}`
    const serdes = createBookingSerdes(schemaRegistryFor(loadConfig()), RUN_TOPICS)
    await serdes.init()
    const plan = mixedPlan({ runId, seed: SEED, events: 16, steps: [150, 100], nowMs: Date.now() })
    const sizes = plan.phases.map((p) => (p.kind === 'clock' ? `+${p.ms / 60_000} min` : p.sends.length))
    t.comment(
      `run ${runId} (replay: MIXED_CRASH_SEED=${SEED} npx tap test/topologies/booking-mixed-crash.test.ts): ` +
        `${plan.configs.length} events, phases ${sizes.join(', ')}`,
    )

    const skipDir = mkdtempSync(join(tmpdir(), 'mixed-crash-'))
    t.teardown(() => rmSync(skipDir, { recursive: true, force: true }))
    const skipFile = join(skipDir, 'clock-skip')
    let skipMs = 0
    /** Moves every instance's clock forward (atomically: a reader never sees a partial write). */
    const skipClock = (ms: number): void => {
      skipMs += ms
      writeFileSync(`${skipFile}.tmp`, String(skipMs))
      renameSync(`${skipFile}.tmp`, skipFile)
    }
    const cluster = await BookingCluster.start(t, {
      appId,
      serdes,
      eventIds: new Set(plan.configs.map((c) => c.eventId)),
      env: { CLOCK_SKIP_FILE: skipFile },
    })
    const { reader } = cluster
    const a = await cluster.launch('A')
    const b = await cluster.launch('B')
    await cluster.tasksOf(b, share, 'a share of the tasks')
    await cluster.tasksOf(a, share, 'a share of the tasks')
    await cluster.publishEvents(t, serdes, plan.eventCommands)

    /** Waits until the app's committed offsets on `topic` reach `total` (the phase is decided and committed). */
    const committedTo = async (topic: string, total: number, what: string): Promise<void> => {
      const deadline = Date.now() + 90_000
      for (;;) {
        const committed = await committedOffsetSum(appId, topic)
        if (committed >= total) return
        if (Date.now() > deadline) throw new Error(`${what}: ${committed} of ${total} committed after 90 s`)
        await sleep(200)
      }
    }

    /**
     * Kills, mid-phase, the first live instance that commits work of the phase, holding a transaction with
     * output written (BookingCluster.killHolding checks the kill landed); replaces the instance. `from`/`to`:
     * the booking commands committed before the phase and once it is done.
     */
    const killMidPhase = async (phase: string, from: number, to: number, replacement: string) => {
      const before = new Map(cluster.live().map((app) => [app, app.latest<number>('commits') ?? 0]))
      const busy = (): AppProcess | undefined =>
        [...before].find(([app, commits]) => (app.latest<number>('commits') ?? 0) > commits + 2)?.[0]
      const deadline = Date.now() + 30_000
      while (busy() === undefined) {
        if (Date.now() > deadline)
          throw new Error(`${phase}: no instance committed work of the phase in 30 s`)
        await sleep(20)
      }
      const held = await cluster.killHolding(t, busy()!, from, to, phase)
      const survivor = cluster.live()[0]!
      await cluster.tasksOf(survivor, (n) => n === ALL_TASKS, 'every task')
      const next = await cluster.launch(replacement)
      await cluster.tasksOf(next, share, 'a share of the tasks')
      return held
    }

    const held: HeldRecord[] = []
    let commandsSent = 0
    let paymentsSent = 0
    const replacements = ['C', 'D']
    const inputs: { commands: BookingCommand[]; payments: PaymentStatusChanged[] } = {
      commands: [],
      payments: [],
    }
    for (const [index, phase] of plan.phases.entries()) {
      const label = `phase ${index + 1}`
      if (phase.kind === 'clock') {
        skipClock(phase.ms)
        const count = (type: string): number => reader.bookingEvents.filter((f) => f.type === type).length
        const due = (p: Extract<Phase, { kind: 'clock' }>): boolean =>
          count('EXPIRED') >= p.expired &&
          count('WAITLIST_OFFERED') >= p.offered &&
          count('WAITLIST_OFFER_EXPIRED') >= p.offersLapsed
        t.ok(
          await reader.waitFor(() => due(phase), { timeoutMs: 60_000, settleMs: 500 }),
          `${label}: the clock moved ${phase.ms / 60_000} min: ${phase.expired} holds expired, ${phase.offered} ` +
            `offers made, ${phase.offersLapsed} lapsed so far (seen ${count('EXPIRED')}, ` +
            `${count('WAITLIST_OFFERED')}, ${count('WAITLIST_OFFER_EXPIRED')})`,
        )
        continue
      }
      if (phase.kind === 'payments') {
        inputs.payments.push(...phase.sends)
        await produce(
          RUN_TOPICS.paymentStatus,
          phase.sends.map((p) => ({
            key: p.eventId,
            value: serdes.paymentStatus.serialize(RUN_TOPICS.paymentStatus, p),
          })),
        )
        paymentsSent += phase.sends.length
        await committedTo(RUN_TOPICS.paymentStatus, paymentsSent, label)
        continue
      }
      inputs.commands.push(...phase.sends)
      const from = commandsSent
      commandsSent += phase.sends.length
      const producing = produce(
        RUN_TOPICS.bookingCommands,
        phase.sends.map((c) => ({
          key: c.eventId,
          value: serdes.bookingCommand.serialize(RUN_TOPICS.bookingCommands, c),
        })),
        { chunk: 150, pauseMs: 200 },
      )
      held.push(...(await killMidPhase(label, from, commandsSent, replacements.shift()!)))
      await producing
      await committedTo(RUN_TOPICS.bookingCommands, commandsSent, label)
    }
    const elapsed = Date.now() - started
    t.ok(elapsed < MAX_RUN_MS, `the phases took ${elapsed} ms, within the time argument's margin`)

    // Every check from here on reads after all instances stopped, to the topics' end offsets.
    await cluster.stopAndReadToEnd(t, held)
    const decode = async <T>(topic: string, serde: { deserialize(topic: string, data: Buffer): T }) =>
      (await readToEnd(topic, { timeoutMs: 60_000 })).messages.map((m) => serde.deserialize(topic, m.value!))
    const eventIds = new Set(plan.configs.map((c) => c.eventId))
    const mine = <T extends { eventId: string }>(xs: T[]): T[] => xs.filter((x) => eventIds.has(x.eventId))
    const commands = mine(await decode(RUN_TOPICS.bookingCommands, serdes.bookingCommand))
    const payments = mine(await decode(RUN_TOPICS.paymentStatus, serdes.paymentStatus))
    t.equal(commands.length, inputs.commands.length, 'every booking command sent is read back')
    t.equal(payments.length, inputs.payments.length, 'every payment status sent is read back')
    const report = checkMixed(plan, {
      commands,
      payments,
      outcomes: reader.outcomes,
      bookingEvents: reader.bookingEvents,
      eventEvents: mine(await decode<EventDomainEvent>(RUN_TOPICS.eventEvents, serdes.eventEvent)),
      refunds: mine(await decode<RefundRequest>(RUN_TOPICS.refundRequests, serdes.refundRequest)),
    })
    t.same(report.problems, [], 'outcomes, bookings, waiting lists and seats are the reference model’s')
    t.equal(
      reader.outcomes.filter((o) => o.commandType.startsWith('booking.')).length,
      commands.length,
      'one outcome record per booking command sent',
    )
    // The run reaches the rules it claims to test.
    const paths = report.paths
    for (const path of [
      'hold-expired',
      'payment-failed',
      'late-payment-confirmed',
      'waitlist-joined',
      'waitlist-offered',
      'waitlist-offer-taken',
      'waitlist-offer-expired',
      'cancel-tier-100',
      'sold-out-refused',
      'repeated-command',
    ])
      t.ok((paths.get(path) ?? 0) > 0, `${path} reached (${paths.get(path) ?? 0} times)`)
    t.ok(report.multiSeatAccepted > 0, `${report.multiSeatAccepted} multi-seat requests accepted`)
    t.comment(`decisions ${JSON.stringify(Object.fromEntries(report.decisions))}`)
    t.comment(`paths ${JSON.stringify(Object.fromEntries(paths))}`)
    t.comment(`seats/capacity per event: ${report.perEvent.map((e) => `${e.seats}/${e.capacity}`).join(' ')}`)
    t.comment(`run ${Date.now() - started} ms`)
  },
)
