import { fileURLToPath } from 'node:url'

/** Where `generate-types.ts` writes the TypeScript types of the current schemas. */
export const GENERATED_TYPES_PATH: string = fileURLToPath(new URL('generated/types.ts', import.meta.url))
