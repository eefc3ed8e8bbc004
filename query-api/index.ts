/**
 * The Fastify query API: `startApi` builds the real parts around a read model and listens; `buildApp`
 * wires what it is given (tests); `buildOpsApp` serves the operational endpoints on an internal listener;
 * `statsRoutes` mounts the analytics; `seedDemoCatalog` fills the embedded default with a demo catalog
 * through the command path.
 */
export { BODY_LIMIT_BYTES, buildApp, type BuildAppOptions, type RoutePlugin } from './app.ts'
export { signDevToken, type Principal, type Role } from './auth.ts'
export { reviewDemoEventWhenCompleted, seedDemoCatalog } from './demo-catalog.ts'
export { buildOpsApp } from './operations.ts'
export { statsRoutes } from './routes/stats.ts'
export { startApi, type ApiConfig, type RunningApi, type StartApiOptions } from './server.ts'
