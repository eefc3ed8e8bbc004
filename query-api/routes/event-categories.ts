/**
 * An event's categories must be in the category tree. The tree is the read model's (admins edit it
 * there; no topic carries it), so the API checks it before a create, an edit or a publish goes to the
 * event pipeline, whose processors do not see the tree. A category deleted after an event named it stops
 * the event's publication until the event is edited.
 */
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'

/**
 * Throws `CATEGORY_UNKNOWN` (422) when any of `categories` is not in the tree; `details.unknown` lists
 * those, in the order given.
 */
export async function checkCategories(context: ApiContext, categories: readonly string[]): Promise<void> {
  if (categories.length === 0) return
  const known = new Set((await context.readModel.listCategories()).map((c) => c.id))
  const unknown = [...new Set(categories)].filter((id) => !known.has(id))
  if (unknown.length > 0)
    throw new ApiError('CATEGORY_UNKNOWN', `no category ${unknown.join(', ')} in the category tree`, {
      details: { unknown },
    })
}
