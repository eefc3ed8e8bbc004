/**
 * The whole service (`node main.ts`, as `npm start` runs it) as a child process for tests that drive it over
 * HTTP and kill it: started with the test tokens' key, on a free port, and its API address once it runs.
 */
import { startApp, type AppProcess } from '../support/processes.ts'
import { AUDIENCE, ISSUER, SECRET } from './api-harness.ts'

/** No server configured: the embedded log, PGlite, chDB and in-process caches. */
const EMBEDDED = {
  KAFKA_BROKERS: '',
  DATABASE_URL: '',
  REDIS_URL: '',
  CLICKHOUSE_URL: '',
  SCHEMA_REGISTRY_URL: '',
  KAFKA_TOPIC_PREFIX: '',
}

/** `main.ts` with `env` over the test defaults (test token key, any free port, info logs). */
export function startService(env: { [key: string]: string }): AppProcess {
  return startApp('main.ts', {
    HTTP_PORT: '0',
    AUTH_JWT_SECRET: SECRET,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: AUDIENCE,
    LOG_LEVEL: 'info',
    ...env,
  })
}

/** The embedded default on `dataDir` (with `env` over it). */
export function startEmbeddedService(dataDir: string, env: { [key: string]: string } = {}): AppProcess {
  return startService({ ...EMBEDDED, DATA_DIR: dataDir, ...env })
}

/** The API's base URL, once the service logs that it is running. */
export async function apiUrl(app: AppProcess, timeoutMs = 180_000): Promise<string> {
  const line = await app.waitFor<{ msg?: string; api?: string }>(
    (l) => l.msg === 'backend-event is running',
    timeoutMs,
  )
  return line.api!
}
