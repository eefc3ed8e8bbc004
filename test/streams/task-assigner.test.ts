import fc from 'fast-check'
import { AssignerProtocol, type Cluster, type Logger } from 'kafkajs'
import t from 'tap'
import { assignTasks, taskAssigner, type AssignableTask } from '../../streams/kafka/task-assigner.ts'

const taskIdList = (n: number): string[] => Array.from({ length: n }, (_, i) => `0_${i}`)
const memberIdList = (n: number): string[] => Array.from({ length: n }, (_, i) => `member-${i}`)

/** Every task exactly once, every member in the plan, each with ⌊T/M⌋ or ⌈T/M⌉. */
function checkBalancedAndComplete(
  plan: Map<string, string[]>,
  tasks: readonly string[],
  members: readonly string[],
): string | undefined {
  if (plan.size !== members.length || members.some((m) => !plan.has(m)))
    return `plan members ${[...plan.keys()]} ≠ ${members}`
  const assigned = [...plan.values()].flat()
  if (assigned.length !== tasks.length) return `${assigned.length} assignments for ${tasks.length} tasks`
  if (new Set(assigned).size !== assigned.length) return 'a task is assigned twice'
  if (assigned.some((id) => !tasks.includes(id))) return 'an unknown task is assigned'
  const low = Math.floor(tasks.length / members.length)
  const high = Math.ceil(tasks.length / members.length)
  for (const [m, list] of plan)
    if (list.length < low || list.length > high) return `${m} has ${list.length}, expected ${low}..${high}`
  return undefined
}

const sortedPlan = (plan: Map<string, string[]>): [string, string[]][] =>
  [...plan]
    .map(([m, list]) => [m, [...list].sort()] as [string, string[]])
    .sort(([a], [b]) => (a < b ? -1 : 1))

/** A previous assignment: disjoint lists of known tasks (as a stable group reports them). */
const disjointPrevious = (tasks: string[], members: string[]) =>
  fc
    .array(fc.integer({ min: -1, max: members.length - 1 }), {
      minLength: tasks.length,
      maxLength: tasks.length,
    })
    .map((owners) => {
      const previous = new Map<string, string[]>()
      owners.forEach((owner, i) => {
        if (owner < 0) return
        const m = members[owner]!
        previous.set(m, [...(previous.get(m) ?? []), tasks[i]!])
      })
      return previous
    })

const scenario = fc
  .record({ tasks: fc.integer({ min: 0, max: 60 }), members: fc.integer({ min: 1, max: 12 }) })
  .chain(({ tasks, members }) => {
    const taskIds = taskIdList(tasks)
    const memberIds = memberIdList(members)
    return fc.record({
      taskIds: fc.constant(taskIds),
      memberIds: fc.shuffledSubarray(memberIds, { minLength: members, maxLength: members }),
      previous: disjointPrevious(taskIds, memberIds),
    })
  })

t.test('balanced and complete for every small task and member count', async (t) => {
  let failures = 0
  for (let tasks = 0; tasks <= 40; tasks++)
    for (let members = 1; members <= 10; members++) {
      const why = checkBalancedAndComplete(
        assignTasks(taskIdList(tasks), memberIdList(members), new Map()),
        taskIdList(tasks),
        memberIdList(members),
      )
      if (why !== undefined) {
        failures++
        t.fail(`T=${tasks} M=${members}: ${why}`)
      }
    }
  t.equal(failures, 0)
})

t.test('property: balanced, complete and sticky with any previous assignment', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(scenario, ({ taskIds, memberIds, previous }) => {
        const plan = assignTasks(taskIds, memberIds, previous)
        const why = checkBalancedAndComplete(plan, taskIds, memberIds)
        if (why !== undefined) throw new Error(why)
        // Sticky: a member keeps its previous tasks up to the smaller share.
        const floor = Math.floor(taskIds.length / memberIds.length)
        for (const m of memberIds) {
          const had = previous.get(m) ?? []
          const kept = plan.get(m)!.filter((id) => had.includes(id)).length
          if (kept < Math.min(had.length, floor))
            throw new Error(`${m} kept ${kept} of ${had.length} previous tasks (share ≥ ${floor})`)
        }
      }),
      { numRuns: 500 },
    ),
  )
})

t.test('property: the same plan whatever the order of the members', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(
        scenario.chain((s) =>
          fc.record({
            s: fc.constant(s),
            reordered: fc.shuffledSubarray(s.memberIds, {
              minLength: s.memberIds.length,
              maxLength: s.memberIds.length,
            }),
          }),
        ),
        ({ s, reordered }) => {
          const a = sortedPlan(assignTasks(s.taskIds, s.memberIds, s.previous))
          const b = sortedPlan(assignTasks(s.taskIds, reordered, s.previous))
          if (JSON.stringify(a) !== JSON.stringify(b))
            throw new Error(`${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`)
        },
      ),
      { numRuns: 300 },
    ),
  )
})

