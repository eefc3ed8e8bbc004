/**
 * Check-in devices of an event: keys the event's organizer (or an admin) gives scanners at the pier, valid
 * for checking tickets in at that event only (query-api/auth.ts: role `device`). The key is answered once,
 * at creation, and stored as its SHA-256 only; revoking it takes effect on the next request, on every
 * instance (the key is looked up on each request).
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { DEVICE, deviceKeyHash, newDeviceKey, type Principal, type Role } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { MAX_DEVICES_PER_EVENT } from '../../read-models/catalog/index.ts'
import { Id, IdParams } from '../schemas.ts'
import { checkEventOwnership, MANAGERS } from './route-support.ts'

/**
 * The roles of a check-in route: the event's organizer, admins, and check-in devices of the route's event
 * (the auth hook refuses a device of another event; `deviceMayCheckIn` in auth.ts says the same).
 */
export const CHECK_IN_ROLES: readonly Role[] = [...MANAGERS, DEVICE]

const DeviceName = Type.String({ minLength: 1, maxLength: 80, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })
const CheckInDevice = Type.Object({
  deviceId: Type.String(),
  eventId: Type.String(),
  name: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
})
const CreatedDevice = Type.Object({
  deviceId: Type.String(),
  eventId: Type.String(),
  name: Type.String(),
  key: Type.String({
    description: 'The device key, shown this once: send it as `Authorization: Bearer <key>`',
  }),
  createdAt: Type.String({ format: 'date-time' }),
})
const DeviceParams = Type.Object({ id: Id, deviceId: Id }, { additionalProperties: false })

/** A new device ID: `dev-` and 72 random bits in base64url. */
const newDeviceId = (): string => `dev-${randomBytes(9).toString('base64url')}`

/**
 * The event the caller manages (its organizer, an admin): 404 when the read model does not know it (or it
 * is a draft the caller may not see), 403 for another organizer's event.
 */
async function managedEvent(context: ApiContext, principal: Principal, eventId: string): Promise<void> {
  const event = await checkEventOwnership(context, principal, eventId)
  if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${eventId}`)
}

export async function checkInDeviceRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.post<{ Params: { id: string }; Body: { name: string } }>(
    '/events/:id/check-in-devices',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: `Create a check-in device key for the event (its organizer, admins; at most ${MAX_DEVICES_PER_EVENT} active)`,
        params: IdParams,
        body: Type.Object({ name: DeviceName }, { additionalProperties: false }),
        response: { 201: CreatedDevice },
      },
    },
    async (request, reply) => {
      const eventId = request.params.id
      await managedEvent(context, request.principal, eventId)
      const key = newDeviceKey()
      const created = await context.readModel.createCheckInDevice({
        deviceId: newDeviceId(),
        eventId,
        name: request.body.name,
        keyHash: deviceKeyHash(key),
        createdBy: request.principal.userId!,
      })
      if (created === undefined)
        throw new ApiError(
          'CHECK_IN_DEVICE_LIMIT',
          `the event has ${MAX_DEVICES_PER_EVENT} active check-in devices; revoke one first`,
          { details: { eventId, limit: MAX_DEVICES_PER_EVENT } },
        )
      return reply.code(201).header('cache-control', 'no-store').send({
        deviceId: created.deviceId,
        eventId: created.eventId,
        name: created.name,
        key,
        createdAt: created.createdAt,
      })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/events/:id/check-in-devices',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: "The event's active check-in devices, oldest first (never their keys)",
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(CheckInDevice) }) },
      },
    },
    async (request) => {
      await managedEvent(context, request.principal, request.params.id)
      return { items: await context.readModel.listCheckInDevices(request.params.id) }
    },
  )

  app.delete<{ Params: { id: string; deviceId: string } }>(
    '/events/:id/check-in-devices/:deviceId',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Revoke a check-in device: its key stops working at once',
        params: DeviceParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { id, deviceId } = request.params
      await managedEvent(context, request.principal, id)
      if (!(await context.readModel.revokeCheckInDevice(id, deviceId)))
        throw new ApiError(
          'CHECK_IN_DEVICE_NOT_FOUND',
          `no active check-in device ${deviceId} on event ${id}`,
        )
      return reply.code(204).send()
    },
  )
}
