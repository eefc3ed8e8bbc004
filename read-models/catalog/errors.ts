import { ServiceError } from '../../processors/index.ts'

/** The database behind the read model cannot be reached or failed; retrying later may help. */
export class ReadModelError extends ServiceError {
  constructor(message: string, cause?: unknown) {
    super('READ_MODEL_UNAVAILABLE', message, { cause })
  }
}

/**
 * A category write the tree refuses (statuses from the error catalogue): `VALIDATION_FAILED`,
 * `CATEGORY_NOT_FOUND` (the parent given does not exist), `CATEGORY_CONFLICT` (ID or slug taken),
 * `CATEGORY_HAS_CHILDREN` (delete the children first), `CATEGORY_TOO_DEEP` (more than 3 levels, or a move
 * under its own subtree).
 */
export class CategoryError extends ServiceError {
  constructor(
    code:
      | 'VALIDATION_FAILED'
      | 'CATEGORY_NOT_FOUND'
      | 'CATEGORY_CONFLICT'
      | 'CATEGORY_HAS_CHILDREN'
      | 'CATEGORY_TOO_DEEP',
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { details })
  }
}

/** A search the read model cannot answer as asked (`VALIDATION_FAILED`): a cursor of another order or garbled. */
export class SearchError extends ServiceError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VALIDATION_FAILED', message, { details })
  }
}
