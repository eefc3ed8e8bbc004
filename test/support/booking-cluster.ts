/**
 * The booking pipeline on a real broker as the crash tests run it: instances of test/support/booking-app.ts
 * as child processes on the run's own topics (own-topics.ts) under one application ID, and the output
 * reader (read_committed) the tests check with. Kills land mid-work: `killHolding` has an instance hold a
 * transaction with output written (commit-hold.ts), reads the last stable offsets while it is still open,
 * then kills the instance with SIGKILL and checks that the held output sat above them.
 */
import type { Kafka } from 'kafkajs'
import type { Test } from 'tap'
import type { EventCommand } from '../../avro/index.ts'
import type { BookingSerdes } from '../../topologies/index.ts'
import { BookingOutputReader, createAppTopics, endOffsets } from './booking-load.ts'
import type { HeldRecord, Holding } from './commit-hold.ts'
import { brokers, committedOffsetSum, deleteTopicsMatching, kafkaClient, produce } from './kafka.ts'
import { RUN_TOPIC_PREFIX, RUN_TOPICS } from './own-topics.ts'
import { startApp, terminate, type AppProcess } from './processes.ts'

/** The booking topology's tasks on the run's topics. */
export const ALL_TASKS = 12

/** A share of the tasks: some, not all. */
export const share = (n: number): boolean => n > 0 && n < ALL_TASKS

export class BookingCluster {
  readonly appId: string
  readonly kafka: Kafka
  readonly reader: BookingOutputReader
  readonly apps: AppProcess[] = []
  readonly #names = new Map<AppProcess, string>()
  readonly #env: { [key: string]: string }

