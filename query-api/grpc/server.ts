/**
 * The gRPC face of the query API (GRPC_PORT): BookingService, EventService and RequestService on the HTTP
 * app's context (the same read model, command producer, idempotency registry and outcome waiters), with
 * standard health checking (grpc.health.v1, `grpc-health-check`) and server reflection (`@grpc/reflection`)
 * so `grpcurl` needs no `.proto` files. Plaintext: it listens on an internal address for the platform's
 * services (GRPC_HOST, loopback by default); TLS is the service mesh's or the proxy's.
 */
import {
  type GrpcObject,
  type ServiceClientConstructor,
  Server,
  ServerCredentials,
  loadPackageDefinition,
} from '@grpc/grpc-js'
import { ReflectionService } from '@grpc/reflection'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check'
import { bookingService } from './booking-service.ts'
import type { GrpcParts } from './calls.ts'
import { eventService } from './event-service.ts'
import { loadDefinitions, SERVICE_NAMES } from './protos.ts'
import { requestService } from './request-service.ts'

export interface GrpcServerOptions {
  readonly host: string
  /** 0: any free port. */
  readonly port: number
  readonly logger: FastifyBaseLogger
}

export interface RunningGrpc {
  /** `host:port` it listens on. */
  readonly address: string
  /** Reports NOT_SERVING, lets running calls finish (at most `graceMs`), then stops. */
  close(graceMs?: number): Promise<void>
}

/** Starts the gRPC server on the HTTP app's parts (`app.apiParts`). */
export async function startGrpcServer(
  app: FastifyInstance,
  options: GrpcServerOptions,
): Promise<RunningGrpc> {
  const parts: GrpcParts = { ...app.apiParts, logger: options.logger }
  const definitions = loadDefinitions()
  const v1 = (loadPackageDefinition(definitions) as { aquastream: { v1: GrpcObject } }).aquastream.v1
  const service = (name: string) => (v1[name] as ServiceClientConstructor).service
  const server = new Server()
  server.addService(service('BookingService'), bookingService(parts))
  server.addService(service('EventService'), eventService(parts))
  server.addService(service('RequestService'), requestService(parts))
  const health = new HealthImplementation(
    Object.fromEntries(['', ...SERVICE_NAMES].map((name) => [name, 'SERVING' as const])),
  )
  health.addToServer(server)
  new ReflectionService(loadDefinitions([healthProtoPath])).addToServer(server)

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  )
  const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`
  return {
    address,
    async close(graceMs = 5000) {
      for (const name of ['', ...SERVICE_NAMES]) health.setStatus(name, 'NOT_SERVING')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown()
          resolve()
        }, graceMs)
        server.tryShutdown(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    },
  }
}
