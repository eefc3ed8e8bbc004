// Fills the read model with N realistic events for the API benchmark (catalog search, event details):
// a three-level category tree, events in Russian and English over several regions, 1-3 price options
// each, a mix of statuses, some sold out. Rows go through the migrated schema with multi-row
// INSERT ... SELECT FROM jsonb_to_recordset (chunks of `batchSize`), on pg or PGlite alike.
//
// Seats are written directly (no bookings are generated): the rows a projection would hold after the
// bookings, not a replayable history. Use it on a schema the projection does not feed.
import type { Db } from '../../read-models/catalog/db.ts'
import { areaOf } from '../../read-models/catalog/event-rows.ts'
import type { ReadModel } from '../../read-models/catalog/read-model.ts'
import { SqlReadModel } from '../../read-models/catalog/sql-read-model.ts'

const DAY_MS = 24 * 60 * 60 * 1000

/** [id, parent, name] of the seeded tree, roots first. */
export const SEED_CATEGORIES: readonly (readonly [string, string | null, string])[] = [
  ['water', null, 'Водные походы'],
  ['land', null, 'Пешие и горные'],
  ['camps', null, 'Лагеря'],
  ['rafting', 'water', 'Сплав'],
  ['sup', 'water', 'SUP'],
  ['sailing', 'water', 'Парусный спорт'],
  ['kayaking', 'water', 'Каякинг'],
  ['hiking', 'land', 'Походы'],
  ['climbing', 'land', 'Альпинизм'],
  ['kids-camps', 'camps', 'Детские лагеря'],
  ['adult-camps', 'camps', 'Лагеря для взрослых'],
  ['rafting-family', 'rafting', 'Семейный сплав'],
  ['rafting-extreme', 'rafting', 'Экстремальный сплав'],
  ['sup-sunset', 'sup', 'SUP на закате'],
  ['sailing-regatta', 'sailing', 'Регаты'],
  ['hiking-weekend', 'hiking', 'Походы выходного дня'],
]

interface Activity {
  readonly categories: readonly string[]
  readonly ru: string
  readonly en: string
  readonly ruText: string
  readonly enText: string
}

const ACTIVITIES: readonly Activity[] = [
  {
    categories: ['rafting', 'rafting-family'],
    ru: 'Семейный сплав по реке',
    en: 'Family rafting trip',
    ruText: 'Спокойный сплав на рафтах с инструкторами, обед на берегу и купание.',
    enText: 'An easy rafting day with instructors, lunch on the bank and swimming.',
  },
  {
    categories: ['rafting', 'rafting-extreme'],
    ru: 'Сплав по порогам',
    en: 'Whitewater rafting',
    ruText: 'Пороги третьей-четвёртой категории, каски и гидрокостюмы включены.',
    enText: 'Class III-IV rapids; helmets and wetsuits included.',
  },
  {
    categories: ['sup', 'sup-sunset'],
    ru: 'SUP-прогулка на закате',
    en: 'Sunset SUP tour',
    ruText: 'Прогулка на сапбордах по озеру на закате, доски и жилеты выдаём.',
    enText: 'Paddle boarding on the lake at sunset; boards and vests provided.',
  },
  {
    categories: ['sailing', 'sailing-regatta'],
    ru: 'Парусная регата',
    en: 'Sailing regatta',
    ruText: 'Гонка на яхтах класса «Кадет» с опытными шкиперами.',
    enText: 'A yacht race with experienced skippers, open to beginners.',
  },
  {
    categories: ['kayaking'],
    ru: 'Каякинг по шхерам',
    en: 'Sea kayaking in the skerries',
    ruText: 'Три дня на каяках среди островов, ночёвки в палатках.',
    enText: 'Three days of kayaking between islands, camping overnight.',
  },
  {
    categories: ['hiking', 'hiking-weekend'],
    ru: 'Поход выходного дня',
    en: 'Weekend hiking',
    ruText: 'Лёгкий пеший маршрут по тропам с видами на горы и озёра.',
    enText: 'An easy hike on mountain trails with lake views.',
  },
  {
    categories: ['climbing'],
    ru: 'Восхождение для новичков',
    en: 'Beginner mountaineering',
    ruText: 'Базовый курс альпинизма и восхождение на вершину с гидом.',
    enText: 'A basic mountaineering course and a guided summit climb.',
  },
  {
    categories: ['kids-camps'],
    ru: 'Детский водный лагерь',
    en: 'Kids water camp',
    ruText: 'Смена для детей 10-14 лет: байдарки, плавание, костёр.',
    enText: 'A camp for kids aged 10-14: canoes, swimming and campfires.',
  },
  {
    categories: ['adult-camps', 'sup'],
    ru: 'Лагерь SUP и йоги',
    en: 'SUP and yoga camp',
    ruText: 'Неделя сапбординга и йоги на берегу моря.',
    enText: 'A week of paddle boarding and yoga by the sea.',
  },
]

