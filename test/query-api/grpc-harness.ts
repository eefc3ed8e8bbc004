// The gRPC API on the in-process service of api-harness.ts, and a real @grpc/grpc-js client of it, loaded
// from the same .proto files.
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import { protoPath as healthProtoPath } from 'grpc-health-check'
import pino from 'pino'
import type { FastifyBaseLogger } from 'fastify'
import { loadDefinitions } from '../../query-api/grpc/protos.ts'
import { startGrpcServer, type RunningGrpc } from '../../query-api/grpc/server.ts'
import { errorInfoOf } from '../../query-api/grpc/status.ts'
import { startHarness, tokenFor, type Harness, type Principal } from './api-harness.ts'

export type ServiceName = 'BookingService' | 'EventService' | 'RequestService'

/** What a unary call got: the value or the error, and the metadata that came with either. */
export interface GrpcAnswer<T = Record<string, unknown>> {
  readonly value: T | undefined
  readonly error: ServiceError | undefined
  /** The initial metadata (e.g. `x-request-id` of a command). */
  readonly headers: Metadata | undefined
  /** The reason code of an error (`google.rpc.ErrorInfo`), and its metadata. */
  readonly reason: string | undefined
  readonly info: Record<string, string> | undefined
}

export interface GrpcCallOptions {
  readonly idempotencyKey?: string
  readonly deadlineMs?: number
  readonly metadata?: Record<string, string>
}

export interface GrpcClients {
  call<T = Record<string, unknown>>(
    as: Principal,
    service: ServiceName,
    method: string,
    request: object,
    options?: GrpcCallOptions,
  ): Promise<GrpcAnswer<T>>
  /** A client of any service of the loaded files (health checking, reflection use their own). */
  readonly address: string
  close(): void
}

let v1: GrpcObject | undefined
function services(): GrpcObject {
  v1 ??= (loadPackageDefinition(loadDefinitions()) as { aquastream: { v1: GrpcObject } }).aquastream.v1
  return v1
}

/** Clients of the server at `address`. */
export function grpcClients(address: string): GrpcClients {
  const clients = new Map<ServiceName, Client>()
  const client = (name: ServiceName) => {
    let c = clients.get(name)
    if (c === undefined) {
      const Ctor = services()[name] as ServiceClientConstructor
      c = new Ctor(address, credentials.createInsecure())
      clients.set(name, c)
    }
    return c
  }
  return {
    address,
    async call(as, service, method, request, options = {}) {
      const metadata = new Metadata()
      if (as !== 'guest') metadata.set('authorization', `Bearer ${await tokenFor(as)}`)
      if (options.idempotencyKey !== undefined) metadata.set('idempotency-key', options.idempotencyKey)
      for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, v)
      const c = client(service) as unknown as Record<
        string,
        (
          request: object,
          metadata: Metadata,
          options: { deadline?: number },
          callback: (error: ServiceError | null, value?: unknown) => void,
        ) => { on(event: 'metadata', listener: (m: Metadata) => void): void }
      >
      return new Promise((resolve) => {
        let headers: Metadata | undefined
        const call = c[method]!.call(
          c,
          request,
          metadata,
          options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs },
          (error, value) => {
            const info = error ? errorInfoOf(error.metadata) : undefined
            resolve({
              value: (value ?? undefined) as never,
              error: error ?? undefined,
              headers,
              reason: info?.reason,
              info: info?.metadata,
            })
          },
        )
        call.on('metadata', (m) => (headers = m))
      })
    },
    close() {
      for (const c of clients.values()) c.close()
    },
  }
}

/** The in-process service with its gRPC API on a free port, and clients of it. */
export async function startGrpcHarness(
  options: Parameters<typeof startHarness>[0] = {},
): Promise<{ h: Harness; grpc: RunningGrpc; clients: GrpcClients; close(): Promise<void> }> {
  const h = await startHarness(options)
  const grpc = await startGrpcServer(h.app, {
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
  })
  const clients = grpcClients(grpc.address)
  return {
    h,
    grpc,
    clients,
    async close() {
      clients.close()
      await grpc.close(1000)
      await h.close()
    },
  }
}

/** grpc.health.v1.Health/Check of `service` ('' the server) at `address`: its status, or the error. */
export async function healthOf(address: string, service: string): Promise<string> {
  const definition = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: GrpcObject } }
  }
  const Health = definition.grpc.health.v1.Health as ServiceClientConstructor
  const client = new Health(address, credentials.createInsecure()) as unknown as Client & {
    check(
      request: object,
      options: { deadline: number },
      callback: (error: Error | null, value: { status: string }) => void,
    ): void
  }
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + 5000 }, (error, value) =>
        error ? reject(error) : resolve(value.status),
      ),
    )
  } finally {
    client.close()
  }
}
