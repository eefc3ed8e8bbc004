/**
 * Fills a data folder for `npm run bench:restart`: the embedded service in this process (DATA_DIR from the
 * environment), `BENCH_RESTART_EVENTS` published events, then `BENCH_RESTART_COMMANDS` booking requests
 * produced straight into the log through the API's command producer (the path an HTTP request takes after
 * validation), until the catalog shows every decision. Prints `{"filled":true}` and waits to be killed.
 */
import { randomUUID } from 'node:crypto'
import { flushCompileCache } from 'node:module'
import pino from 'pino'
import { loadConfig, serviceConfig } from '../../infra/config.ts'
import { startService } from '../../infra/service.ts'
import { bookingCommand, eventCommand } from '../../query-api/commands/command-builders.ts'
import { signDevToken } from '../../query-api/index.ts'
import { sleep } from './report.ts'

const EVENTS = Number(process.env.BENCH_RESTART_EVENTS ?? 50)
const COMMANDS = Number(process.env.BENCH_RESTART_COMMANDS ?? 100_000)
const DAY = 86_400_000

const config = serviceConfig(loadConfig({ ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'warn' }))
const service = await startService(config, pino({ level: 'warn' }, pino.destination(2)))
// The filled folder stands for a service killed while it ran: that service had written Node's compile cache
// as it started (main.ts; the bench runs this filler with the cache main.ts uses).
flushCompileCache()
const commands = service.api.commands
const organizer = { userId: 'bench-org', role: 'ORGANIZER' as const }
const eventIds = Array.from({ length: EVENTS }, (_, i) => `bench-restart-${i}`)
const startsAtMs = Date.now() + 60 * DAY
/** The request ID of the last command sent: once it is decided, so is everything before it. */
let last = ''
for (const eventId of eventIds) {
  const envelope = () => ({ requestId: (last = randomUUID()), eventId, actor: organizer })
  await commands.sendEventCommand(
    eventCommand(envelope(), 'CREATE', {
      create: {
        organizerId: null,
        title: `Bench event ${eventId}`,
        description: 'An event of the restart benchmark.',
        startsAtMs,
        endsAtMs: startsAtMs + DAY,
        place: 'Карелия, причал',
        categories: ['rafting'],
        capacity: 10_000,
        holdMinutes: null,
        bookingDeadlineHours: null,
        locale: 'ru-RU',
      },
    }),
  )
  await commands.sendEventCommand(
    eventCommand(envelope(), 'ADD_PRICE_OPTION', {
      priceOption: {
        priceOptionId: 'std',
        name: 'Standard',
        priceMinor: 300_000,
        allotment: 10_000,
        validFromMs: null,
        validUntilMs: null,
      },
    }),
  )
  await commands.sendEventCommand(eventCommand(envelope(), 'PUBLISH', { publish: { publishAtMs: null } }))
}
for (let i = 0; i < COMMANDS; i++) {
  const eventId = eventIds[i % EVENTS]!
  last = `fill-${i}`
  await commands.sendBookingCommand(
    bookingCommand(
      { requestId: last, eventId, actor: { userId: `fill-user-${i}`, role: 'USER' } },
      'REQUEST',
      {
        request: {
          bookingId: `fill-b-${i}`,
          userId: `fill-user-${i}`,
          priceOptionId: 'std',
          seats: 1,
          promoCode: null,
        },
      },
    ),
  )
}
// Wait until the catalog shows the last request decided (the events' tasks decide in order; the last
// event's commands come last).
const admin = await signDevToken(
  config.authJwtSecret,
  { sub: 'bench-admin', role: 'admin', amr: ['mfa'] },
  { issuer: config.authJwtIssuer, audience: config.authJwtAudience },
)
for (let decided = false; !decided; await sleep(200)) {
  // The pipeline may hold the event loop for seconds while it works through the backlog: a poll that
  // cannot connect in time is asked again.
  const res = await fetch(`${service.api.url}/api/v1/requests/${last}`, {
    headers: { authorization: `Bearer ${admin}` },
  }).catch(() => undefined)
  decided = res?.status === 200 && ((await res.json()) as { status: string }).status !== 'PENDING'
}
// And until the analytics sink has written all of it (it catches a backlog up at 2,000 records a second,
// a few minutes for this fill): the restart then starts with nothing behind, as after a kill of a service
// that kept up.
await (await service.analyticsStarted).caughtUp(30 * 60_000)
process.stdout.write(`${JSON.stringify({ filled: true, commands: COMMANDS, events: EVENTS })}\n`)
setInterval(() => {}, 60_000)
