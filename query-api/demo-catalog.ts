/**
 * The embedded mode's demo catalog: a realistic Aquastream catalog (rafting, SUP, sailing, hiking, camps in
 * several regions; categories three levels deep; price options; some events sold out, rescheduled,
 * canceled, one completing shortly after start-up and then reviewed) produced through the same command path
 * as the API.
 * Deterministic IDs and request IDs: a second run changes nothing (the pipeline answers known request IDs
 * with their kept outcome and refuses existing event IDs). Call it after the pipeline and the projection run.
 */
import type { Logger } from 'pino'
import type { Actor, BookingCommand, EventCommand } from '../avro/index.ts'
import { bookingCommand, eventCommand, reviewCommand } from './commands/command-builders.ts'
import type { CommandProducer } from './commands/command-producer.ts'
import type { CategoryInput, ReadModel } from '../read-models/catalog/index.ts'

const DAY = 86_400_000
const CATEGORIES: readonly (readonly [string, string | null, string])[] = [
  ['water', null, 'Водные походы'],
  ['rafting', 'water', 'Рафтинг'],
  ['rafting-whitewater', 'rafting', 'Сплав по порогам'],
  ['rafting-family', 'rafting', 'Семейный сплав'],
  ['sup', 'water', 'SUP'],
  ['sup-sunset', 'sup', 'SUP на закате'],
  ['sailing', 'water', 'Парусный спорт'],
  ['sailing-regatta', 'sailing', 'Регаты'],
  ['land', null, 'Пешие походы'],
  ['hiking', 'land', 'Треккинг'],
  ['hiking-mountains', 'hiking', 'Горные маршруты'],
  ['camps', null, 'Лагеря'],
  ['camps-kids', 'camps', 'Детские лагеря'],
]

interface DemoEvent {
  readonly id: string
  readonly organizer: string
  readonly title: string
  readonly description: string
  readonly place: string
  readonly categories: readonly string[]
  readonly startInDays: number
  readonly days: number
  readonly capacity: number
  readonly options: readonly (readonly [id: string, name: string, rubles: number, allotment: number])[]
  readonly fate?: 'sold-out' | 'rescheduled' | 'canceled' | 'completing'
}

