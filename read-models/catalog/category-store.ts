import type { Db, Queryable } from './db.ts'
import { CategoryError } from './errors.ts'
import { isoOf } from './instants.ts'
import type { AuditActor, Category, CategoryInput, CategoryNode, CategoryPatch } from './views.ts'

export const MAX_CATEGORY_DEPTH = 3
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const MAX_SLUG = 64
const MAX_NAME = 100

const CYRILLIC: Readonly<Record<string, string>> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'h',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'sch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
}

/** A URL slug of a name, Cyrillic transliterated: "Сплав по рекам" → "splav-po-rekam". */
export function slugify(name: string): string {
  return [...name.toLowerCase()]
    .map((c) => CYRILLIC[c] ?? c)
    .join('')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG)
    .replace(/-+$/g, '')
}

function toCategory(row: Record<string, unknown>): Category {
  return {
    id: row.id as string,
    parentId: (row.parent_id as string | null) ?? null,
    name: row.name as string,
    slug: row.slug as string,
    level: Number(row.level),
    position: Number(row.position),
    createdAt: isoOf(row.created_at)!,
    updatedAt: isoOf(row.updated_at)!,
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length < 1 || name.trim().length > MAX_NAME)
    throw new CategoryError('VALIDATION_FAILED', `a category name has 1-${MAX_NAME} characters`)
  return name.trim()
}

function checkSlug(slug: string, field: 'id' | 'slug'): string {
  if (slug.length > MAX_SLUG || !SLUG.test(slug))
    throw new CategoryError(
      'VALIDATION_FAILED',
      `category ${field} must match ${SLUG.source} (≤ ${MAX_SLUG})`,
      {
        field,
      },
    )
  return slug
}

function checkPosition(position: unknown): number {
  if (!Number.isInteger(position) || (position as number) < 0 || (position as number) > 1_000_000)
    throw new CategoryError('VALIDATION_FAILED', 'position is an integer 0-1,000,000')
  return position as number
}

const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505'

async function audit(
  tx: Queryable,
  categoryId: string,
  action: 'CREATE' | 'UPDATE' | 'DELETE',
  actor: AuditActor,
  before: Category | undefined,
  after: Category | undefined,
): Promise<void> {
  await tx.query(
    `INSERT INTO category_audit (category_id, action, actor_user_id, request_id, before, after, at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, now())`,
    [
      categoryId,
      action,
      actor.userId,
      actor.requestId,
      before === undefined ? null : JSON.stringify(before),
      after === undefined ? null : JSON.stringify(after),
    ],
  )
}

async function lockCategory(tx: Queryable, id: string): Promise<Category | undefined> {
  const [row] = await tx.query('SELECT * FROM categories WHERE id = $1 FOR UPDATE', [id])
  return row === undefined ? undefined : toCategory(row)
}

/** Admin-managed categories in the read model's own tables, each write audited in its transaction. */
export class SqlCategoryStore {
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  async listCategories(): Promise<Category[]> {
    const rows = await this.#db.query('SELECT * FROM categories ORDER BY level, position, name, id')
    return rows.map(toCategory)
  }

  async listCategoryTree(): Promise<CategoryNode[]> {
    const all = await this.listCategories()
    const children = new Map<string | null, Category[]>()
    for (const c of all) children.set(c.parentId, [...(children.get(c.parentId) ?? []), c])
    const build = (parentId: string | null): CategoryNode[] =>
      (children.get(parentId) ?? []).map((c) => ({ ...c, children: build(c.id) }))
    return build(null)
  }

  async getCategory(id: string): Promise<Category | undefined> {
    const [row] = await this.#db.query('SELECT * FROM categories WHERE id = $1', [id])
    return row === undefined ? undefined : toCategory(row)
  }

