/**
 * The API's schema validation, one configuration for every transport: bodies strictly (no coercion: "3"
 * is not a number), query strings, params and headers (text) with coercion; defaults filled in, every
 * error reported. The Fastify app compiles its route schemas with these; the gRPC services validate their
 * requests against the same TypeBox schemas (`validatorOf`), so a rule is written once.
 */
import type { TSchema, Static } from '@sinclair/typebox'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { validationError } from './errors.ts'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

const ajvOptions = (coerce: boolean) =>
  ({
    coerceTypes: coerce ? 'array' : false,
    removeAdditional: false,
    useDefaults: true,
    allErrors: true,
    strict: false,
  }) as const

/**
 * Strict (`coerce` false, bodies) or coercing (text parts) Ajv with the API's options. It keeps the code it
 * generates, which schema-code.ts stores.
 */
export function createAjv(coerce: boolean): Ajv {
  return addFormats(new Ajv({ ...ajvOptions(coerce), code: { source: true } }))
}

/** What names `createAjv(coerce)`'s options in schema-code.ts's keys. */
export const ajvFlavor = (coerce: boolean): string => JSON.stringify(ajvOptions(coerce))

/**
 * A check of `schema`: returns the value (defaults filled in) or throws the error Fastify raises for an
 * invalid request, which `toErrorBody` answers as 400 VALIDATION_FAILED with the errors in `details`.
 */
export function validatorOf<T extends TSchema>(
  ajv: Ajv,
  schema: T,
  part: 'body' | 'params' | 'querystring',
): (value: unknown) => Static<T> {
  const validate = ajv.compile(schema)
  return (value) => {
    if (validate(value)) return value as Static<T>
    const errors = validate.errors ?? []
    throw Object.assign(validationError(errors, part), { validation: errors, validationContext: part })
  }
}
