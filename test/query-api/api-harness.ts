// The whole service in-process for API tests: the booking topology on an in-memory embedded log, the read
// model on in-memory PGlite fed by the embedded projection, and the Fastify app on top (inject only).
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import { TOPICS } from '../../infra/topics.ts'
import { buildApp, type BuildAppOptions } from '../../query-api/app.ts'
import { signDevToken } from '../../query-api/auth.ts'
import { CommandProducer } from '../../query-api/commands/command-producer.ts'
import { EmbeddedCommandTransport } from '../../query-api/commands/embedded-transport.ts'
import { SandboxPaymentGateway } from '../../query-api/payments/payment-gateway.ts'
import { startPaymentService } from '../../query-api/payments/payment-service.ts'
import { openReadModel, startReadModelProjection } from '../../read-models/catalog/index.ts'
import type { ReadModel } from '../../read-models/catalog/read-model.ts'
import { EmbeddedLog, EmbeddedStreams, type Clock } from '../../streams/index.ts'
import type { ProjectionRunner } from '../../streams/projection.ts'
import {
  buildBookingTopology,
  createBookingSerdes,
  type BookingSerdes,
} from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'

/** The HS256 key, issuer and audience the harness's API verifies and `tokenFor` signs with. */
export const SECRET = 'test-secret-of-the-api-tests-at-least-32-bytes'
export const ISSUER = 'https://id.aquastream.test/'
export const AUDIENCE = 'backend-event-api-tests'
export const AUTH = { jwtSecret: SECRET, issuer: ISSUER, audience: AUDIENCE } as const
export const WEBHOOK_SECRET = 'test-webhook-secret'
export const DAY_MS = 24 * 60 * 60 * 1000

let serdesPromise: Promise<BookingSerdes> | undefined
/** The serdes of the harness's topics (one initialized set per process). */
export function serdes(): Promise<BookingSerdes> {
  serdesPromise ??= (async () => {
    const s = createBookingSerdes(new LocalSchemaRegistry())
    await s.init()
    return s
  })()
  return serdesPromise
}

export interface Harness {
  readonly app: FastifyInstance
  readonly readModel: ReadModel
  readonly log: EmbeddedLog
  /** The sandbox provider of the in-process payment service (its routes are mounted on the app). */
  readonly gateway: SandboxPaymentGateway
  readonly projection: ProjectionRunner
  /** The in-process payment service (on the harness's log). */
  readonly payments: ProjectionRunner
  /** `inject` with a token for the named principal (`guest`: none). */
  call(as: Principal, options: InjectOptions): Promise<LightMyRequestResponse>
  /**
   * Stops the booking topology and the payment service: commands and payment requests are still appended
   * to the log, nothing decides or starts them any more, so the read model keeps the state it has (the
   * authorization matrix and the fuzz test run on a fixed state).
   */
  stopPipeline(): Promise<void>
  /** Starts the booking topology again (a new instance on the same log, its state restored). */
  startPipeline(): Promise<void>
  /** The OpenAPI document as JSON (the ops listener serves it; the public one does not by default). */
  openapi(): ReturnType<typeof JSON.parse>
  close(): Promise<void>
}

export type Principal =
  'guest' | { sub: string; role: 'user' | 'organizer' | 'admin'; amr?: string[]; name?: string }

export type Signed = Exclude<Principal, 'guest'>
export const USER: Signed = { sub: 'user-1', role: 'user' }
export const USER2: Signed = { sub: 'user-2', role: 'user' }
export const ORGANIZER: Signed = { sub: 'org-1', role: 'organizer' }
export const ORGANIZER2: Signed = { sub: 'org-2', role: 'organizer' }
export const ADMIN: Signed = { sub: 'admin-1', role: 'admin', amr: ['pwd', 'mfa'] }
export const ADMIN_NO_2FA: Signed = { sub: 'admin-2', role: 'admin', amr: ['pwd'] }

