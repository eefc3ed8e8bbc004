/**
 * A topic as declared in the one topic list (infra/topics.ts): the runtime and
 * the infrastructure scripts create topics from these, never from literals.
 */
export interface TopicSpec {
  readonly name: string
  readonly partitions: number
  readonly cleanupPolicy: 'delete' | 'compact'
  /** How long records are kept; null keeps them forever. */
  readonly retentionMs: number | null
}
