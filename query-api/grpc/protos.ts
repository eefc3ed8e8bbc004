/**
 * The gRPC services' types: the `.proto` files under `proto/` are their one source, loaded at start with
 * @grpc/proto-loader (no generated code to keep in step). Field names become camelCase, so a message is
 * the object of the matching HTTP view (`eventId`, `seatsAvailable`, …); int64 values are numbers
 * (amounts in kopecks and positions stay far below 2^53); unset fields are absent, not defaults, so
 * required fields are checked like the HTTP bodies are.
 */
import type { Options, PackageDefinition } from '@grpc/proto-loader'
import { loadSync } from '@grpc/proto-loader'
import { fileURLToPath } from 'node:url'

/** The folder the `.proto` imports are relative to. */
export const PROTO_ROOT = fileURLToPath(new URL('./proto/', import.meta.url))

/** The service files (their imports follow). */
export const PROTO_FILES = [
  'aquastream/v1/booking_service.proto',
  'aquastream/v1/event_service.proto',
  'aquastream/v1/request_service.proto',
] as const

/** The full names of the services, as health checking and reflection name them. */
export const SERVICE_NAMES = [
  'aquastream.v1.BookingService',
  'aquastream.v1.EventService',
  'aquastream.v1.RequestService',
] as const

/** How the server and its clients (tests, other services in TypeScript) load the files. */
export const LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: false,
  includeDirs: [PROTO_ROOT],
}

/** The services' definitions, and with `extra` files (health checking's) for reflection. */
export function loadDefinitions(extra: readonly string[] = []): PackageDefinition {
  return loadSync([...PROTO_FILES, ...extra], LOADER_OPTIONS)
}
