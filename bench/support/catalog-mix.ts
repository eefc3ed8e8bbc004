// The URL sets of the catalog benchmark: a cached mix (few URLs, answered from the response cache after
// their first request) and an uncached mix (distinct words, filters, sorts and pages: every request of a
// run a different URL, as real visitors' searches are). Both are plain functions of a counter, so two runs
// send the same URLs in the same order.

import type { EventSearch, EventSortField } from '../../read-models/catalog/views.ts'

/** Words found in the seeded titles, descriptions and places (read-model-seed.ts), Russian and English. */
export const MIX_WORDS: readonly string[] = [
  'сплав',
  'rafting',
  'sup',
  'яхт',
  'поход',
  'camp',
  'байдарк',
  'sailing',
  'пороги',
  'каяк',
  'инструктор',
  'закат',
  'озеро',
  'регата',
  'шкипер',
  'остров',
  'палатка',
  'тропа',
  'горы',
  'альпинизм',
  'вершина',
  'гид',
  'дети',
  'плавание',
  'костёр',
  'йога',
  'море',
  'kayaking',
  'hike',
  'trail',
  'lake',
  'sunset',
  'yacht',
  'race',
  'skipper',
  'island',
  'mountain',
  'summit',
  'kids',
  'swimming',
  'yoga',
  'rapids',
  'helmets',
  'lunch',
  'beginners',
  'Карелия',
  'Алтай',
  'Karelia',
]

const CATEGORIES = ['water', 'land', 'rafting', 'sup', 'sailing', 'hiking', 'kids-camps', 'rafting-family']
const SEARCH_SORTS = ['', '&sort=startsAt,asc', '&sort=price,asc', '&sort=price,desc', '&sort=rating,desc']
const BROWSE_SORTS = [
  '',
  '&sort=startsAt,desc',
  '&sort=price,asc',
  '&sort=price,desc',
  '&sort=createdAt,desc',
  '&sort=title,asc',
]
const PAGES = 5
const PRICE_STEPS = 200

/** The cached mix of the original benchmark: 8 words × 5 pages, hasSeats=true (40 URLs). */
export function cachedPath(i: number): string {
  const words = MIX_WORDS.slice(0, 8)
  return `/api/v1/events?q=${encodeURIComponent(words[i % words.length]!)}&hasSeats=true&page=${i % 5}&size=20`
}

/**
 * The i-th URL of the uncached mix: even i a full-text search (word, filters, sort, page), odd i a browse
 * of the catalog (category or none, price floor, seats, sort, page). Mixed-radix, so the URLs of
 * `0 <= i < UNCACHED_URLS` are all different; the price floor (0-49,750 RUB in 200 steps) is the last digit.
 */
export function uncachedPath(i: number): string {
  const search = i % 2 === 0
  let n = Math.floor(i / 2)
  const page = n % PAGES
  n = Math.floor(n / PAGES)
  const seats = n % 2 === 0 ? '&hasSeats=true' : ''
  n = Math.floor(n / 2)
  if (search) {
    const sort = SEARCH_SORTS[n % SEARCH_SORTS.length]!
    n = Math.floor(n / SEARCH_SORTS.length)
    const word = MIX_WORDS[n % MIX_WORDS.length]!
    n = Math.floor(n / MIX_WORDS.length)
    const price = (n % PRICE_STEPS) * 25_000
    return `/api/v1/events?q=${encodeURIComponent(word)}${seats}&priceMin=${price}${sort}&page=${page}&size=20`
  }
  const sort = BROWSE_SORTS[n % BROWSE_SORTS.length]!
  n = Math.floor(n / BROWSE_SORTS.length)
  const categoryIndex = n % (CATEGORIES.length + 1)
  const category = categoryIndex === CATEGORIES.length ? '' : `&category=${CATEGORIES[categoryIndex]}`
  n = Math.floor(n / (CATEGORIES.length + 1))
  const price = (n % PRICE_STEPS) * 25_000
  return `/api/v1/events?priceMin=${price}${category}${seats}${sort}&page=${page}&size=20`
}

/** How many different URLs the uncached mix has before it repeats (the smaller of its two halves × 2). */
export const UNCACHED_URLS =
  2 *
  Math.min(
    PAGES * 2 * SEARCH_SORTS.length * MIX_WORDS.length * PRICE_STEPS,
    PAGES * 2 * BROWSE_SORTS.length * (CATEGORIES.length + 1) * PRICE_STEPS,
  )

/** The search a mix URL asks for (the mix uses q, category, priceMin, hasSeats, sort, page, size only). */
export function searchOf(path: string): EventSearch {
  const query = new URL(path, 'http://bench').searchParams
  const sort = query.get('sort')?.split(',')
  return {
    ...(query.has('q') ? { q: query.get('q')! } : {}),
    ...(query.has('category') ? { category: query.get('category')! } : {}),
    ...(query.has('priceMin') ? { priceMin: Number(query.get('priceMin')) } : {}),
    ...(query.has('hasSeats') ? { hasSeats: query.get('hasSeats') === 'true' } : {}),
    ...(sort !== undefined
      ? { sort: { field: sort[0] as EventSortField, dir: (sort[1] ?? 'asc') as 'asc' | 'desc' } }
      : {}),
    page: Number(query.get('page') ?? 0),
    size: Number(query.get('size') ?? 20),
  }
}
