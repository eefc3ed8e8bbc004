import { AssignerProtocol, type PartitionAssigner } from 'kafkajs'

/** A task as the assigner sees it: a subtopology and a partition, and the topics it reads. */
export interface AssignableTask {
  readonly id: string
  readonly topics: readonly string[]
  readonly partition: number
}

interface MemberData {
  readonly tasks: readonly string[]
}

/**
 * The partition assignor of a streams application, in kafkajs' assigner
 * interface. kafkajs' own assigners spread topic-partitions independently,
 * which would split co-partitioned topics across instances; this one assigns
 * whole tasks (partition p of every source topic of a subtopology) to one
 * member, balanced, and sticky: a member keeps the tasks it ran (sent in its
 * join metadata) so a rebalance restores as few stores as possible.
 */
export function taskAssigner(
  name: string,
  tasks: () => readonly AssignableTask[],
  currentTasks: () => readonly string[],
): PartitionAssigner {
  return () => ({
    name,
    version: 1,
    async assign({ members }) {
      const all = tasks()
      const known = new Map(all.map((t) => [t.id, t]))
      const memberIds = members.map((m) => m.memberId).sort(compare)
      const previous = new Map<string, string[]>()
      for (const member of members) {
        const data = decodeMemberData(member.memberMetadata)
        previous.set(
          member.memberId,
          data.tasks.filter((t) => known.has(t)),
        )
      }
      const plan = assignTasks(
        all.map((t) => t.id),
        memberIds,
        previous,
      )
      return memberIds.map((memberId) => {
        const assignment: { [topic: string]: number[] } = {}
        for (const id of plan.get(memberId) ?? []) {
          const task = known.get(id)!
          for (const topic of task.topics) (assignment[topic] ??= []).push(task.partition)
        }
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment,
            userData: Buffer.alloc(0),
          }),
        }
      })
    },
    protocol({ topics }) {
      return {
        name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: Buffer.from(JSON.stringify({ tasks: currentTasks() } satisfies MemberData)),
        }),
      }
    },
  })
}

function decodeMemberData(metadata: Buffer): MemberData {
  try {
    const decoded = AssignerProtocol.MemberMetadata.decode(metadata)
    const data = JSON.parse(decoded?.userData?.toString() || '{}') as Partial<MemberData>
    return { tasks: Array.isArray(data.tasks) ? data.tasks.filter((t) => typeof t === 'string') : [] }
  } catch {
    return { tasks: [] }
  }
}

/**
 * Balanced, sticky assignment: each member gets ⌊T/M⌋ or ⌈T/M⌉ tasks; a member
 * keeps its previous tasks up to its share; the rest go to the least loaded.
 * Pure and deterministic (members sorted), so every leader computes the same.
 */
export function assignTasks(
  taskIds: readonly string[],
  memberIds: readonly string[],
  previous: ReadonlyMap<string, readonly string[]>,
): Map<string, string[]> {
  const members = [...memberIds].sort(compare)
  const plan = new Map<string, string[]>(members.map((m) => [m, []]))
  if (members.length === 0) return plan
  // Only tasks that still exist and that exactly one member claims count as that member's previous tasks.
  const valid = new Set(taskIds)
  const claims = new Map<string, number>()
  for (const m of members)
    for (const t of new Set(previous.get(m) ?? [])) if (valid.has(t)) claims.set(t, (claims.get(t) ?? 0) + 1)
  const kept = new Map(
    members.map((m) => [
      m,
      [...new Set(previous.get(m) ?? [])].filter((t) => claims.get(t) === 1).sort(compare),
    ]),
  )
  const base = Math.floor(taskIds.length / members.length)
  let extra = taskIds.length % members.length
  const quota = new Map<string, number>()
  // Members with the most previous tasks get the larger shares first.
  const byPrevious = [...members].sort((a, b) => kept.get(b)!.length - kept.get(a)!.length || compare(a, b))
  for (const m of byPrevious) quota.set(m, base + (extra-- > 0 ? 1 : 0))
  const taken = new Set<string>()
  for (const m of members) {
    for (const t of kept.get(m)!) {
      if (plan.get(m)!.length >= quota.get(m)!) break
      plan.get(m)!.push(t)
      taken.add(t)
    }
  }
  for (const t of [...taskIds].sort(compare)) {
    if (taken.has(t)) continue
    const m = members
      .filter((id) => plan.get(id)!.length < quota.get(id)!)
      .sort((a, b) => plan.get(a)!.length - plan.get(b)!.length || compare(a, b))[0]!
    plan.get(m)!.push(t)
    taken.add(t)
  }
  return plan
}

/** Plain code-unit order: the same on every instance, whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
