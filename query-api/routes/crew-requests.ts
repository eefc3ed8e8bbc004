/**
 * Asking the crew service for a crew member of an event (MISSION.md, "Crew"). The answer comes later from
 * the crew service (`crew.assigned` or `crew.unavailable`); this route only records the request.
 */
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from '../context.ts'
import { Accepted, CommandHeaders, CrewRequestBody, IdParams, Outcome } from '../schemas.ts'
import { submitEventCommand } from './event-command-flow.ts'
import { checkEventOwnership, MANAGERS } from './route-support.ts'

/** POST /events/{id}/crew: 201 with the outcome; its resource ID is the crew request's. */
export async function crewRequestRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.post<{ Params: { id: string }; Body: CrewRequestBody }>(
    '/events/:id/crew',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Ask the crew service for a crew member',
        params: IdParams,
        headers: CommandHeaders,
        body: CrewRequestBody,
        response: { 201: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const role = request.body.role
      const id = request.body.id
      return submitEventCommand(
        context,
        request,
        reply,
        request.params.id,
        'REQUEST_CREW',
        (crewRequestId) => ({ crewRequest: { crewRequestId, role } }),
        {
          resourceType: 'CREW_REQUEST',
          resourceId: id ?? ((fresh) => fresh),
          successStatus: 201,
          load: null,
        },
      )
    },
  )
}
