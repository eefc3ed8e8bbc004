import type { Db } from './db.ts'
import { clampPage, SUMMARY_COLUMNS, toSummary } from './event-queries.ts'
import { isoOf } from './instants.ts'
import type { FavoriteView, Page, PageRequest } from './views.ts'

/** Private favorites in the read model's own table; reads hide drafts the user may not see. */
export class SqlFavoriteStore {
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  async listFavorites(userId: string, request: PageRequest): Promise<Page<FavoriteView>> {
    const { page, size } = clampPage(request.page, request.size)
    const visible = `f.user_id = $1 AND (e.status <> 'DRAFT' OR e.organizer_id = $1)`
    const [rows, counted] = await Promise.all([
      this.#db.query(
        `SELECT ${SUMMARY_COLUMNS}, f.created_at AS favorited_at FROM favorites f JOIN events e ON e.id = f.event_id
         WHERE ${visible} ORDER BY f.created_at DESC, f.event_id ASC LIMIT $2 OFFSET $3`,
        [userId, size, page * size],
      ),
      this.#db.query<{ total: number }>(
        `SELECT count(*)::integer AS total FROM favorites f JOIN events e ON e.id = f.event_id WHERE ${visible}`,
        [userId],
      ),
    ])
    return {
      items: rows.map((row) => ({ event: toSummary(row), favoritedAt: isoOf(row.favorited_at)! })),
      page,
      size,
      total: Number(counted[0]?.total ?? 0),
    }
  }

  async isFavorite(userId: string, eventId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM favorites WHERE user_id = $1 AND event_id = $2', [
      userId,
      eventId,
    ])
    return rows.length > 0
  }

  async addFavorite(userId: string, eventId: string): Promise<boolean> {
    const rows = await this.#db.query(
      `INSERT INTO favorites (user_id, event_id, created_at) VALUES ($1, $2, now())
       ON CONFLICT DO NOTHING RETURNING 1`,
      [userId, eventId],
    )
    return rows.length > 0
  }

  async removeFavorite(userId: string, eventId: string): Promise<boolean> {
    const rows = await this.#db.query(
      'DELETE FROM favorites WHERE user_id = $1 AND event_id = $2 RETURNING 1',
      [userId, eventId],
    )
    return rows.length > 0
  }
}