const tokens = new Map<string, string>()
export async function tokenFor(p: Exclude<Principal, 'guest'>): Promise<string> {
  const key = JSON.stringify(p)
  let token = tokens.get(key)
  if (token === undefined) {
    token = await signDevToken(
      SECRET,
      { sub: p.sub, role: p.role, ...(p.amr ? { amr: p.amr } : {}), ...(p.name ? { name: p.name } : {}) },
      { issuer: ISSUER, audience: AUDIENCE },
    )
    tokens.set(key, token)
  }
  return token
}

/**
 * Starts pipeline, read model, projection and app; `withPipeline: false` skips the topology (no decisions);
 * `clock` runs the pipeline's timers on a hand-moved clock (the API keeps the wall clock).
 */
export async function startHarness(
  options: Partial<BuildAppOptions> & {
    withPipeline?: boolean
    /** false: an empty category tree (default: the root `rafting`, which `eventBody` names). */
    seedCategories?: boolean
    clock?: Clock
  } = {},
): Promise<Harness> {
  const { seedCategories, clock, ...overrides } = options
  const s = await serdes()
  const log = EmbeddedLog.open()
  const logger = pino({ level: 'silent' })
  const pipeline = () =>
    new EmbeddedStreams(buildBookingTopology({ serdes: s }), {
      applicationId: 'api-test',
      deadLetterTopic: DEFAULT_TOPIC_NAMES.deadLetters,
      topics: TOPICS,
      commitIntervalMs: 5,
      logger,
      log,
      ...(clock === undefined ? {} : { clock }),
    })
  let streams = pipeline()
  let pipelineRunning = overrides.withPipeline !== false
  if (overrides.withPipeline === false) log.createTopics(TOPICS)
  else await streams.start()
  const readModel = await openReadModel()
  if (seedCategories !== false)
    await readModel.createCategory(
      { id: 'rafting', parentId: null, name: 'Rafting' },
      { userId: 'test', requestId: 'seed' },
    )
  const projection = await startReadModelProjection({ model: readModel, serdes: s, source: { log } })
  const gateway = new SandboxPaymentGateway()
  const commands = new CommandProducer(new EmbeddedCommandTransport(log), s)
  const app = await buildApp({
    readModel,
    commands,
    auth: AUTH,
    sandbox: gateway,
    webhookSecret: WEBHOOK_SECRET,
    ...overrides,
  })
  await app.ready()
  const paymentService = () =>
    startPaymentService({
      gateway,
      serdes: s,
      source: { log },
      report: (status) => commands.sendPaymentStatus(status),
      logger,
    })
  let payments = await paymentService()
  return {
    app,
    readModel,
    log,
    gateway,
    projection,
    get payments() {
      return payments
    },
    async stopPipeline() {
      if (pipelineRunning) await streams.close()
      pipelineRunning = false
      await payments.close()
    },
    async startPipeline() {
      if (pipelineRunning) return
      streams = pipeline()
      await streams.start()
      pipelineRunning = true
      payments = await paymentService()
    },
    openapi() {
      return JSON.parse(JSON.stringify(app.swagger()))
    },
    async call(as, options) {
      const headers = { ...(options.headers ?? {}) } as Record<string, string>
      if (as !== 'guest') headers.authorization = `Bearer ${await tokenFor(as)}`
      return app.inject({ ...options, headers })
    },
    async close() {
      await app.close()
      await payments.close()
      await projection.close()
      if (pipelineRunning) await streams.close()
      await readModel.close()
      log.close()
    },
  }
}

export const WAIT = { prefer: 'wait=10' }

/**
 * Polls `read` until `done` holds or `timeoutMs` passes (the pipeline, the projection and the payment
 * service run on their own loops); returns the last value read, which the caller asserts on.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await read()
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    value = await read()
  }
  return value
}

/**
 * Starts paying a booking (`POST /bookings/{id}/pay` with `Prefer: wait`) and, unless `settle` is null,
 * settles it through the sandbox's route; returns the payment ID. Throws on an answer other than 201/200.
 */
