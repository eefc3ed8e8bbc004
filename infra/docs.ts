/**
 * Generated parts of README.md: the configuration table (from CONFIG_KEYS) and
 * the topic table (from TOPICS), between `<!-- name:start -->` and
 * `<!-- name:end -->` markers. `node infra/docs.ts` rewrites them;
 * test/readme.test.ts fails when the README is out of step.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { CONFIG_KEYS } from './config.ts'
import { TOPICS } from './topics.ts'

const DAY_MS = 24 * 60 * 60 * 1000

function show(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : value.join(',')
  return value === '' ? '(empty)' : String(value)
}

export function configTable(): string {
  const rows = Object.values(CONFIG_KEYS).map(
    (k) =>
      `| \`${k.env}\` | \`${show(k.default)}\` | ${k.description}${'secret' in k && k.secret === true ? ' (secret: never logged)' : ''} |`,
  )
  return ['| variable | default | what it does |', '| --- | --- | --- |', ...rows].join('\n')
}

export function topicTable(): string {
  const rows = TOPICS.map(
    (t) =>
      `| \`${t.name}\` | ${t.partitions} | ${t.cleanupPolicy} | ${t.retentionMs === null ? 'forever' : `${t.retentionMs / DAY_MS} d`} | ${t.key} | ${t.value.startsWith('aquastream.') ? `\`${t.value}\`` : t.value} | ${t.description} |`,
  )
  return [
    '| topic | partitions | cleanup | retention | key | value | what |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n')
}

export const GENERATED: { readonly [section: string]: () => string } = {
  config: configTable,
  topics: topicTable,
}

/** Replaces every generated section of `text`. */
export function renderReadme(text: string): string {
  let out = text
  for (const [name, render] of Object.entries(GENERATED)) {
    const start = `<!-- ${name}:start -->`
    const end = `<!-- ${name}:end -->`
    const i = out.indexOf(start)
    const j = out.indexOf(end)
    if (i < 0 || j < i) throw new Error(`README.md lacks the ${start} … ${end} markers`)
    out = `${out.slice(0, i + start.length)}\n${render()}\n${out.slice(j)}`
  }
  return out
}

if (import.meta.main) {
  const path = new URL('../README.md', import.meta.url)
  writeFileSync(path, renderReadme(readFileSync(path, 'utf8')))
}