const REGIONS: readonly (readonly [string, string])[] = [
  ['Карелия', 'Karelia'],
  ['Алтай', 'Altai'],
  ['Кавказ', 'Caucasus'],
  ['Урал', 'Ural'],
  ['Байкал', 'Baikal'],
  ['Крым', 'Crimea'],
  ['Ладога', 'Ladoga'],
  ['Подмосковье', 'Moscow region'],
  ['Камчатка', 'Kamchatka'],
  ['Мурманск', 'Murmansk'],
]

const SPOTS = ['причал', 'турбаза', 'лодочная станция', 'парковка у моста', 'вокзал', 'кемпинг']

/** Deterministic PRNG (mulberry32), so two seeded databases hold the same rows. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface SeedOptions {
  /** Events to insert; default 100,000. */
  readonly count?: number
  /** PRNG seed; default 42. */
  readonly seed?: number
  /** Instant the schedule is spread around (-60 to +365 days); default now. */
  readonly nowMs?: number
  /** Rows per INSERT; default 5,000. */
  readonly batchSize?: number
  /** ID prefix; default `bench-ev-`. */
  readonly idPrefix?: string
  /** Organizers to spread the events over; default 500 (`bench-org-1` ...). */
  readonly organizers?: number
}

export interface SeedReport {
  readonly events: number
  readonly priceOptions: number
  readonly ms: number
}

/** The Db under a read model opened by `openReadModel`. */
function dbOf(target: ReadModel | Db): Db {
  if (target instanceof SqlReadModel) return target.db
  if ('transaction' in target) return target
  throw new TypeError('seedEvents needs a read model from openReadModel or its Db')
}

/**
 * Inserts the category tree (when missing) and `count` events with their price options, then VACUUMs
 * and ANALYZEs them.
 *
 * @example
 *   const model = await openReadModel({ databaseUrl })
 *   await seedEvents(model, { count: 100_000 })
 */