  async createCategory(input: CategoryInput, actor: AuditActor): Promise<Category> {
    const name = checkName(input.name)
    const slug = checkSlug(input.slug ?? slugify(name), 'slug')
    const id = checkSlug(input.id ?? slug, 'id')
    const position = checkPosition(input.position ?? 0)
    try {
      return await this.#db.transaction(async (tx) => {
        let level = 1
        if (input.parentId !== null) {
          const parent = await lockCategory(tx, input.parentId)
          if (parent === undefined)
            throw new CategoryError('CATEGORY_NOT_FOUND', `no parent category ${input.parentId}`)
          level = parent.level + 1
          if (level > MAX_CATEGORY_DEPTH)
            throw new CategoryError(
              'CATEGORY_TOO_DEEP',
              `categories are at most ${MAX_CATEGORY_DEPTH} levels deep`,
            )
        }
        const [row] = await tx.query(
          `INSERT INTO categories (id, parent_id, name, slug, level, position, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, now(), now()) RETURNING *`,
          [id, input.parentId, name, slug, level, position],
        )
        const created = toCategory(row!)
        await audit(tx, id, 'CREATE', actor, undefined, created)
        return created
      })
    } catch (error) {
      if (isUniqueViolation(error))
        throw new CategoryError('CATEGORY_CONFLICT', `category ID ${id} or slug ${slug} is taken`, {
          id,
          slug,
        })
      throw error
    }
  }

  async updateCategory(id: string, patch: CategoryPatch, actor: AuditActor): Promise<Category | undefined> {
    const name = patch.name === undefined ? undefined : checkName(patch.name)
    const slug = patch.slug === undefined ? undefined : checkSlug(patch.slug, 'slug')
    const position = patch.position === undefined ? undefined : checkPosition(patch.position)
    try {
      return await this.#db.transaction(async (tx) => {
        const before = await lockCategory(tx, id)
        if (before === undefined) return undefined
        let level = before.level
        const parentId = patch.parentId === undefined ? before.parentId : patch.parentId
        if (parentId !== before.parentId) {
          // The subtree moves with the category: its depth below the category must still fit in 3 levels.
          const subtree = await tx.query<{ id: string; depth: number }>(
            `WITH RECURSIVE t(id, depth) AS (SELECT id, 0 FROM categories WHERE id = $1
               UNION ALL SELECT c.id, t.depth + 1 FROM categories c JOIN t ON c.parent_id = t.id)
             SELECT id, depth FROM t`,
            [id],
          )
          if (parentId !== null && subtree.some((s) => s.id === parentId))
            throw new CategoryError('CATEGORY_TOO_DEEP', 'a category cannot move under its own subtree')
          level = 1
          if (parentId !== null) {
            const parent = await lockCategory(tx, parentId)
            if (parent === undefined)
              throw new CategoryError('CATEGORY_NOT_FOUND', `no parent category ${parentId}`)
            level = parent.level + 1
          }
          const depth = Math.max(...subtree.map((s) => Number(s.depth)))
          if (level + depth > MAX_CATEGORY_DEPTH)
            throw new CategoryError(
              'CATEGORY_TOO_DEEP',
              `categories are at most ${MAX_CATEGORY_DEPTH} levels deep`,
            )
          await tx.query('UPDATE categories SET level = level + $2 WHERE id = ANY($1)', [
            subtree.filter((s) => s.id !== id).map((s) => s.id),
            level - before.level,
          ])
        }
        const [row] = await tx.query(
          `UPDATE categories SET parent_id = $2, name = $3, slug = $4, level = $5, position = $6, updated_at = now()
           WHERE id = $1 RETURNING *`,
          [id, parentId, name ?? before.name, slug ?? before.slug, level, position ?? before.position],
        )
        const after = toCategory(row!)
        await audit(tx, id, 'UPDATE', actor, before, after)
        return after
      })
    } catch (error) {
      if (isUniqueViolation(error))
        throw new CategoryError('CATEGORY_CONFLICT', `slug ${slug} is taken`, { slug })
      throw error
    }
  }

  async deleteCategory(id: string, actor: AuditActor): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const before = await lockCategory(tx, id)
      if (before === undefined) return false
      const [child] = await tx.query('SELECT id FROM categories WHERE parent_id = $1 LIMIT 1', [id])
      if (child !== undefined)
        throw new CategoryError('CATEGORY_HAS_CHILDREN', `category ${id} has subcategories`, { id })
      await tx.query('DELETE FROM categories WHERE id = $1', [id])
      await audit(tx, id, 'DELETE', actor, before, undefined)
      return true
    })
  }
}
