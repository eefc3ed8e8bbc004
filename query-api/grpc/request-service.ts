/** aquastream.v1.RequestService: the outcome of a command (routes/requests.ts's rule and schema). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import { RequestIdParams, requestOutcome } from '../routes/requests.ts'
import { SIGNED_IN } from '../routes/route-support.ts'
import { createAjv, validatorOf } from '../validation.ts'
import { unary, type GrpcParts } from './calls.ts'

const requestIdParams = validatorOf(createAjv(true), RequestIdParams, 'params')

export function requestService(parts: GrpcParts): UntypedServiceImplementation {
  return {
    GetOutcome: unary(parts, 'GetOutcome', SIGNED_IN, async (request: object, caller) => {
      const { id } = requestIdParams({ id: (request as { requestId?: string }).requestId })
      return requestOutcome(parts.context, caller.principal, id)
    }),
  }
}
