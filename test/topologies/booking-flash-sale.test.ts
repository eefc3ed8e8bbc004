/**
 * A flash sale on the real broker with EOS: 20 events (capacity 100 to 1,000), then 50,000 booking
 * requests from 20,000 users, 5% of the request IDs sent twice, on two instances of the booking
 * pipeline (`test/support/booking-app.ts`, i.e. `startPipeline`), one killed with SIGKILL mid-run and
 * restarted. Over all outputs, read with read_committed: per event, confirmed + pending seats =
 * min(demand, capacity); one outcome per request ID (a repeat re-emits the identical record, nothing
 * else); no user with two active bookings on an event; every notification exactly once.
 *
 * The booking topics have fixed names (infra/topics.ts): the run uses its own event, booking and
 * request IDs, its own application ID (consumer group, transactional IDs, changelogs), and starts the
 * application and the reader at the topics' current end, so earlier runs' records are not replayed.
 */
import t from 'tap'
import { loadConfig } from '../../infra/config.ts'
import { schemaRegistryFor } from '../../infra/serdes.ts'
import { createBookingSerdes } from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import {
  BookingOutputReader,
  checkFlashSale,
  createAppTopics,
  commitGroupOffsets,
  endOffsets,
  expectFlashSale,
  flashSalePlan,
} from '../support/booking-load.ts'
import { deleteTopicsMatching, kafkaClient, produce, requireKafka } from '../support/kafka.ts'
import { sleep, startApp, type AppProcess } from '../support/processes.ts'

const REQUESTS = Number(process.env.FLASH_SALE_REQUESTS ?? 50_000)
const USERS = Number(process.env.FLASH_SALE_USERS ?? 20_000)
const SEED = Number(process.env.FLASH_SALE_SEED ?? Date.now() % 100_000)
const ALL_TASKS = 12