t.test('the same plan whatever the member order, also when two members claim the same task', async (t) => {
  // After a rebalance storm two members can both report a task (the fenced one and its successor).
  const tasks = ['0_0', '0_1', '0_2', '0_3']
  const previous = new Map([
    ['m-a', ['0_0', '0_1']],
    ['m-b', ['0_1', '0_2']],
  ])
  t.same(
    sortedPlan(assignTasks(tasks, ['m-b', 'm-a'], previous)),
    sortedPlan(assignTasks(tasks, ['m-a', 'm-b'], previous)),
  )
})

t.test('when one member leaves, the survivors keep everything they had', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 2, max: 12 }),
        fc.nat(),
        (tasks, members, leaverIndex) => {
          const taskIds = taskIdList(tasks)
          const memberIds = memberIdList(members)
          const before = assignTasks(taskIds, memberIds, new Map())
          const leaver = memberIds[leaverIndex % members]!
          const survivors = memberIds.filter((m) => m !== leaver)
          const after = assignTasks(taskIds, survivors, before)
          const why = checkBalancedAndComplete(after, taskIds, survivors)
          if (why !== undefined) throw new Error(why)
          for (const m of survivors) {
            const lost = before.get(m)!.filter((id) => !after.get(m)!.includes(id))
            if (lost.length > 0) throw new Error(`${m} lost ${lost} when ${leaver} left`)
          }
        },
      ),
      { numRuns: 300 },
    ),
  )
})

t.test('a joining member takes tasks only from members above their new share', async (t) => {
  const taskIds = taskIdList(12)
  const before = assignTasks(taskIds, ['a', 'b', 'c'], new Map())
  const after = assignTasks(taskIds, ['a', 'b', 'c', 'd'], before)
  t.equal(checkBalancedAndComplete(after, taskIds, ['a', 'b', 'c', 'd']), undefined)
  for (const m of ['a', 'b', 'c'])
    t.equal(after.get(m)!.filter((id) => before.get(m)!.includes(id)).length, 3, `${m} keeps 3 of its 4`)
  t.equal(after.get('d')!.length, 3)
})

t.test('unknown previous task IDs are ignored', async (t) => {
  const tasks = ['0_0', '0_1', '0_2']
  // m1 ran 0_0 and 0_1; m2 reports tasks of an older topology that no longer exist.
  const withUnknown = new Map([
    ['m1', ['0_0', '0_1']],
    ['m2', ['9_0', '9_1', '9_2']],
  ])
  const withoutUnknown = new Map([
    ['m1', ['0_0', '0_1']],
    ['m2', []],
  ])
  const plan = assignTasks(tasks, ['m1', 'm2'], withUnknown)
  t.equal(checkBalancedAndComplete(plan, tasks, ['m1', 'm2']), undefined)
  t.notOk(
    [...plan.values()].flat().some((id) => id.startsWith('9_')),
    'unknown IDs are never assigned',
  )
  t.same(
    sortedPlan(plan),
    sortedPlan(assignTasks(tasks, ['m1', 'm2'], withoutUnknown)),
    'the plan is the one without the unknown IDs',
  )
  t.same(plan.get('m1')?.sort(), ['0_0', '0_1'], 'm1 keeps both its tasks (its share is 2)')
})

t.test('no members: an empty plan; more members than tasks: some get none', async (t) => {
  t.equal(assignTasks(['0_0'], [], new Map()).size, 0)
  const plan = assignTasks(['0_0', '0_1'], ['a', 'b', 'c'], new Map())
  t.equal(checkBalancedAndComplete(plan, ['0_0', '0_1'], ['a', 'b', 'c']), undefined)
  t.equal([...plan.values()].filter((l) => l.length === 0).length, 1)
})

// --- the kafkajs assigner ---------------------------------------------------------------------

const assignerConfig = {
  cluster: {} as Cluster,
  groupId: 'app',
  logger: {} as Logger,
}

/** Two subtopologies: 0 reads two co-partitioned topics (3 partitions), 1 reads one topic (2 partitions). */
const TASKS: AssignableTask[] = [
  ...[0, 1, 2].map((p) => ({ id: `0_${p}`, topics: ['orders', 'payments'], partition: p })),
  ...[0, 1].map((p) => ({ id: `1_${p}`, topics: ['audit'], partition: p })),
]
const TOPICS = ['orders', 'payments', 'audit']

