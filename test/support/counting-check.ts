import type { CountInputValue, CountTotalValue } from '../../examples/counting/count-sum.ts'

/** The deterministic input of the counting tests: `n` records over `keys` keys. */
export function countingInput(n: number, keys: number, seed = 1): CountInputValue[] {
  const out: CountInputValue[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const k = (i * 7919 + seed) % keys
    out[i] = { key: `key-${k}`, amount: ((i * 31 + seed) % 97) - 40, producedAtMs: 0 }
  }
  return out
}

/**
 * Checks outputs against inputs over the whole data: for every key, the
 * outputs have counts 1..n exactly once each (no loss, no duplicate) and the
 * total at count c is the sum of the key's first c amounts (order kept).
 * Returns the problems found (empty when exact) and the expected final sums.
 */
export function checkCounting(
  inputs: readonly CountInputValue[],
  outputs: readonly CountTotalValue[],
): { problems: string[]; expected: Map<string, { total: number; count: number }> } {
  const prefix = new Map<string, number[]>()
  for (const input of inputs) {
    const sums = prefix.get(input.key) ?? [0]
    sums.push(sums[sums.length - 1]! + input.amount)
    prefix.set(input.key, sums)
  }
  const seen = new Map<string, Set<number>>()
  const problems: string[] = []
  for (const o of outputs) {
    const sums = prefix.get(o.key)
    if (sums === undefined) {
      problems.push(`output for unknown key ${o.key}`)
      continue
    }
    const counts = seen.get(o.key) ?? new Set()
    if (counts.has(o.count)) problems.push(`duplicate output ${o.key}#${o.count}`)
    counts.add(o.count)
    seen.set(o.key, counts)
    if (sums[o.count] !== o.total)
      problems.push(`${o.key}#${o.count}: total ${o.total}, expected ${sums[o.count]}`)
  }
  const expected = new Map<string, { total: number; count: number }>()
  for (const [key, sums] of prefix) {
    const n = sums.length - 1
    expected.set(key, { total: sums[n]!, count: n })
    const counts = seen.get(key)?.size ?? 0
    if (counts !== n) problems.push(`${key}: ${counts} outputs, expected ${n}`)
  }
  return {
    problems: problems.slice(0, 20).concat(problems.length > 20 ? [`… ${problems.length - 20} more`] : []),
    expected,
  }
}
