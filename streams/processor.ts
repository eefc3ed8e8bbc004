import type { Record, RecordMetadata } from './record.ts'
import type { StateStore } from './state-store.ts'

/** What `schedule` returns: cancels the punctuation. */
export interface Cancellable {
  cancel(): void
}

/** Called by the runtime at (wall-clock) intervals, with the current time. */
export type Punctuator = (timestampMs: number) => void

/** Only wall-clock punctuation exists here; the name keeps Kafka Streams' vocabulary. */
export type PunctuationType = 'WALL_CLOCK_TIME'

/**
 * The processor's view of its task, as Kafka Streams' `api.ProcessorContext`.
 * Everything a processor does goes through it: forwarding to children, reading
 * and writing its stores, scheduling punctuators. Forwarded records and store
 * writes commit atomically with the input offsets.
 */
export interface ProcessorContext<KForward = unknown, VForward = unknown> {
  readonly applicationId: string
  /** `<subtopology>_<partition>`, e.g. `0_3`. */
  readonly taskId: string
  readonly partition: number
  /** Forward to every child, or to the named child only. */
  forward(record: Record<KForward, VForward>, childName?: string): void
  /** A store connected to this processor in the topology; throws for any other. */
  getStateStore<S extends StateStore>(name: string): S
  /** Run `punctuator` every `intervalMs` of wall-clock time while the task lives. */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable
  /** Where the current record came from; undefined inside a punctuation. */
  recordMetadata(): RecordMetadata | undefined
  /** The injected wall clock. */
  currentSystemTimeMs(): number
}

/**
 * A node of the topology that receives records and may forward others.
 * `init` runs once per task before any record, `close` when the task closes.
 */
export interface Processor<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> {
  init?(context: ProcessorContext<KOut, VOut>): void
  process(record: Record<KIn, VIn>): void
  close?(): void
}

/** Gives each task a fresh processor instance. */
export type ProcessorSupplier<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> = () => Processor<
  KIn,
  VIn,
  KOut,
  VOut
>