function memberMetadata(current: readonly string[]): Buffer {
  const assigner = taskAssigner(
    'streams',
    () => TASKS,
    () => current,
  )(assignerConfig)
  const { name, metadata } = assigner.protocol({ topics: TOPICS })
  if (name !== 'streams') throw new Error(`protocol name ${name}`)
  return metadata
}

async function runAssign(
  members: { memberId: string; memberMetadata: Buffer }[],
): Promise<Map<string, { [topic: string]: number[] }>> {
  const leader = taskAssigner(
    'streams',
    () => TASKS,
    () => [],
  )(assignerConfig)
  const result = await leader.assign({ members, topics: TOPICS })
  const out = new Map<string, { [topic: string]: number[] }>()
  for (const { memberId, memberAssignment } of result) {
    const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment)
    if (decoded === null) throw new Error(`no assignment for ${memberId}`)
    out.set(memberId, decoded.assignment)
  }
  return out
}

/** The tasks a decoded assignment stands for; throws when co-partitioned topics are split. */
function tasksOf(assignment: { [topic: string]: number[] }): string[] {
  const ids: string[] = []
  for (const task of TASKS) {
    const has = task.topics.map((topic) => (assignment[topic] ?? []).includes(task.partition))
    if (has.every(Boolean)) ids.push(task.id)
    else if (has.some(Boolean)) throw new Error(`task ${task.id} is split: ${JSON.stringify(assignment)}`)
  }
  return ids
}

t.test('protocol metadata carries the subscription and the current tasks', async (t) => {
  const decoded = AssignerProtocol.MemberMetadata.decode(memberMetadata(['0_1', '1_0']))
  t.equal(decoded?.version, 1)
  t.same(decoded?.topics, TOPICS)
  t.same(JSON.parse(decoded!.userData.toString()), { tasks: ['0_1', '1_0'] })
})

t.test('assign gives each member partition p of every co-partitioned topic of a task', async (t) => {
  const plan = await runAssign([
    { memberId: 'm-2', memberMetadata: memberMetadata([]) },
    { memberId: 'm-1', memberMetadata: memberMetadata([]) },
  ])
  t.same([...plan.keys()].sort(), ['m-1', 'm-2'])
  const byMember = new Map([...plan].map(([m, a]) => [m, tasksOf(a)]))
  const all = [...byMember.values()].flat().sort()
  t.same(all, ['0_0', '0_1', '0_2', '1_0', '1_1'], 'every task exactly once')
  for (const [m, ids] of byMember) t.ok(ids.length === 2 || ids.length === 3, `${m} has ${ids.length} tasks`)
  for (const assignment of plan.values()) {
    t.same(assignment.orders ?? [], assignment.payments ?? [], 'orders and payments partitions go together')
    for (const partitions of Object.values(assignment))
      t.equal(new Set(partitions).size, partitions.length, 'no partition twice')
  }
})

t.test('assign is sticky through the metadata and ignores tasks it does not know', async (t) => {
  const plan = await runAssign([
    { memberId: 'm-1', memberMetadata: memberMetadata(['0_2', '1_1', '7_7']) },
    { memberId: 'm-2', memberMetadata: memberMetadata(['0_0', '0_1']) },
  ])
  const m1 = tasksOf(plan.get('m-1')!)
  const m2 = tasksOf(plan.get('m-2')!)
  t.ok(m1.includes('0_2') && m1.includes('1_1'), `m-1 keeps 0_2 and 1_1 (${m1})`)
  t.ok(m2.includes('0_0') && m2.includes('0_1'), `m-2 keeps 0_0 and 0_1 (${m2})`)
  t.same([...m1, ...m2].sort(), ['0_0', '0_1', '0_2', '1_0', '1_1'])
  t.same(plan.get('m-1')?.orders?.sort(), plan.get('m-1')?.payments?.sort())
})

t.test('assign tolerates metadata it cannot read and is independent of member order', async (t) => {
  const members = [
    { memberId: 'm-1', memberMetadata: Buffer.from('garbage') },
    {
      memberId: 'm-2',
      memberMetadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics: TOPICS,
        userData: Buffer.from('{"tasks": "not a list"}'),
      }),
    },
    { memberId: 'm-3', memberMetadata: memberMetadata(['0_1']) },
  ]
  const a = await runAssign(members)
  const b = await runAssign([...members].reverse())
  t.same([...a].sort(), [...b].sort())
  t.same([...a.values()].flatMap(tasksOf).sort(), ['0_0', '0_1', '0_2', '1_0', '1_1'])
  t.ok(tasksOf(a.get('m-3')!).includes('0_1'), 'm-3 keeps its task')
})
