import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import type { Category, CategoryInput, CategoryPatch } from '../../read-models/catalog/index.ts'
import { CategoryBody, CategoryPatchBody, CategoryView, IdParams } from '../schemas.ts'
import { ADMINS, ANYONE, sendWithEtag, serialize } from './route-support.ts'

const CategoryNode = Type.Recursive(
  (Self) => Type.Object({ ...CategoryView.properties, children: Type.Array(Self) }),
  { $id: 'CategoryNode' },
)

/** The category tree (public) and its admin management (audited with before/after). */
export async function categoryRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get(
    '/categories',
    {
      config: { roles: ANYONE },
      schema: {
        tags: ['categories'],
        summary: 'The category tree (3 levels at most)',
        response: { 200: Type.Object({ items: Type.Array(CategoryNode) }) },
      },
    },
    async (request, reply) =>
      sendWithEtag(request, reply, serialize({ items: await context.readModel.listCategoryTree() })),
  )

  const actor = (request: { principal: { userId: string | undefined }; id: string }) => ({
    userId: request.principal.userId!,
    requestId: String(request.id),
  })

  app.post<{ Body: CategoryInput }>(
    '/categories',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['categories'],
        summary: 'Create a category',
        body: CategoryBody,
        response: { 201: CategoryView },
      },
    },
    async (request, reply) => {
      // CategoryError (VALIDATION_FAILED, CATEGORY_NOT_FOUND, CATEGORY_CONFLICT, CATEGORY_TOO_DEEP) answers
      // with its own code and status through the error handler.
      const created: Category = await context.readModel.createCategory(request.body, actor(request))
      request.auditTrail = { before: null, after: created }
      return reply
        .code(201)
        .header('location', `/api/v1/categories/${encodeURIComponent(created.id)}`)
        .send(created)
    },
  )

  app.patch<{ Params: { id: string }; Body: CategoryPatch }>(
    '/categories/:id',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['categories'],
        summary: 'Update a category',
        params: IdParams,
        body: CategoryPatchBody,
        response: { 200: CategoryView },
      },
    },
    async (request) => {
      const before = await context.readModel.getCategory(request.params.id)
      const updated = await context.readModel.updateCategory(request.params.id, request.body, actor(request))
      if (updated === undefined) throw new ApiError('CATEGORY_NOT_FOUND', `no category ${request.params.id}`)
      request.auditTrail = { before, after: updated }
      return updated
    },
  )

  app.delete<{ Params: { id: string } }>(
    '/categories/:id',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['categories'],
        summary: 'Delete a leaf category',
        params: IdParams,
        response: { 204: { type: 'null', description: 'Deleted' } },
      },
    },
    async (request, reply) => {
      const before = await context.readModel.getCategory(request.params.id)
      const deleted = await context.readModel.deleteCategory(request.params.id, actor(request))
      if (!deleted) throw new ApiError('CATEGORY_NOT_FOUND', `no category ${request.params.id}`)
      request.auditTrail = { before, after: null }
      return reply.code(204).send()
    },
  )
}
