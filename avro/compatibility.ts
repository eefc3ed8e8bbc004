import type { Type } from 'avsc'
import type { AvroSchema } from './parse-schema.ts'
import { parseSchema } from './parse-schema.ts'
import type { SchemaFile } from './schema-catalogue.ts'
import { AVRO_ROOT, currentSchemas, historySchemas } from './schema-catalogue.ts'

/** Whether data can flow between two versions of a schema, in each direction. */
export interface Compatibility {
  /** The new schema, as reader, can read data written with the previous one (consumers upgrade first). */
  readonly backward: boolean
  /** The previous schema, as reader, can read data written with the new one (producers upgrade first). */
  readonly forward: boolean
  /** Why a direction fails, from avsc's resolver (absent when both hold). */
  readonly reason?: string
}

/**
 * Compare two versions of a schema with avsc resolvers, the same machinery the serdes decode through:
 * backward holds when `next.createResolver(previous)` succeeds, forward when `previous.createResolver(next)`
 * does. A new field without a default breaks backward; removing a field without a default breaks forward.
 *
 * @example
 * checkCompatibility(countTotalV1, countTotalV2) // { backward: true, forward: true }
 */
export function checkCompatibility(previous: AvroSchema | Type, next: AvroSchema | Type): Compatibility {
  const previousType = parseSchema(previous)
  const nextType = parseSchema(next)
  const backwardFailure = resolveFailure(nextType, previousType)
  const forwardFailure = resolveFailure(previousType, nextType)
  const reasons: string[] = []
  if (backwardFailure !== undefined) reasons.push(`backward: ${backwardFailure}`)
  if (forwardFailure !== undefined) reasons.push(`forward: ${forwardFailure}`)
  return {
    backward: backwardFailure === undefined,
    forward: forwardFailure === undefined,
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
  }
}

/** One history version checked against the current version of the same schema. */
export interface HistoryCompatibility extends Compatibility {
  readonly previous: SchemaFile
  readonly current: SchemaFile
}

/**
 * Check every file under `<root>/history` against the current schema of the same name
 * (transitively: every old version, not only the newest). Callers decide which direction they require;
 * the project requires `backward` for all of them.
 */
export function checkHistoryCompatibility(root: string = AVRO_ROOT): HistoryCompatibility[] {
  const current = new Map(currentSchemas(root).map((file) => [file.fullName, file]))
  return historySchemas(root).map((previous) => {
    const latest = current.get(previous.fullName) as SchemaFile // the catalogue guarantees it exists
    return { previous, current: latest, ...checkCompatibility(previous.schema, latest.schema) }
  })
}

function resolveFailure(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
