import { CodedError } from '../../streams/index.ts'

/** The database behind the read model cannot be reached or failed; retrying later may help. */
export class ReadModelError extends CodedError {
  constructor(message: string, cause?: unknown) {
    super('READ_MODEL_UNAVAILABLE', message, { retriable: true, httpStatus: 503, cause })
  }
}

/**
 * A category write the tree refuses. Codes: `VALIDATION_FAILED` (400), `CATEGORY_NOT_FOUND` (404: the
 * parent given does not exist), `CATEGORY_CONFLICT` (409: ID or slug taken), `CATEGORY_HAS_CHILDREN`
 * (409: delete the children first), `CATEGORY_TOO_DEEP` (422: more than 3 levels, or a move under its own
 * subtree).
 */
export class CategoryError extends CodedError {
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
    const status = {
      VALIDATION_FAILED: 400,
      CATEGORY_NOT_FOUND: 404,
      CATEGORY_CONFLICT: 409,
      CATEGORY_HAS_CHILDREN: 409,
      CATEGORY_TOO_DEEP: 422,
    }[code]
    super(code, message, { httpStatus: status, details })
  }
}