const EVENTS: readonly DemoEvent[] = [
  {
    id: 'demo-katun-rafting',
    organizer: 'org-1',
    title: 'Сплав по Катуни: пороги Тельдекпень',
    description: 'Три дня сплава по Катуни с инструкторами, лагерь на берегу, питание включено.',
    place: 'Алтай, Чемал, база «Катунь»',
    categories: ['rafting-whitewater'],
    startInDays: 30,
    days: 3,
    capacity: 24,
    options: [
      ['standard', 'Стандарт', 18_500, 20],
      ['early-bird', 'Ранняя бронь', 15_900, 4],
    ],
  },
  {
    id: 'demo-chuya-extreme',
    organizer: 'org-1',
    title: 'Чуя: экстремальный сплав 4 к.с.',
    description: 'Для опытных: пороги четвертой категории сложности, снаряжение предоставляется.',
    place: 'Алтай, Чуя, лагерь у моста',
    categories: ['rafting-whitewater'],
    startInDays: 45,
    days: 5,
    capacity: 4,
    options: [['standard', 'Участник', 42_000, 4]],
    fate: 'sold-out',
  },
  {
    id: 'demo-mzymta-family',
    organizer: 'org-2',
    title: 'Family rafting on the Mzymta',
    description: 'A gentle half-day float for families with children from 8 years, with a picnic.',
    place: 'Sochi, Krasnaya Polyana, Mzymta pier',
    categories: ['rafting-family'],
    startInDays: 12,
    days: 1,
    capacity: 30,
    options: [
      ['adult', 'Adult', 3_500, 20],
      ['child', 'Child', 2_000, 10],
    ],
  },
  {
    id: 'demo-neva-sup',
    organizer: 'org-2',
    title: 'SUP-прогулка по рекам Петербурга',
    description: 'Вечерняя прогулка на SUP-досках по Мойке и Фонтанке, инструктаж для новичков.',
    place: 'Санкт-Петербург, Крестовский остров, причал 3',
    categories: ['sup-sunset'],
    startInDays: 7,
    days: 1,
    capacity: 12,
    options: [
      ['standard', 'С доской', 2_900, 10],
      ['own-board', 'Со своей доской', 1_500, 2],
    ],
  },
  {
    id: 'demo-baikal-sup',
    organizer: 'org-3',
    title: 'SUP tour on Lake Baikal',
    description: 'Four days paddling along the Baikal shore, nights in a guest house, sauna included.',
    place: 'Baikal, Listvyanka, harbour',
    categories: ['sup'],
    startInDays: 60,
    days: 4,
    capacity: 10,
    options: [['standard', 'Standard', 38_000, 10]],
    fate: 'rescheduled',
  },
  {
    id: 'demo-ladoga-regatta',
    organizer: 'org-3',
    title: 'Регата на Ладоге',
    description: 'Двухдневная учебная регата на яхтах класса Дракон с опытными шкиперами.',
    place: 'Ленинградская область, Приозерск, яхт-клуб',
    categories: ['sailing-regatta'],
    startInDays: 21,
    days: 2,
    capacity: 16,
    options: [['crew', 'Член экипажа', 24_000, 16]],
  },
  {
    id: 'demo-black-sea-sailing',
    organizer: 'org-1',
    title: 'Sailing week on the Black Sea',
    description: 'A week on a 44-foot yacht from Sochi to Gelendzhik, learning to sail as a crew.',
    place: 'Sochi, Imeretinsky marina, berth 12',
    categories: ['sailing'],
    startInDays: 90,
    days: 7,
    capacity: 8,
    options: [
      ['cabin', 'Cabin berth', 95_000, 6],
      ['saloon', 'Saloon berth', 75_000, 2],
    ],
    fate: 'canceled',
  },
  {
    id: 'demo-elbrus-trek',
    organizer: 'org-2',
    title: 'Треккинг к подножию Эльбруса',
    description: 'Пять дней по ущельям Приэльбрусья, ночевки в приютах, акклиматизационные выходы.',
    place: 'Кабардино-Балкария, Терскол, гостиница «Вольфрам»',
    categories: ['hiking-mountains'],
    startInDays: 40,
    days: 5,
    capacity: 14,
    options: [['standard', 'Стандарт', 32_000, 14]],
  },
  {
    id: 'demo-karelia-hike',
    organizer: 'org-3',
    title: 'Karelia lakes hike',
    description: 'Three days on foot between Karelian lakes with a canoe crossing and a camp by the water.',
    place: 'Karelia, Sortavala, railway station',
    categories: ['hiking', 'water'],
    startInDays: 18,
    days: 3,
    capacity: 15,
    options: [['standard', 'Standard', 16_000, 15]],
  },
  {
    id: 'demo-kids-camp',
    organizer: 'org-1',
    title: 'Детский водный лагерь «Юнга»',
    description: 'Смена на 10 дней: гребля, парус, плавание и походы для детей 10–14 лет.',
    place: 'Тверская область, Селигер, лагерь «Юнга»',
    categories: ['camps-kids', 'sailing'],
    startInDays: 75,
    days: 10,
    capacity: 40,
    options: [['standard', 'Смена', 54_000, 40]],
  },
  {
    id: 'demo-volga-free-walk',
    organizer: 'org-2',
    title: 'Free kayak meetup on the Volga',
    description: 'A free evening meetup for kayakers: route briefing, safety talk and a short paddle.',
    place: 'Nizhny Novgorod, Strelka, boat station',
    categories: ['water'],
    startInDays: 5,
    days: 1,
    capacity: 25,
    options: [['free', 'Free entry', 0, 25]],
  },
  {
    id: 'demo-sunset-sup-today',
    organizer: 'org-3',
    title: 'SUP на закате: короткая прогулка',
    description:
      'Короткая вечерняя прогулка на SUP по Москве-реке, завершается через пару минут после старта.',
    place: 'Москва, Строгино, пляж №2',
    categories: ['sup-sunset'],
    startInDays: 0,
    days: 0,
    capacity: 10,
    options: [['free', 'Бесплатно', 0, 10]],
    fate: 'completing',
  },
]

