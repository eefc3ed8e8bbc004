import { CodedError } from './errors.ts'

/** What a handler answers for a failed record. */
export type HandlerResponse = 'CONTINUE' | 'DEAD_LETTER' | 'FAIL'

/** Where in the pipeline the record failed. */
export type FailureStage = 'deserialization' | 'processing' | 'production' | 'punctuation'

/** Everything a handler (and the dead-letter record) knows about a failure. */
export interface FailureContext {
  readonly stage: FailureStage
  readonly error: unknown
  readonly taskId: string
  /** The source record, when the failure belongs to one (not in a punctuation). */
  readonly source?: {
    readonly topic: string
    readonly partition: number
    readonly offset: number
    readonly key: Buffer | null
    readonly value: Buffer | null
    readonly timestamp: number
  }
  /** The sink topic, for production failures. */
  readonly sinkTopic?: string
}

export type ExceptionHandler = (failure: FailureContext) => HandlerResponse

/**
 * The failure policy, injected into the runtime: one handler per stage.
 * The default dead-letters bad input and bad output and keeps the partition
 * flowing; a punctuation failure is logged and dead-lettered (no source bytes).
 */
export interface ExceptionHandlers {
  readonly deserialization: ExceptionHandler
  readonly processing: ExceptionHandler
  readonly production: ExceptionHandler
}

export const deadLetterAll: ExceptionHandler = () => 'DEAD_LETTER'
export const continueOnError: ExceptionHandler = () => 'CONTINUE'
export const failOnError: ExceptionHandler = () => 'FAIL'

export const defaultExceptionHandlers: ExceptionHandlers = {
  deserialization: deadLetterAll,
  processing: deadLetterAll,
  production: deadLetterAll,
}

/** Stable code of any error: the catalogue's code, or the class name for foreign errors. */
export function errorCode(error: unknown): string {
  if (error instanceof CodedError) return error.code
  if (error instanceof Error) return error.name === 'Error' ? 'UNEXPECTED_ERROR' : error.name
  return 'UNEXPECTED_ERROR'
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Headers of a dead-letter record. The record keeps the original key and value
 * bytes untouched; these headers say where it came from and why it failed.
 */
export const DLQ_HEADERS = {
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  stage: 'dlq.stage',
  errorCode: 'dlq.error.code',
  errorMessage: 'dlq.error.message',
  applicationId: 'dlq.application.id',
  taskId: 'dlq.task.id',
  sinkTopic: 'dlq.sink.topic',
} as const

export function deadLetterHeaders(
  applicationId: string,
  failure: FailureContext,
): { [name: string]: string } {
  const headers: { [name: string]: string } = {
    [DLQ_HEADERS.stage]: failure.stage,
    [DLQ_HEADERS.errorCode]: errorCode(failure.error),
    [DLQ_HEADERS.errorMessage]: errorMessage(failure.error).slice(0, 2000),
    [DLQ_HEADERS.applicationId]: applicationId,
    [DLQ_HEADERS.taskId]: failure.taskId,
  }
  if (failure.source !== undefined) {
    headers[DLQ_HEADERS.sourceTopic] = failure.source.topic
    headers[DLQ_HEADERS.sourcePartition] = String(failure.source.partition)
    headers[DLQ_HEADERS.sourceOffset] = String(failure.source.offset)
  }
  if (failure.sinkTopic !== undefined) headers[DLQ_HEADERS.sinkTopic] = failure.sinkTopic
  return headers
}
