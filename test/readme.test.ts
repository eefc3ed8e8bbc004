import { readFileSync } from 'node:fs'
import t from 'tap'
import { renderReadme } from '../infra/docs.ts'

t.test('the README configuration and topic tables match infra/config.ts and infra/topics.ts', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  t.equal(readme, renderReadme(readme), 'run `node infra/docs.ts` after changing configuration or topics')
})

t.test('the README states the two commands and .ci/run calls the test command', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  t.match(readme, /```sh\nnpm start\n```/)
  t.match(readme, /```sh\nnpm test\n```/)
  const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')
  t.match(ci, /^CI=true npm test$/m)
})
