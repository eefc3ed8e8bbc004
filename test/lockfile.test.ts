import { readFileSync } from 'node:fs'
import t from 'tap'

interface LockEntry {
  readonly optionalDependencies?: Record<string, string>
}

/** The lock entry node would resolve `name` to from the package at `from` (walking up node_modules). */
function resolvesTo(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`
    if (candidate in packages) return candidate
    if (dir === '') return undefined
    const up = dir.lastIndexOf('/node_modules/')
    dir = up === -1 ? '' : dir.slice(0, up)
  }
}

// npm >= 11.16 refuses a lock file without an entry for every optional dependency, even one that
// is not published (chDB's other platforms; docs/dependencies.md), and `npm ci` is CI's first step.
t.test('package-lock.json has an entry for every optional dependency, as npm ci requires', async (t) => {
  const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, LockEntry>
  }
  const missing: string[] = []
  let checked = 0
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      checked++
      if (resolvesTo(lock.packages, path, name) === undefined) missing.push(`${path || '(root)'} → ${name}`)
    }
  }
  t.ok(checked > 0, 'the lock file lists optional dependencies')
  t.same(missing, [], 'regenerate with `npx npm@11.13.0 install --package-lock-only --ignore-scripts`')
})
