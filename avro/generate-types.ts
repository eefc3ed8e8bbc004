// Writes avro/generated/types.ts from the current schemas under avro/schemas: `node avro/generate-types.ts`.
// test/avro/generated-types.test.ts fails when the committed file differs from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { currentSchemas } from './schema-catalogue.ts'
import { GENERATED_TYPES_PATH } from './generated-types-path.ts'
import { renderTypes } from './typescript-types.ts'

mkdirSync(dirname(GENERATED_TYPES_PATH), { recursive: true })
writeFileSync(GENERATED_TYPES_PATH, renderTypes(currentSchemas()))
process.stderr.write(`wrote ${GENERATED_TYPES_PATH}\n`)
