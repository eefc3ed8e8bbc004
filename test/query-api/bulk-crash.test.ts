/**
 * A bulk job survives a crash of the embedded service (`node main.ts` in a fresh data folder): 100 bookings
 * across 5 events canceled in one job, paced at 20 commands a second, SIGKILL mid-job, restart on the same
 * folder; the checks are test/support/bulk-crash-scenario.ts's, the log read from the data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { EmbeddedLog } from '../../streams/index.ts'
import { bulkCrashScenario } from '../support/bulk-crash-scenario.ts'
import { serdes } from './api-harness.ts'
import { startEmbeddedService } from './service-process.ts'

t.test('a bulk cancel of 100 bookings survives SIGKILL mid-job and a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulk-crash-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  await bulkCrashScenario(t, {
    events: 5,
    perEvent: 20,
    organizer: { sub: 'org-bulk-crash', role: 'organizer' },
    eventId: (i) => `bulk-crash-${i}`,
    start: () => startEmbeddedService(dataDir, { BULK_COMMANDS_PER_SECOND: '20' }),
    serdes: await serdes(),
    async values(topic) {
      const log = EmbeddedLog.open({ dir: join(dataDir, 'log') })
      try {
        const values: Buffer[] = []
        for (let p = 0; p < log.partitions(topic); p++)
          for (let offset = log.startOffset(topic, p); offset < log.endOffset(topic, p);) {
            const batch = log.read(topic, p, offset, 1000)
            if (batch.length === 0) break
            for (const record of batch) if (record.value !== null) values.push(record.value)
            offset = batch[batch.length - 1]!.offset + 1
          }
        return values
      } finally {
        log.close()
      }
    },
  })
})