  private constructor(
    appId: string,
    serdes: BookingSerdes,
    eventIds: ReadonlySet<string>,
    env: { [key: string]: string },
  ) {
    this.appId = appId
    this.kafka = kafkaClient(appId)
    this.reader = new BookingOutputReader(this.kafka, `${appId}-reader`, serdes, eventIds)
    this.#env = {
      // The brokers the test's own clients use: an app started without them would run on the embedded
      // log in the checkout's `.data/` instead (and two instances would meet DATA_DIR_LOCKED).
      KAFKA_BROKERS: brokers().join(','),
      APPLICATION_ID: appId,
      KAFKA_TOPIC_PREFIX: RUN_TOPIC_PREFIX,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
      ...env,
    }
  }

  /**
   * Creates the run's topics and the app's changelogs ahead (see createAppTopics) and starts the reader at
   * their end; the test's teardown kills what still runs and deletes the run's topics and groups.
   */
  static async start(
    t: Test,
    options: {
      appId: string
      serdes: BookingSerdes
      eventIds: ReadonlySet<string>
      env?: { [key: string]: string }
    },
  ): Promise<BookingCluster> {
    const cluster = new BookingCluster(options.appId, options.serdes, options.eventIds, options.env ?? {})
    const admin = cluster.kafka.admin()
    t.teardown(async () => {
      for (const app of cluster.live()) app.child.kill('SIGKILL')
      await cluster.reader.stop().catch(() => undefined)
      await deleteTopicsMatching(options.appId).catch(() => undefined)
      await deleteTopicsMatching(RUN_TOPIC_PREFIX).catch(() => undefined)
      await admin.deleteGroups([options.appId, `${options.appId}-reader`]).catch(() => undefined)
      await admin.disconnect()
    })
    await admin.connect()
    await createAppTopics(cluster.kafka, options.appId, options.serdes)
    await cluster.reader.start(await endOffsets(cluster.kafka, cluster.reader.topics))
    return cluster
  }

  nameOf(app: AppProcess): string {
    return this.#names.get(app) ?? '?'
  }

  /** The instances not exited. */
  live(): AppProcess[] {
    return this.apps.filter((a) => a.child.exitCode === null && a.child.signalCode === null)
  }

  /** Starts an instance and waits until it is ready. */
  async launch(name: string): Promise<AppProcess> {
    const app = startApp('test/support/booking-app.ts', this.#env)
    this.apps.push(app)
    this.#names.set(app, name)
    await app.ready
    return app
  }

  /** Waits until `app` runs a number of tasks that satisfies `test`; a timeout names the apps' tasks and errors. */
  async tasksOf(app: AppProcess, test: (n: number) => boolean, what: string): Promise<void> {
    try {
      await app.waitFor<{ tasks?: string[] }>((l) => l.tasks !== undefined && test(l.tasks.length), 90_000)
    } catch {
      const state = this.apps
        .map((p) => `${this.nameOf(p)}: ${JSON.stringify(p.latest('tasks') ?? null)}`)
        .join(', ')
      const errors = app
        .stderr()
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l))
        .slice(-5)
      throw new Error(
        `${this.nameOf(app)}: ${what} not seen within 90 s; tasks ${state}\n${errors.join('\n')}`,
      )
    }
  }

  /** Produces the event commands and checks that every one was accepted. */
  async publishEvents(t: Test, serdes: BookingSerdes, commands: readonly EventCommand[]): Promise<void> {
    await produce(
      RUN_TOPICS.eventCommands,
      commands.map((c) => ({
        key: c.eventId,
        value: serdes.eventCommand.serialize(RUN_TOPICS.eventCommands, c),
      })),
    )
    const requests = new Set(commands.map((c) => c.requestId))
    const mine = () => this.reader.outcomes.filter((o) => requests.has(o.requestId))
    t.ok(
      await this.reader.waitFor(() => mine().length >= requests.size, { timeoutMs: 60_000, settleMs: 0 }),
      'the events are created and published',
    )
    t.same(
      mine().filter((o) => !o.accepted),
      [],
      'no event command refused',
    )
  }

  /**
   * Kills `victim` with SIGKILL while it holds a transaction with output written, and checks the kill
   * landed: the booking commands committed are strictly between `from` and `to`, and every held batch sat
   * above the last stable offsets (read while the transaction was open: once the victim is dead, another
   * instance takes its tasks as soon as its session expires and fences the transaction, which on a busy
   * machine can come before a read made after the kill). Returns the held records, which must never be
   * delivered.
   */
  async killHolding(
    t: Test,
    victim: AppProcess,
    from: number,
    to: number,
    what: string,
  ): Promise<HeldRecord[]> {
    victim.child.kill('SIGUSR2')
    const { holding } = await victim.waitFor<{ holding?: Holding }>((l) => l.holding !== undefined, 60_000)
    const stable = await endOffsets(this.kafka, this.reader.topics)
    victim.child.kill('SIGKILL')
    await victim.exited
    const committed = await committedOffsetSum(this.appId, RUN_TOPICS.bookingCommands)
    t.ok(
      committed > from && committed < to,
      `${what}: ${this.nameOf(victim)} killed with the booking commands committed above ${from} and below ${to} (${committed})`,
    )
    const held = holding!.records.filter((r) => this.reader.topics.includes(r.topic))
    const stableOf = (r: HeldRecord): number =>
      Number(
        stable.find((e) => e.topic === r.topic)?.partitions.find((p) => p.partition === r.partition)
          ?.offset ?? 0,
      )
    const stableAbove = held.filter((r) => stableOf(r) > r.baseOffset)
    t.ok(
      held.length > 0 && stableAbove.length === 0,
      `${what}: killed holding ${held.length} output batches written above the last stable offsets`,
      { stableAbove: stableAbove.map((r) => ({ ...r, stable: stableOf(r) })), tasks: victim.latest('tasks') },
    )
    return held
  }

  /**
   * Stops every live instance with SIGTERM (each must exit 0 within 30 s), then reads the output to the
   * topics' end offsets and checks that none of the `held` records was delivered: every check after this
   * reads a log no instance writes any more.
   */
  async stopAndReadToEnd(t: Test, held: readonly HeldRecord[]): Promise<void> {
    await terminate(t, this.live(), (app) => this.nameOf(app))
    await this.reader.readTo(await endOffsets(this.kafka, this.reader.topics), 60_000)
    t.same(
      held.filter((r) => this.reader.delivered.has(`${r.topic}:${r.partition}:${r.baseOffset}`)),
      [],
      'none of the records the killed transactions wrote was delivered',
    )
  }
}