/** Seeds the demo catalog unless the catalog has events already. Resolves once every command is sent. */
export async function seedDemoCatalog(options: {
  readonly readModel: ReadModel
  readonly commands: CommandProducer
  readonly logger: Logger
  readonly nowMs?: number
  /** When the completing event ends (it starts halfway there); 2 minutes by default. */
  readonly completesInMs?: number
}): Promise<{ seeded: boolean }> {
  const { readModel, commands, logger } = options
  const existing = await readModel.searchEvents(
    { status: ['DRAFT', 'PUBLISHED', 'RESCHEDULED', 'CANCELED', 'COMPLETED'], page: 0, size: 1 },
    { role: 'admin', userId: 'demo' },
  )
  if (existing.total > 0) return { seeded: false }
  const admin = { userId: 'demo-admin', requestId: 'demo:categories' }
  for (const [id, parentId, name] of CATEGORIES) {
    if ((await readModel.getCategory(id)) !== undefined) continue
    const input: CategoryInput = { id, parentId, name, slug: id }
    await readModel.createCategory(input, admin)
  }
  const now = options.nowMs ?? Date.now()
  const completesInMs = options.completesInMs ?? 120_000
  let n = 0
  const send = (command: EventCommand) => commands.sendEventCommand(command)
  const book = (command: BookingCommand) => commands.sendBookingCommand(command)
  for (const e of EVENTS) {
    const actor: Actor = { userId: e.organizer, role: 'ORGANIZER' }
    const envelope = (step: string) => ({ requestId: `demo:${e.id}:${step}`, eventId: e.id, actor })
    const startsAtMs = e.fate === 'completing' ? now + completesInMs / 2 : now + e.startInDays * DAY
    const endsAtMs = e.fate === 'completing' ? now + completesInMs : startsAtMs + e.days * DAY
    await send(
      eventCommand(envelope('create'), 'CREATE', {
        create: {
          organizerId: null,
          title: e.title,
          description: e.description,
          startsAtMs,
          endsAtMs,
          place: e.place,
          categories: e.categories,
          capacity: e.capacity,
          holdMinutes: null,
          bookingDeadlineHours: e.fate === 'completing' ? 0 : null,
          locale: 'ru-RU',
        },
      }),
    )
    for (const [id, name, rubles, allotment] of e.options)
      await send(
        eventCommand(envelope(`option:${id}`), 'ADD_PRICE_OPTION', {
          priceOption: {
            priceOptionId: id,
            name,
            priceMinor: rubles * 100,
            allotment,
            validFromMs: null,
            validUntilMs: null,
          },
        }),
      )
    await send(eventCommand(envelope('publish'), 'PUBLISH', { publish: { publishAtMs: null } }))
    const participants =
      e.fate === 'sold-out'
        ? Array.from({ length: e.capacity }, () => `demo-user-${++n}`)
        : e.fate === 'completing'
          ? DEMO_REVIEWS.map((review) => review.userId)
          : []
    for (const [seat, userId] of participants.entries()) {
      await book(
        bookingCommand(
          { requestId: `demo:${e.id}:book:${seat}`, eventId: e.id, actor: { userId, role: 'USER' } },
          'REQUEST',
          {
            request: {
              bookingId: `demo-${e.id}-${seat}`,
              userId,
              priceOptionId: e.options[0]![0],
              seats: 1,
              promoCode: null,
            },
          },
        ),
      )
    }
    if (e.fate === 'rescheduled')
      await send(
        eventCommand(envelope('reschedule'), 'RESCHEDULE', {
          reschedule: { startsAtMs: startsAtMs + 7 * DAY, endsAtMs: endsAtMs + 7 * DAY, place: e.place },
        }),
      )
    if (e.fate === 'canceled')
      await send(
        eventCommand(envelope('cancel'), 'CANCEL', { cancel: { reason: 'Штормовое предупреждение' } }),
      )
  }
  logger.info({ events: EVENTS.length, categories: CATEGORIES.length }, 'demo catalog seeded')
  return { seeded: true }
}

