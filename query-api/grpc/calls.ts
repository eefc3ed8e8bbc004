/**
 * What every gRPC method shares with the HTTP routes: the caller from the `authorization` metadata
 * (`Bearer <token>`, the same verifier), the method's roles (`authorize`: UNAUTHENTICATED for a guest
 * where a token is needed, PERMISSION_DENIED for another role or an admin token without a second factor),
 * a trace ID (`x-request-id` metadata when well-formed, else a new one; sent back as `x-trace-id`), errors
 * as statuses (status.ts), and for commands the `idempotency-key` metadata and the wait for the decision
 * up to the call's deadline.
 */
import { appendAuditEntry, isAudited } from '../audit.ts'
import {
  Metadata,
  status as Status,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceError,
  type UntypedHandleCall,
} from '@grpc/grpc-js'
import type { FastifyBaseLogger } from 'fastify'
import { randomUUID } from 'node:crypto'
import { authenticateHeader, authorize, type Principal, type Role, type TokenVerifier } from '../auth.ts'
import { commandAnswer, type CommandAnswer, type CommandPlan } from '../command-flow.ts'
import type { ApiContext } from '../context.ts'
import { deadlineExceeded, toGrpcError } from './status.ts'

/** What the gRPC services are built from: the HTTP app's context and verifier (`app.apiParts`). */
export interface GrpcParts {
  readonly context: ApiContext
  readonly verify: TokenVerifier
  readonly logger: FastifyBaseLogger
}

/** One call, authenticated and authorized. */
export interface Caller {
  readonly principal: Principal
  readonly traceId: string
  readonly log: FastifyBaseLogger
  readonly call: ServerUnaryCall<unknown, unknown>
  /** What an admin's command call records in the audit line: the resource before, the request ID. */
  readonly audit: { before?: unknown; requestId?: string }
}

/** Answers sent with an early `x-request-id` cannot send their initial metadata twice. */
const initialSent = new WeakSet<object>()

function text(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0]
  return typeof value === 'string' ? value : undefined
}

/**
 * A unary method: authenticates, authorizes for `roles`, runs `handler`, answers its value or its error as
 * a status (5xx errors logged with their stack, like the HTTP API's). Every admin call and every
 * organizer `command` call is an audit record (action `GRPC <Method>`, status the gRPC code).
 */
export function unary<Req, Res>(
  parts: GrpcParts,
  method: string,
  roles: readonly Role[],
  handler: (request: Req, caller: Caller) => Promise<Res>,
  kind: 'read' | 'command' = 'read',
): UntypedHandleCall {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const offered = text(call.metadata, 'x-request-id')
    const traceId = offered !== undefined && /^[\w.:-]{1,128}$/.test(offered) ? offered : randomUUID()
    const log = parts.logger.child({ traceId, grpcMethod: method })
    const trailer = new Metadata()
    trailer.set('x-trace-id', traceId)
    let principal: Principal | undefined
    const audit: Caller['audit'] = {}
    const run = async () => {
      principal = await authenticateHeader(text(call.metadata, 'authorization'), parts.verify)
      authorize(principal, roles)
      return handler(call.request, {
        principal,
        traceId,
        log,
        call: call as unknown as ServerUnaryCall<unknown, unknown>,
        audit,
      })
    }
    // The durable audit, as over HTTP (query-api/audit.ts): every admin call, every organizer command.
    const audited = async (code: number): Promise<void> => {
      if (principal?.userId === undefined) return
      if (!isAudited(principal, kind === 'command' ? 'POST' : 'GET')) return
      const before = audit.before as { id?: unknown } | undefined
      await appendAuditEntry(parts.context, {
        actorUserId: principal.userId,
        actorRole: principal.role === 'admin' ? 'admin' : 'organizer',
        secondFactor: principal.secondFactor,
        action: `GRPC ${method}`,
        targetType: before === undefined ? null : 'booking',
        targetId: typeof before?.id === 'string' ? before.id : null,
        requestId: audit.requestId ?? null,
        traceId,
        status: code,
        before: audit.before ?? null,
        after: null,
        input: { request: call.request },
      })
    }
    run().then(
      async (value) => {
        await audited(Status.OK)
        callback(null, value, trailer)
      },
      async (error: unknown) => {
        const answer =
          error instanceof GrpcAnswer
            ? { error: error.status, httpStatus: 504, reason: 'DEADLINE_EXCEEDED' }
            : toGrpcError(error, traceId)
        if (answer.httpStatus >= 500 && !(error instanceof GrpcAnswer))
          log.error({ err: error }, 'gRPC call failed')
        else log.info({ code: answer.error.code, reason: answer.reason }, 'gRPC call refused')
        await audited(answer.error.code ?? Status.UNKNOWN)
        callback(answer.error as ServiceError)
      },
    )
  }
}

/** A status a method answers on purpose (not an error of the catalogue). */
class GrpcAnswer extends Error {
  readonly status: Partial<ServiceError>
  constructor(status: Partial<ServiceError>) {
    super(status.details)
    this.status = status
  }
}

/** Leave this much of the deadline to send the answer back. */
const DEADLINE_MARGIN_MS = 50

/**
 * Runs a command like `submitCommand` does for HTTP, as the HTTP route `method route` (so an idempotency
 * key derives the same IDs on either transport). The request ID goes out in the initial metadata
 * (`x-request-id`) as soon as the command is produced, so a client whose deadline passes still has it.
 * Waits for the decision up to the deadline (less a margin), at most the API's longest wait (10 s);
 * without a deadline, that longest wait. Not decided in time: DEADLINE_EXCEEDED when the deadline was
 * what ended the wait, else the PENDING answer (the caller asks RequestService later).
 */
export async function runCommand<R>(
  parts: GrpcParts,
  caller: Caller,
  route: { method: string; route: string; params: unknown; body: unknown },
  plan: CommandPlan<R>,
): Promise<CommandAnswer<R>> {
  const { call } = caller
  const deadline = call.getDeadline()
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline
  const untilDeadline = Number.isFinite(deadlineMs) ? deadlineMs - Date.now() - DEADLINE_MARGIN_MS : Infinity
  const waitMs = Math.max(0, Math.min(untilDeadline, parts.context.maxWaitMs))
  const abort = new AbortController()
  call.once('cancelled', () => abort.abort())
  const answer = await commandAnswer(
    parts.context,
    {
      principal: caller.principal,
      idempotencyKey: text(call.metadata, 'idempotency-key'),
      ...route,
      waitMs: waitMs > 0 ? waitMs : undefined,
      leaving: () => abort.signal,
      log: caller.log,
    },
    plan,
    (requestId) => {
      caller.audit.requestId = requestId
      if (initialSent.has(call)) return
      initialSent.add(call)
      const metadata = new Metadata()
      metadata.set('x-request-id', requestId)
      call.sendMetadata(metadata)
    },
  )
  if (answer.kind === 'pending' && untilDeadline <= parts.context.maxWaitMs)
    throw new GrpcAnswer(deadlineExceeded(answer.requestId, caller.traceId))
  return answer
}
