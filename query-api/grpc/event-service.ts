/** aquastream.v1.EventService: the catalog routes' reads (routes/catalog.ts, routes/availability.ts). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import { currentAvailability } from '../routes/availability.ts'
import { eventSearchOf, findEvent } from '../routes/catalog.ts'
import { ANYONE, viewerOf } from '../routes/route-support.ts'
import { IdParams, SearchQuery } from '../schemas.ts'
import { createAjv, validatorOf } from '../validation.ts'
import { unary, type GrpcParts } from './calls.ts'

const texts = createAjv(true)
const idParams = validatorOf(texts, IdParams, 'params')
const searchQuery = validatorOf(texts, SearchQuery, 'querystring')

/** The set fields of a message (the schemas are strict: unset ones are dropped). */
const setFields = (message: object) =>
  Object.fromEntries(Object.entries(message).filter(([, v]) => v !== undefined))

export function eventService(parts: GrpcParts): UntypedServiceImplementation {
  const { context } = parts
  return {
    GetEvent: unary(parts, 'GetEvent', ANYONE, async (request: object, caller) => {
      const { id } = idParams(setFields(request))
      return findEvent(context, caller.principal, id)
    }),
    SearchEvents: unary(parts, 'SearchEvents', ANYONE, async (request: object, caller) => {
      const search = eventSearchOf(searchQuery(setFields(request)))
      return context.readModel.searchEvents(search, viewerOf(caller.principal))
    }),
    GetAvailability: unary(parts, 'GetAvailability', ANYONE, async (request: object, caller) => {
      const { id } = idParams({ id: (request as { eventId?: string }).eventId })
      return currentAvailability(context, caller.principal, id)
    }),
  }
}