export async function payThroughSandbox(
  h: Harness,
  as: Signed,
  bookingId: string,
  settle: 'complete' | 'fail' | null = 'complete',
  reported: { amountMinor?: number; currency?: string } = {},
): Promise<string> {
  const pay = await h.call(as, { method: 'POST', url: `/api/v1/bookings/${bookingId}/pay`, headers: WAIT })
  if (pay.statusCode !== 201) throw new Error(`pay: ${pay.statusCode} ${pay.body}`)
  const paymentId = pay.json<{ paymentId: string }>().paymentId
  if (settle === null) return paymentId
  const settled = await h.call(as, {
    method: 'POST',
    url: `/api/v1/payments/sandbox/${paymentId}/${settle}`,
    payload: reported,
  })
  if (settled.statusCode !== 200) throw new Error(`sandbox: ${settled.statusCode} ${settled.body}`)
  return paymentId
}

/** A valid event body starting `days` from now. */
export function eventBody(overrides: Record<string, unknown> = {}, days = 30): Record<string, unknown> {
  const start = Date.now() + days * DAY_MS
  return {
    title: 'Rafting on the Katun',
    description: 'Two days of rafting with instructors, camp and meals.',
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + DAY_MS).toISOString(),
    place: 'Altai, Katun river, Chemal bridge',
    categories: ['rafting'],
    capacity: 10,
    ...overrides,
  }
}

/**
 * Creates an event with one price option `std` (price kopecks, allotment) and publishes it, all through the
 * API with Prefer: wait. Returns its ID.
 */
export async function publishedEvent(
  h: Harness,
  options: {
    capacity?: number
    priceMinor?: number
    organizer?: Exclude<Principal, 'guest'>
    id?: string
  } = {},
): Promise<string> {
  const organizer = options.organizer ?? ORGANIZER
  const created = await h.call(organizer, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody({ capacity: options.capacity ?? 10, ...(options.id ? { id: options.id } : {}) }),
  })
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`)
  const id = created.json<{ id: string }>().id
  const option = await h.call(organizer, {
    method: 'POST',
    url: `/api/v1/events/${id}/price-options`,
    headers: WAIT,
    payload: {
      id: 'std',
      name: 'Standard',
      priceMinor: options.priceMinor ?? 500_000,
      allotment: options.capacity ?? 10,
    },
  })
  if (option.statusCode !== 201) throw new Error(`price option: ${option.statusCode} ${option.body}`)
  const published = await h.call(organizer, {
    method: 'POST',
    url: `/api/v1/events/${id}/publish`,
    headers: WAIT,
  })
  if (published.statusCode !== 200) throw new Error(`publish: ${published.statusCode} ${published.body}`)
  return id
}

/** JSON requests through a harness: `post` sends `body` as JSON (with `Prefer: wait` unless told otherwise). */
export function jsonCalls(h: Harness): {
  post(
    as: Principal,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>
  get(as: Principal, url: string): Promise<LightMyRequestResponse>
} {
  return {
    post: (as, url, body, headers = WAIT) =>
      h.call(as, {
        method: 'POST',
        url,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
    get: (as, url) => h.call(as, { method: 'GET', url }),
  }
}

/** Pays `user`'s pending booking through the sandbox gateway and waits until the catalog shows it CONFIRMED. */
export async function payAndConfirm(h: Harness, user: Signed, bookingId: string): Promise<void> {
  await payThroughSandbox(h, user, bookingId)
  const booking = await until(
    () => h.readModel.getBooking(bookingId),
    (b) => b?.status === 'CONFIRMED',
  )
  if (booking?.status !== 'CONFIRMED') throw new Error(`booking ${bookingId} was not confirmed`)
}
