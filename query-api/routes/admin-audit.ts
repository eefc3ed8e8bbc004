import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { toCsv } from '../../read-models/analytics/index.ts'
import type { ApiContext } from '../context.ts'
import { ADMINS, ERROR_RESPONSES } from './route-support.ts'

const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Z]+ [\\x21-\\x7e]+$' })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  },
  { additionalProperties: false },
)

const Outcome = Type.Union([
  Type.Object({
    accepted: Type.Boolean(),
    reasonCode: Type.Union([Type.String(), Type.Null()]),
    message: Type.String(),
    resourceId: Type.String(),
    decidedAt: Type.String(),
  }),
  Type.Null(),
])

const AuditRecordView = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actorUserId: Type.String(),
  actorRole: Type.String(),
  secondFactor: Type.Boolean(),
  action: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  traceId: Type.String(),
  status: Type.Integer(),
  before: Type.Unknown(),
  after: Type.Unknown({ description: "a direct write's state after; a command's after is its `outcome`" }),
  input: Type.Unknown(),
  outcome: Outcome,
})

const COLUMNS = [
  'id',
  'at',
  'actorUserId',
  'actorRole',
  'secondFactor',
  'action',
  'targetType',
  'targetId',
  'requestId',
  'traceId',
  'status',
  'before',
  'after',
  'outcome',
] as const

/** The durable audit log for admins (query-api/audit.ts writes it); reading it is audited too. */
export async function adminAuditRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/admin/audit',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['admin'],
        summary: 'The audit log (admins, with a second factor), newest first; `format=csv` exports it',
        description:
          'Every admin request and every organizer write: actor, second factor, action (`METHOD /route`), target, the state before, the state after (direct writes) or the decided outcome (commands), request and trace IDs. Filters: actor, action, target, time range [from, to). `format=csv` answers text/csv with the same columns (structured ones as JSON).',
        querystring: AuditQuery,
        response: {
          200: Type.Object({
            items: Type.Array(AuditRecordView),
            page: Type.Integer(),
            size: Type.Integer(),
            total: Type.Integer(),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query
      const page = await context.readModel.listAudit(query)
      if (format === 'json') return page
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="audit.csv"')
        .header('cache-control', 'private, no-store')
      return reply.send(toCsv(page.items, COLUMNS))
    },
  )
}
