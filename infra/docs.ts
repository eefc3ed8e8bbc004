/**
 * Generated parts of the documents, between `<!-- name:start -->` and `<!-- name:end -->` markers:
 * README.md's configuration table (from CONFIG_KEYS) and topic table (from TOPICS), and docs/errors.md's
 * tables (from the error catalogue, processors/error-catalogue.ts). `node infra/docs.ts` rewrites them;
 * test/readme.test.ts and test/errors-catalogue.test.ts fail when a document is out of step.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { ERROR_SECTIONS } from '../processors/index.ts'
import type { ErrorSpec } from '../streams/index.ts'
import { CONFIG_KEYS } from './config.ts'
import { TOPICS } from './topics.ts'

const DAY_MS = 24 * 60 * 60 * 1000

function show(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : value.join(',')
  return value === '' || value === false || value === null ? '(empty)' : String(value)
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

/** One section of the error catalogue as a Markdown table; runtime sections say where each code surfaces. */
export function errorTable(table: Readonly<Record<string, ErrorSpec>>): string {
  const specs = Object.entries(table)
  const withPlace = specs.some(([, spec]) => spec.surfaces !== undefined)
  const head = withPlace
    ? ['| code | HTTP | retriable | meaning | where it surfaces |', '| --- | --- | --- | --- | --- |']
    : ['| code | HTTP | retriable | meaning |', '| --- | --- | --- | --- |']
  const rows = specs.map(([code, spec]) => {
    const cells = [`\`${code}\``, spec.httpStatus ?? '—', spec.retriable ? 'yes' : 'no', spec.meaning]
    if (withPlace) cells.push(spec.surfaces ?? '')
    return `| ${cells.join(' | ')} |`
  })
  return [...head, ...rows].join('\n')
}

export const README_SECTIONS: { readonly [section: string]: () => string } = {
  config: configTable,
  topics: topicTable,
}

export const ERRORS_DOC_SECTIONS: { readonly [section: string]: () => string } = Object.fromEntries(
  Object.entries(ERROR_SECTIONS).map(([name, table]) => [`errors:${name}`, () => errorTable(table)]),
)

/** Replaces every generated section of README.md's `text`. */
export function renderReadme(text: string): string {
  return renderSections(text, README_SECTIONS)
}

/** Replaces every generated section of docs/errors.md's `text`. */
export function renderErrorsDoc(text: string): string {
  return renderSections(text, ERRORS_DOC_SECTIONS)
}

function renderSections(text: string, sections: { readonly [section: string]: () => string }): string {
  let out = text
  for (const [name, render] of Object.entries(sections)) {
    const start = `<!-- ${name}:start -->`
    const end = `<!-- ${name}:end -->`
    const i = out.indexOf(start)
    const j = out.indexOf(end)
    if (i < 0 || j < i) throw new Error(`the document lacks the ${start} … ${end} markers`)
    out = `${out.slice(0, i + start.length)}\n${render()}\n${out.slice(j)}`
  }
  return out
}

if (import.meta.main) {
  for (const [file, render] of [
    ['../README.md', renderReadme],
    ['../docs/errors.md', renderErrorsDoc],
  ] as const) {
    const path = new URL(file, import.meta.url)
    writeFileSync(path, render(readFileSync(path, 'utf8')))
  }
}
