/**
 * Exactly once through real process kills: the analytics sink runs in a child process over chDB on a
 * folder (test/read-models/analytics/analytics-sink-app.ts), in batches of 3 records, and is killed with SIGKILL,
 * restarted and killed again: every other run right after a batch's facts landed and before its commit
 * row (the batch is written again on restart, and ClickHouse must drop it), the others at random moments
 * around their fact INSERTs (mostly during one); a last run catches up. Every fact count and every aggregate then equals the figures
 * computed from the scenario's own plan (runScenario), never from the topology's outputs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createClickHouse } from '../../../read-models/analytics/index.ts'
import { DEFAULT_TOPIC_NAMES } from '../../../topologies/index.ts'
import { seededRandom, sleep, startApp } from '../../support/processes.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  expectedSnapshot,
  runScenario,
  snapshot,
  sumDays,
} from './analytics-harness.ts'

const KILLS = Number(process.env.ANALYTICS_KILLS ?? 4)
const seed = Number(process.env.ANALYTICS_KILL_SEED ?? Date.now() % 100_000)
const APP = 'test/read-models/analytics/analytics-sink-app.ts'

t.test(`killing the sink mid-batch ${KILLS} times leaves every total exact (seed ${seed})`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-kill-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const p = new BookingPipeline(await analyticsSerdes(), join(dir, 'log'))
  const expected = runScenario(p, 12)
  let eventFacts = 0
  for (let partition = 0; partition < p.log.partitions(DEFAULT_TOPIC_NAMES.eventEvents); partition++)
    eventFacts += p.log.endOffset(DEFAULT_TOPIC_NAMES.eventEvents, partition)
  await p.close()

  const env = { DATA_DIR: dir, DATABASE: 'analytics_kill', BATCH: '3' }
  const random = seededRandom(seed)
  let landed = 0
  for (let kill = 0; kill < KILLS; kill++) {
    const at = 1 + Math.floor(random() * 12)
    // Every other run dies at the worst moment: its batch's facts landed, the commit row not written yet.
    const afterLanding = kill % 2 === 0
    const app = startApp(APP, afterLanding ? { ...env, STALL_AFTER_INSERT: String(at) } : env)
    await app.ready
    if (afterLanding) await app.waitFor<{ landed?: number }>((l) => l.landed === at, 60_000)
    else {
      await app.waitFor<{ inserting?: number; caughtUp?: boolean }>(
        (l) => (l.inserting ?? 0) >= at || l.caughtUp === true,
        60_000,
      )
      await sleep(random() * 20)
    }
    app.child.kill('SIGKILL')
    t.equal((await app.exited).signal, 'SIGKILL', `run ${kill + 1} killed`)
    t.equal(app.latest('caughtUp'), undefined, `run ${kill + 1} was still writing`)
    const inFlight = (app.latest<number>('inserting') ?? 0) > (app.latest<number>('inserted') ?? 0)
    if (afterLanding) {
      // Counted in ClickHouse at the stall: fact rows beyond the records the commit rows cover.
      const factRows = app.latest<number>('factRows') ?? 0
      const committedRecords = app.latest<number>('committedRecords') ?? Infinity
      t.ok(
        factRows > committedRecords,
        `run ${kill + 1}: ${factRows} fact rows, ${committedRecords} records committed: facts landed uncommitted`,
      )
      if (factRows > committedRecords) landed++
    }
    t.comment(
      `run ${kill + 1}: killed ${afterLanding ? 'after the facts of' : inFlight ? 'during' : 'after'} fact INSERT ${app.latest('inserting')}${afterLanding ? ', before its commit' : ''}`,
    )
  }
  t.equal(landed, Math.ceil(KILLS / 2), `${landed} kills after the facts landed and before the commit`)

  const last = startApp(APP, env)
  await last.ready
  await last.waitFor<{ caughtUp?: boolean }>((l) => l.caughtUp === true, 120_000)
  last.child.kill('SIGTERM')
  t.equal((await last.exited).code, 0, 'the last run catches up and stops cleanly')

  const client = createClickHouse({ path: join(dir, 'clickhouse') })
  t.teardown(() => client.close())
  const got = await snapshot(client, 'analytics_kill')
  const want = expectedSnapshot(expected)
  t.same(got.eventDays, want.eventDays, 'per event and day')
  t.same(got.platformDays, want.platformDays, 'platform-wide per day')
  t.same(got.eventMonths, want.eventMonths, 'per event and month')
  t.same(got.organizers, want.organizers, 'per organizer')
  t.same(got.priceOptions, want.priceOptions, 'revenue by price option')
  t.same(got.promos, want.promos, 'promo uses')
  t.same(got.refunds, want.refunds, 'refunds by reason')
  t.same(got.types, want.types, 'bookings by fact type')
  t.same(got.platformTypes, want.platformTypes, 'bookings by fact type, platform-wide')
  const all = sumDays(expected, () => true)
  t.same(
    got.facts,
    [
      {
        booking: expected.bookingFacts,
        views: all.views,
        favorites: all.favoritesAdded + all.favoritesRemoved,
        refunds: all.refunds,
        payments: all.paymentsCompleted + all.paymentsFailed,
        events: eventFacts,
      },
    ],
    'one fact row per record, none twice (counted without FINAL)',
  )
})