/** The completing event, reviewed by its participants once it is over. */
const REVIEWED_EVENT = 'demo-sunset-sup-today'
const DEMO_REVIEWS: readonly {
  readonly userId: string
  readonly authorName: string
  readonly rating: number
  readonly text: string
  readonly moderation: 'ACTIVE' | 'REJECTED'
}[] = [
  {
    userId: 'demo-reviewer-1',
    authorName: 'Анна К.',
    rating: 5,
    text: 'Тихая вода, закат над Строгино и внимательный инструктор. Пойду ещё раз!',
    moderation: 'ACTIVE',
  },
  {
    userId: 'demo-reviewer-2',
    authorName: 'Игорь',
    rating: 4,
    text: 'Хорошая прогулка для первого раза, доски в отличном состоянии. Хотелось бы подольше.',
    moderation: 'ACTIVE',
  },
  {
    userId: 'demo-reviewer-3',
    authorName: 'Мария Л.',
    rating: 5,
    text: 'Отличная организация: гидрокостюмы, инструктаж, горячий чай после выхода на воду.',
    moderation: 'ACTIVE',
  },
  {
    userId: 'demo-reviewer-4',
    authorName: 'Спам-бот',
    rating: 1,
    text: 'Лучшие доски по низким ценам только у нас, пишите в личные сообщения.',
    moderation: 'REJECTED',
  },
]

/**
 * Once the demo's completing event is over, its participants review it and an admin moderates the reviews
 * (three published, one rejected as spam), so the embedded default shows ratings. Polls the catalog until
 * the event is COMPLETED; does nothing when its reviews exist already (a later start), or the event is
 * canceled or, in a catalog not just seeded, absent. Deterministic review and request IDs: a repeat changes nothing. Resolves with a function that stops
 * the polling.
 */
export function reviewDemoEventWhenCompleted(options: {
  readonly readModel: ReadModel
  readonly commands: CommandProducer
  readonly logger: Logger
  readonly pollMs?: number
  /** The demo catalog was just seeded (its events may not be in the catalog yet). */
  readonly justSeeded: boolean
}): () => void {
  const { readModel, commands, logger } = options
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const reviewId = (i: number) => `${REVIEWED_EVENT}-review-${i + 1}`
  const check = async (): Promise<boolean> => {
    if ((await readModel.getReview(reviewId(0))) !== undefined) return true
    const event = await readModel.getEvent(REVIEWED_EVENT, { role: 'admin', userId: 'demo-admin' })
    if (event === undefined) return !options.justSeeded // seeded: not projected yet; else not a demo catalog
    if (event.status === 'CANCELED') return true
    if (event.status !== 'COMPLETED') return false
    const admin: Actor = { userId: 'demo-admin', role: 'ADMIN' }
    for (const [i, review] of DEMO_REVIEWS.entries()) {
      const actor: Actor = { userId: review.userId, role: 'USER' }
      const envelope = (step: string, who: Actor) => ({
        requestId: `demo:${REVIEWED_EVENT}:review:${i + 1}:${step}`,
        eventId: REVIEWED_EVENT,
        actor: who,
      })
      await commands.sendReviewCommand(
        reviewCommand(envelope('submit', actor), 'SUBMIT', reviewId(i), {
          submit: { rating: review.rating, text: review.text, authorName: review.authorName },
        }),
      )
      await commands.sendReviewCommand(
        reviewCommand(envelope('moderate', admin), 'MODERATE', reviewId(i), {
          moderate: {
            status: review.moderation,
            reason: review.moderation === 'REJECTED' ? 'Реклама' : null,
            secondFactor: true, // the embedded demo's own seeder, not a signed-in admin
          },
        }),
      )
    }
    logger.info({ eventId: REVIEWED_EVENT, reviews: DEMO_REVIEWS.length }, 'demo event reviewed')
    return true
  }
  const poll = (): void => {
    check().then(
      (done) => {
        if (!done && !stopped) timer = setTimeout(poll, options.pollMs ?? 5_000).unref()
      },
      (error: unknown) => logger.warn({ err: error }, 'demo reviews not sent'),
    )
  }
  poll()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