t.test(
  'flash sale on two instances, one killed with SIGKILL and restarted: no oversell, exactly once',
  async (t) => {
    await requireKafka()
    const runId = `fs${Date.now().toString(36)}`
    const appId = `booking-flash-sale-${runId}`
    const serdes = createBookingSerdes(schemaRegistryFor(loadConfig()))
    await serdes.init()
    const plan = flashSalePlan({
      runId,
      requests: REQUESTS,
      users: USERS,
      seed: SEED,
      // Smaller runs (FLASH_SALE_REQUESTS) keep the demand/capacity ratio of 50,000 requests.
      capacity: (i, n) =>
        Math.max(3, Math.round((100 + (900 * i) / (n - 1)) * Math.min(1, REQUESTS / 50_000))),
    })
    const expected = expectFlashSale(plan)
    t.comment(
      `run ${runId} (FLASH_SALE_SEED=${SEED}): ${plan.events.length} events, capacity ${plan.events.reduce((s, e) => s + e.capacity, 0)}, ` +
        `${plan.requests} requests (${plan.secondRequests} second requests, ${plan.repeated} sent twice), ` +
        `${plan.sends.length} records`,
    )

    const kafka = kafkaClient('flash-sale')
    const admin = kafka.admin()
    const reader = new BookingOutputReader(
      kafka,
      `${appId}-reader`,
      serdes,
      new Set(plan.events.map((e) => e.eventId)),
    )
    const apps: AppProcess[] = []
    t.teardown(async () => {
      for (const app of apps)
        if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL')
      await reader.stop().catch(() => undefined)
      await deleteTopicsMatching(appId).catch(() => undefined)
      await admin.deleteGroups([appId, `${appId}-reader`]).catch(() => undefined)
      await admin.disconnect()
    })
    await admin.connect()
    // The run starts at the end of the shared topics: the app's group and the reader are seeded there.
    // Its changelogs are created ahead (see createAppTopics).
    await createAppTopics(kafka, appId, serdes)
    const sources = [
      DEFAULT_TOPIC_NAMES.eventCommands,
      DEFAULT_TOPIC_NAMES.bookingCommands,
      DEFAULT_TOPIC_NAMES.paymentStatus,
      DEFAULT_TOPIC_NAMES.crewStatus,
    ]
    await commitGroupOffsets(kafka, appId, await endOffsets(kafka, sources))
    await reader.start(await endOffsets(kafka, BookingOutputReader.TOPICS))

    const env = { APPLICATION_ID: appId, KAFKA_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn' }
    const names = new Map<AppProcess, string>()
    /** Waits until `app` runs a number of tasks that satisfies `test`; a timeout names the apps' tasks and errors. */
    const tasksOf = async (app: AppProcess, test: (n: number) => boolean, what: string): Promise<void> => {
      try {
        await app.waitFor<{ tasks?: string[] }>((l) => l.tasks !== undefined && test(l.tasks.length), 90_000)
      } catch {
        const state = apps
          .map((p) => `${names.get(p)}: ${JSON.stringify(p.latest('tasks') ?? null)}`)
          .join(', ')
        const errors = app
          .stderr()
          .split('\n')
          .filter((l) => /"level":(50|60)/.test(l))
          .slice(-5)
        throw new Error(
          `${names.get(app)}: ${what} not seen within 90 s; tasks ${state}\n${errors.join('\n')}`,
        )
      }
    }
    const a = startApp('test/support/booking-app.ts', env)
    apps.push(a)
    names.set(a, 'A')
    await a.ready
    const b = startApp('test/support/booking-app.ts', env)
    apps.push(b)
    names.set(b, 'B')
    await b.ready
    const share = (n: number): boolean => n > 0 && n < ALL_TASKS
    await tasksOf(b, share, 'a share of the tasks')
    await tasksOf(a, share, 'a share of the tasks')
    t.pass('two instances share the tasks')

    await produce(
      DEFAULT_TOPIC_NAMES.eventCommands,
      plan.eventCommands.map((c) => ({
        key: c.eventId,
        value: serdes.eventCommand.serialize(DEFAULT_TOPIC_NAMES.eventCommands, c),
      })),
    )
    const eventRequests = new Set(plan.eventCommands.map((c) => c.requestId))
    const setUp = await reader.waitFor(
      () => reader!.outcomes.filter((o) => eventRequests.has(o.requestId)).length >= eventRequests.size,
      { timeoutMs: 60_000, settleMs: 0 },
    )
    t.ok(setUp, 'the events are created and published')
    const refusedSetUp = reader.outcomes.filter((o) => eventRequests.has(o.requestId) && !o.accepted)
    t.same(refusedSetUp, [], 'no event command refused')

    const started = Date.now()
    const producing = produce(
      DEFAULT_TOPIC_NAMES.bookingCommands,
      plan.sends.map((c) => ({
        key: c.eventId,
        value: serdes.bookingCommand.serialize(DEFAULT_TOPIC_NAMES.bookingCommands, c),
      })),
      { chunk: 2000, pauseMs: 300 },
    )
    await sleep(3000)
    const decidedAtKill = new Set(reader.outcomes.map((o) => o.requestId)).size
    a.child.kill('SIGKILL')
    await a.exited
    t.comment(
      `instance A killed with SIGKILL ${Date.now() - started} ms into the sale (${decidedAtKill} outcomes read)`,
    )
    await tasksOf(b, (n) => n === ALL_TASKS, 'every task')
    t.pass('the survivor runs every task after the kill')
    const c = startApp('test/support/booking-app.ts', env)
    apps.push(c)
    names.set(c, 'C (A restarted)')
    await c.ready
    await tasksOf(c, share, 'a share of the tasks')
    t.pass('the restarted instance takes tasks back')
    await producing
    t.comment(`all ${plan.sends.length} records produced ${Date.now() - started} ms into the sale`)

    const decided = (): number => {
      const ids = new Set<string>()
      for (const o of reader!.outcomes) if (o.commandType === 'booking.REQUEST') ids.add(o.requestId)
      return ids.size
    }
    const complete = await reader.waitFor(() => decided() >= plan.requests, {
      timeoutMs: 150_000,
      settleMs: 3000,
    })
    const elapsed = Date.now() - started
    t.ok(complete, `every request decided (${decided()} of ${plan.requests} after ${elapsed} ms)`)
    t.comment(
      `${Math.round((plan.sends.length / (reader.lastAt - started)) * 1000)} commands/s from the first send to the last ` +
        'output, kill and rebalances included',
    )

    const report = checkFlashSale(plan, expected, reader)
    t.same(report.problems, [], 'outputs exact over the whole sale')
    t.equal(report.outcomeRecords, plan.sends.length, 'one outcome record per record sent')
    t.equal(report.notificationRecords, expected.notifications.size, 'one notification per cause')
    t.ok(
      report.perEvent.some((e) => e.demand > e.capacity) &&
        report.perEvent.some((e) => e.demand < e.capacity),
      'some events sell out, some do not',
    )
    t.comment(
      `accepted ${report.accepted}, refused ${JSON.stringify(report.refused)}; per event seats/min(demand, capacity): ` +
        report.perEvent.map((e) => `${e.seats}/${e.expected}`).join(' '),
    )

    for (const app of [b, c]) app.child.kill('SIGTERM')
    const stopped = Promise.all([b.exited, c.exited])
    let timer: NodeJS.Timeout | undefined
    const late = await Promise.race([
      stopped.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 30_000))),
    ])
    clearTimeout(timer)
    if (late)
      t.fail(
        `an instance did not stop within 30 s of SIGTERM:\n${b.stderr().slice(-3000)}\n${c.stderr().slice(-3000)}`,
      )
    const [bExit, cExit] = await stopped
    t.equal(bExit.code, 0, 'the survivor stops cleanly')
    t.equal(cExit.code, 0, 'the restarted instance stops cleanly')
  },
)
