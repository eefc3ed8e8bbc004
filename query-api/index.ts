/**
 * The Fastify query API: `startApi` builds the real parts around a read model and listens; `buildApp`
 * wires what it is given (tests); `statsRoutes` mounts the analytics; `seedDemoCatalog` fills the embedded
 * default with a demo catalog through the command path.
 */
export { BODY_LIMIT_BYTES, buildApp, type BuildAppOptions, type RoutePlugin } from './app.ts'
export { DEV_JWT_SECRET, signDevToken, type Principal, type Role } from './auth.ts'
export { seedDemoCatalog } from './demo-catalog.ts'
export { statsRoutes } from './routes/stats.ts'
export {
  DEV_WEBHOOK_SECRET,
  startApi,
  type ApiConfig,
  type RunningApi,
  type StartApiOptions,
} from './server.ts'
