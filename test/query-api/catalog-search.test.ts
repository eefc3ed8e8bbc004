// The catalog through the API: an event's categories checked against the tree (create, edit, publish),
// and search pages with their bounded total, keyset cursor and relevance order in the response.
import t from 'tap'
import { ADMIN, eventBody, ORGANIZER, publishedEvent, startHarness, WAIT } from './api-harness.ts'

const h = await startHarness()
t.teardown(() => h.close())

const category = async (id: string) => {
  const res = await h.call(ADMIN, {
    method: 'POST',
    url: '/api/v1/categories',
    payload: { id, parentId: null, name: id },
  })
  if (res.statusCode !== 201) throw new Error(res.body)
}

t.test('an event naming a category the tree does not have is refused with CATEGORY_UNKNOWN', async (t) => {
  await category('doomed')
  const create = (categories: string[]) =>
    h.call(ORGANIZER, {
      method: 'POST',
      url: '/api/v1/events',
      headers: WAIT,
      payload: eventBody({ categories }),
    })
  const refused = await create(['rafting', 'no-such', 'nor-this'])
  t.equal(refused.statusCode, 422, refused.body)
  t.equal(refused.json().code, 'CATEGORY_UNKNOWN')
  t.same(refused.json().details.unknown, ['no-such', 'nor-this'])
  const created = await create(['rafting', 'doomed'])
  t.equal(created.statusCode, 201, created.body)
  const event = created.json()

  const edit = await h.call(ORGANIZER, {
    method: 'PUT',
    url: `/api/v1/events/${event.id}`,
    headers: { ...WAIT, 'if-match': String(event.version) },
    payload: { categories: ['rafting', 'no-such'] },
  })
  t.equal(edit.statusCode, 422, edit.body)
  t.equal(edit.json().code, 'CATEGORY_UNKNOWN')

  const deleted = await h.call(ADMIN, { method: 'DELETE', url: '/api/v1/categories/doomed' })
  t.equal(deleted.statusCode, 204, deleted.body)
  const publish = await h.call(ORGANIZER, {
    method: 'POST',
    url: `/api/v1/events/${event.id}/publish`,
    headers: WAIT,
    payload: {},
  })
  t.equal(publish.statusCode, 422, 'a category deleted since the event named it stops its publication')
  t.same([publish.json().code, publish.json().details.unknown], ['CATEGORY_UNKNOWN', ['doomed']])
})

t.test('search pages carry totalIsEstimate and a cursor that continues them', async (t) => {
  const ids = new Set<string>()
  for (let i = 0; i < 3; i++) ids.add(await publishedEvent(h))
  const search = (query: string) => h.call('guest', { method: 'GET', url: `/api/v1/events?${query}` })
  const first = await search('size=2')
  t.equal(first.statusCode, 200, first.body)
  const body = first.json()
  t.same(
    [body.items.length, body.total, body.totalIsEstimate, typeof body.nextCursor],
    [2, 3, false, 'string'],
  )
  const second = await search(`size=2&cursor=${body.nextCursor}`)
  t.equal(second.statusCode, 200, second.body)
  t.same([second.json().items.length, second.json().nextCursor], [1, null], 'the last page has no cursor')
  const walked = [...body.items, ...second.json().items].map((e: { id: string }) => e.id)
  t.same(new Set(walked), ids, 'the two pages hold the three events')
  const otherOrder = await search(`size=2&sort=title,asc&cursor=${body.nextCursor}`)
  t.equal(otherOrder.statusCode, 400)
  t.equal(otherOrder.json().code, 'VALIDATION_FAILED')
  t.equal((await search('cursor=not%20a%20cursor')).statusCode, 400)
  const relevance = await search('q=rafting&sort=relevance')
  t.equal(relevance.statusCode, 200, relevance.body)
  t.equal(relevance.json().items.length, 3)
})