export async function seedEvents(target: ReadModel | Db, options: SeedOptions = {}): Promise<SeedReport> {
  const started = performance.now()
  const db = dbOf(target)
  const count = options.count ?? 100_000
  const batchSize = options.batchSize ?? 5000
  const nowMs = options.nowMs ?? Date.now()
  const prefix = options.idPrefix ?? 'bench-ev-'
  const organizers = options.organizers ?? 500
  const rnd = random(options.seed ?? 42)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!

  await db.query(
    `INSERT INTO categories (id, parent_id, name, slug, level, position, created_at, updated_at)
     SELECT r.id, r.parent_id, r.name, r.id, r.level, r.position, now(), now()
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, parent_id text, name text, level smallint, position integer)
     ON CONFLICT DO NOTHING`,
    [
      JSON.stringify(
        SEED_CATEGORIES.map(([id, parent, name], position) => ({
          id,
          parent_id: parent,
          name,
          level: parent === null ? 1 : SEED_CATEGORIES.find((c) => c[0] === parent)![1] === null ? 2 : 3,
          position,
        })),
      ),
    ],
  )

  let optionsInserted = 0
  for (let from = 0; from < count; from += batchSize) {
    const events: Record<string, unknown>[] = []
    const prices: Record<string, unknown>[] = []
    for (let i = from; i < Math.min(count, from + batchSize); i++) {
      const id = `${prefix}${String(i).padStart(7, '0')}`
      const activity = pick(ACTIVITIES)
      const [regionRu, regionEn] = pick(REGIONS)
      const russian = rnd() < 0.7
      const startsAt = nowMs + Math.floor(((rnd() * 425 - 60) * DAY_MS) / 3_600_000) * 3_600_000
      const days = 1 + Math.floor(rnd() * 7)
      const roll = rnd()
      const status =
        startsAt < nowMs
          ? roll < 0.9
            ? 'COMPLETED'
            : 'CANCELED'
          : roll < 0.86
            ? 'PUBLISHED'
            : roll < 0.92
              ? 'RESCHEDULED'
              : roll < 0.97
                ? 'DRAFT'
                : 'CANCELED'
      const capacity = 5 + Math.floor(rnd() * 56)
      const soldOut = rnd() < 0.1
      const taken = soldOut ? capacity : Math.floor(rnd() * capacity * 0.8)
      const optionCount = 1 + Math.floor(rnd() * 3)
      const base = rnd() < 0.05 ? 0 : (10 + Math.floor(rnd() * 490)) * 10_000 // 1,000-50,000 RUB in kopecks
      let left = taken
      let priceFrom = Number.POSITIVE_INFINITY
      for (let o = 0; o < optionCount; o++) {
        const allotment = o === optionCount - 1 ? capacity : Math.ceil(capacity / optionCount)
        const optionTaken = o === optionCount - 1 ? left : Math.min(left, allotment)
        left -= optionTaken
        const price = Math.round(base * [1, 0.8, 1.3][o]!)
        priceFrom = Math.min(priceFrom, price)
        prices.push({
          event_id: id,
          price_option_id: ['standard', 'early-bird', 'comfort'][o],
          position: o,
          name: russian
            ? ['Стандарт', 'Ранняя бронь', 'Комфорт'][o]
            : ['Standard', 'Early bird', 'Comfort'][o],
          price_minor: price,
          allotment,
          seats_taken: optionTaken,
          valid_from: null,
          valid_until: o === 1 ? new Date(startsAt - 30 * DAY_MS).toISOString() : null,
        })
      }
      const place = russian
        ? `${regionRu}, ${pick(SPOTS)} №${1 + Math.floor(rnd() * 20)}`
        : `${regionEn}, meeting point ${1 + Math.floor(rnd() * 20)}`
      const createdAt = Math.min(nowMs, startsAt) - Math.floor(rnd() * 90) * DAY_MS
      events.push({
        id,
        version: 3 + Math.floor(rnd() * 5),
        status,
        organizer_id: `bench-org-${1 + Math.floor(rnd() * organizers)}`,
        title: russian ? `${activity.ru}: ${regionRu}` : `${activity.en}: ${regionEn}`,
        description: russian ? activity.ruText : activity.enText,
        place,
        area: areaOf(place),
        starts_at: new Date(startsAt).toISOString(),
        ends_at: new Date(startsAt + days * DAY_MS).toISOString(),
        categories: activity.categories,
        capacity,
        seats_taken: taken,
        seats_available: capacity - taken,
        price_from: priceFrom,
        rating: status === 'COMPLETED' && rnd() < 0.7 ? Math.round((3 + rnd() * 2) * 10) / 10 : null,
        cancel_reason: status === 'CANCELED' ? 'weather' : null,
        created_at: new Date(createdAt).toISOString(),
        updated_at: new Date(createdAt + DAY_MS).toISOString(),
      })
    }
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO events (id, version, status, organizer_id, title, description, place, area, starts_at,
           ends_at, categories, capacity, seats_taken, seats_available, price_from, rating, cancel_reason,
           created_at, updated_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, version bigint, status text,
           organizer_id text, title text, description text, place text, area text, starts_at timestamptz,
           ends_at timestamptz, categories text[], capacity integer, seats_taken integer,
           seats_available integer, price_from bigint, rating double precision, cancel_reason text,
           created_at timestamptz, updated_at timestamptz)
         ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(events)],
      )
      await tx.query(
        `INSERT INTO event_price_options (event_id, price_option_id, position, name, price_minor, allotment,
           seats_taken, valid_from, valid_until)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, price_option_id text, position integer,
           name text, price_minor bigint, allotment integer, seats_taken integer, valid_from timestamptz,
           valid_until timestamptz)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(prices)],
      )
    })
    optionsInserted += prices.length
  }
  // VACUUM sets the visibility map, so counts run as index-only scans from the start.
  await db.exec('VACUUM ANALYZE events')
  await db.exec('VACUUM ANALYZE event_price_options')
  await db.exec('VACUUM ANALYZE event_category_keys')
  await db.exec('ANALYZE categories')
  return { events: count, priceOptions: optionsInserted, ms: Math.round(performance.now() - started) }
}
