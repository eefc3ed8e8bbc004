// Runs autocannon against a URL set and measures latency per response (autocannon's histogram has no p95).
import autocannon from 'autocannon'

export interface LoadResult {
  readonly name: string
  readonly requests: number
  readonly reqPerSec: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly non2xx: number
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** `requests` builds each request (path, method, headers, body) from a counter, so IDs vary. */
export async function load(options: {
  name: string
  url: string
  connections: number
  durationS: number
  /** Requests per second offered over all connections (autocannon's overallRate); unset: as fast as answered. */
  overallRate?: number
  request: (i: number) => {
    method?: 'GET' | 'POST'
    path: string
    headers?: Record<string, string>
    body?: string
  }
}): Promise<LoadResult> {
  const latencies: number[] = []
  let i = 0
  let instance!: autocannon.Instance
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        requests: [
          {
            setupRequest: (req) => {
              const r = options.request(i++)
              return {
                ...req,
                method: r.method ?? 'GET',
                path: r.path,
                headers: { ...req.headers, ...(r.headers ?? {}) },
                ...(r.body !== undefined ? { body: r.body } : {}),
              }
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime))
  const result = await finished
  latencies.sort((a, b) => a - b)
  return {
    name: options.name,
    requests: result.requests.total,
    reqPerSec: result.requests.total / options.durationS,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    non2xx: result.non2xx,
  }
}
