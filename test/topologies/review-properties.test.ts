// Property: over random interleavings of bookings, payments, cancellations, clock moves (through the event's
// completion and past the 30-day review window) and review commands (submit, edit, delete, moderate, reply,
// votes, repeated request IDs), the facts the topology emits, recounted here without its stores, show
//   - no review submitted without a CONFIRMED booking of the COMPLETED event (within 30 days of its end),
//   - at most one standing review per user per event,
//   - at most one helpful vote per user per review (never the author's), helpfulCount = the votes,
//   - the event's rating on every fact = the mean of the ACTIVE reviews (1 decimal), and their count,
// and every command gets exactly one outcome and an accepted one exactly one fact (a repeat none).
// The seed changes with every run and is printed first; PROPERTY_SEED=<seed> replays a run.
//
// Checked by hand that it catches planted bugs (each alone, not committed): counting any booking but a
// CANCELED one as attendance in review-ledger.ts fails 'reviewed without a CONFIRMED booking'; counting
// PENDING and REJECTED reviews in eventRating (review-state.ts) fails the rating comparison.
import fc from 'fast-check'
import t from 'tap'
import type { ReviewCommand, ReviewDomainEvent } from '../../avro/index.ts'
import { REVIEW_WINDOW_MS } from '../../processors/ledger-state.ts'
import {
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  HOUR_MS,
  ORGANIZER,
  user,
} from './booking-harness.ts'
import { EVENT_END, moderate, ReviewHarness, reviewCommand, submit } from './review-harness.ts'

const NUM_RUNS = 150
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5']
// Mostly each author's first review ID, so commands find the reviews; sometimes a second or an unknown one.
const REVIEWS = [
  ...USERS.flatMap((u) => [`r-${u}`, `r-${u}`, `r-${u}`]),
  ...USERS.map((u) => `r-${u}-2`),
  'r-none',
]

// u1 and u2 most often: their reviews are the ones votes, moderation and replies find.
const userArb = fc.constantFrom('u1', 'u1', 'u1', 'u2', 'u2', 'u2', ...USERS)
// 'latest' and 'active' name, when the step runs, the review submitted last and the one made ACTIVE last:
// most commands then find a review in the state they need.
const reviewArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...REVIEWS) },
  { weight: 2, arbitrary: fc.constant('latest') },
  { weight: 2, arbitrary: fc.constant('active') },
)
const bookingStepArb = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('book' as const), user: userArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pay' as const), user: userArb, ok: fc.boolean() }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('bookAndPay' as const), user: userArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), user: userArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(HOUR_MS, 3 * HOUR_MS),
    }),
  },
)
const reviewStepArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      user: userArb,
      second: fc.boolean(),
      rating: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) },
        { weight: 1, arbitrary: fc.constantFrom(0, 6) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      user: userArb,
      review: reviewArb,
      rating: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), user: userArb, review: reviewArb }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('moderate' as const),
      review: reviewArb,
      status: fc.constantFrom('ACTIVE' as const, 'ACTIVE' as const, 'REJECTED' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reply' as const), review: reviewArb }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('vote' as const), user: userArb, review: reviewArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('unvote' as const), user: userArb, review: reviewArb }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'repeat' as const }) },
  // The last vote's user and review again, under a new request ID: a second vote, or taking it back.
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('revote' as const), unvote: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(HOUR_MS, DAY_MS, 5 * DAY_MS),
    }),
  },
)
/** Bookings before the event (and a few review commands, all too early), its end, then mostly reviews. */
const runArb = fc
  .tuple(
    fc.array(fc.oneof({ weight: 6, arbitrary: bookingStepArb }, { weight: 1, arbitrary: reviewStepArb }), {
      minLength: 8,
      maxLength: 25,
    }),
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 25 }) },
      { weight: 1, arbitrary: fc.integer({ min: 26, max: 40 }) },
    ),
    fc.array(fc.oneof({ weight: 1, arbitrary: bookingStepArb }, { weight: 8, arbitrary: reviewStepArb }), {
      minLength: 20,
      maxLength: 70,
    }),
  )
  .map(([before, days, after]) => [...before, { kind: 'toEnd' as const, days }, ...after])
type Step = typeof runArb extends fc.Arbitrary<(infer S)[]> ? S : never

/** What the facts say, recounted step by step (no store of the topology is read). */
class FactRecount {
  readonly confirmed = new Set<string>() // users with a CONFIRMED booking now
  completedAtMs: number | null = null
  readonly reviews = new Map<string, ReviewDomainEvent>()
  readonly voters = new Map<string, Set<string>>()
  latest = 'r-none'
  active = 'r-none'

  /** A step's review: 'latest', 'active', or an ID. */
  resolve(review: string): string {
    return review === 'latest' ? this.latest : review === 'active' ? this.active : review
  }

  applyBookings(h: ReviewHarness): void {
    for (const [, fact] of h.bookingEvents.readKeyValuesToList()) {
      // A refused request (REJECTED) is about no booking; waiting-list facts have no booking ID.
      if (fact === null || fact.bookingId === null || fact.type === 'REJECTED') continue
      if (fact.status === 'CONFIRMED') this.confirmed.add(fact.userId)
      else this.confirmed.delete(fact.userId)
    }
    for (const [, fact] of h.eventEvents.readKeyValuesToList())
      if (fact?.type === 'COMPLETED') this.completedAtMs = fact.occurredAtMs
  }

  /** Applies one review fact; returns the broken invariant, if any. */
  applyReview(fact: ReviewDomainEvent): string | null {
    const before = this.reviews.get(fact.reviewId)
    if (fact.type === 'SUBMITTED') {
      if (before !== undefined) return `${fact.reviewId} submitted twice`
      if (!this.confirmed.has(fact.authorId)) return `${fact.authorId} reviewed without a CONFIRMED booking`
      if (this.completedAtMs === null) return `${fact.reviewId} submitted before the event completed`
      if (fact.occurredAtMs >= EVENT_END + REVIEW_WINDOW_MS)
        return `${fact.reviewId} submitted after the window`
      const standing = [...this.reviews.values()].filter(
        (r) => r.authorId === fact.authorId && r.status !== 'DELETED',
      )
      if (standing.length > 0) return `${fact.authorId} has a second review ${fact.reviewId}`
    }
    const voters = this.voters.get(fact.reviewId) ?? new Set<string>()
    if (fact.type === 'VOTED_HELPFUL') {
      if (fact.voterUserId === null || voters.has(fact.voterUserId))
        return `a second vote by ${fact.voterUserId}`
      if (fact.voterUserId === fact.authorId) return `${fact.authorId} voted on their own review`
      voters.add(fact.voterUserId)
    }
    if (fact.type === 'UNVOTED' && (fact.voterUserId === null || !voters.delete(fact.voterUserId)))
      return `${fact.voterUserId} took back a vote it never gave`
    this.voters.set(fact.reviewId, voters)
    if (fact.helpfulCount !== voters.size) return `helpfulCount ${fact.helpfulCount}, ${voters.size} votes`
    this.reviews.set(fact.reviewId, fact)
    if (fact.type === 'SUBMITTED') this.latest = fact.reviewId
    if (fact.type === 'MODERATED' && fact.status === 'ACTIVE') this.active = fact.reviewId
    const active = [...this.reviews.values()].filter((r) => r.status === 'ACTIVE')
    const mean =
      active.length === 0
        ? null
        : Math.round((active.reduce((s, r) => s + r.rating, 0) / active.length) * 10 + 1e-9) / 10
    if (fact.eventRating !== mean || fact.eventReviewCount !== active.length)
      return `rating ${fact.eventRating} (${fact.eventReviewCount}), the ACTIVE reviews give ${mean} (${active.length})`
    return null
  }
}

function commandOf(
  h: ReviewHarness,
  raw: Step,
  lastVote: { user: string; review: string },
  recount: FactRecount,
): ReviewCommand {
  const step = 'review' in raw ? { ...raw, review: recount.resolve(raw.review) } : raw
  switch (step.kind) {
    case 'revote':
      return reviewCommand(
        'e1',
        lastVote.review,
        step.unvote ? 'UNVOTE' : 'VOTE_HELPFUL',
        user(lastVote.user),
      )
    case 'submit':
      return submit(
        'e1',
        step.second ? `r-${step.user}-2` : `r-${step.user}`,
        step.user,
        step.rating,
        `Review by ${step.user}`,
      )
    case 'edit':
      return reviewCommand('e1', step.review, 'EDIT', user(step.user), {
        edit: { rating: step.rating, text: 'Edited text' },
      })
    case 'delete':
      return reviewCommand('e1', step.review, 'DELETE', user(step.user))
    case 'moderate':
      return moderate('e1', step.review, step.status, step.status === 'REJECTED' ? 'Off topic' : null)
    case 'reply':
      return reviewCommand('e1', step.review, 'REPLY', ORGANIZER, { reply: { text: 'Thank you' } })
    case 'vote':
      return reviewCommand('e1', step.review, 'VOTE_HELPFUL', user(step.user))
    case 'unvote':
      return reviewCommand('e1', step.review, 'UNVOTE', user(step.user))
    default:
      throw new Error(`${step.kind} is no review command (${h.driver.clock.now()})`)
  }
}

function run(
  serdes: Awaited<ReturnType<typeof bookingSerdes>>,
  steps: readonly Step[],
  hits: Map<string, number>,
): void {
  const h = new ReviewHarness(serdes)
  try {
    h.publishedEvent('e1', { capacity: 4 })
    const recount = new FactRecount()
    let last: ReviewCommand | null = null
    let lastAtMs = 0
    let lastVote = { user: 'u3', review: 'r-u1' }
    const fail = (message: string) => {
      throw new Error(`${message} (steps ${JSON.stringify(steps)})`)
    }
    for (const step of steps) {
      switch (step.kind) {
        case 'book':
          h.booking(bookRequest('e1', step.user, `b-${step.user}`))
          break
        case 'bookAndPay':
          h.booking(bookRequest('e1', step.user, `b-${step.user}`))
          h.payment('e1', `b-${step.user}`, 'COMPLETED', 500_000)
          break
        case 'pay':
          h.payment('e1', `b-${step.user}`, step.ok ? 'COMPLETED' : 'FAILED', 500_000)
          break
        case 'cancel':
          h.booking(
            bookingCommand(
              'e1',
              'CANCEL',
              { cancel: { bookingId: `b-${step.user}`, reason: null, forceMajeure: false } },
              user(step.user),
            ),
          )
          break
        case 'advance':
          h.advanceTo(h.driver.clock.now() + step.ms)
          break
        case 'toEnd':
          h.advanceTo(EVENT_END + step.days * DAY_MS + 1000)
          break
        default: {
          recount.applyBookings(h)
          const repeat = step.kind === 'repeat'
          // A request ID is remembered 24 hours; repeated later, it is a new request (decided afresh).
          if (repeat && (last === null || h.driver.clock.now() - lastAtMs >= DAY_MS)) continue
          if (step.kind === 'vote') lastVote = { user: step.user, review: recount.resolve(step.review) }
          const command: ReviewCommand = repeat ? last! : commandOf(h, step, lastVote, recount)
          const outcome = h.review(command)
          const facts = h.facts()
          const key = `${command.type}:${outcome.accepted ? 'accepted' : outcome.reasonCode}${repeat ? ':repeat' : ''}`
          hits.set(key, (hits.get(key) ?? 0) + 1)
          const expected = outcome.accepted && !repeat ? 1 : 0
          if (facts.length !== expected) fail(`${key} gave ${facts.length} facts`)
          for (const fact of facts) {
            const broken = recount.applyReview(fact)
            if (broken !== null) fail(broken)
          }
          last = command
          lastAtMs = h.driver.clock.now()
        }
      }
      recount.applyBookings(h)
    }
  } finally {
    h.close()
  }
}

/** Paths a run of the property must reach, or it passes vacuously. */
const PATHS = [
  'SUBMIT:accepted',
  'SUBMIT:REVIEW_NOT_ALLOWED',
  'SUBMIT:REVIEW_WINDOW_CLOSED',
  'SUBMIT:DUPLICATE_REVIEW',
  'MODERATE:accepted',
  'VOTE_HELPFUL:accepted',
  'VOTE_HELPFUL:DUPLICATE_VOTE',
  'UNVOTE:accepted',
]

t.test('random interleavings keep the review invariants, recounted from the facts', async (t) => {
  const serdes = await bookingSerdes()
  const seed =
    process.env.PROPERTY_SEED === undefined ? Date.now() % 2_147_483_647 : Number(process.env.PROPERTY_SEED)
  if (!Number.isSafeInteger(seed)) throw new Error(`PROPERTY_SEED must be an integer, got ${seed}`)
  t.comment(`seed ${seed} (replay: PROPERTY_SEED=${seed} npx tap test/topologies/review-properties.test.ts)`)
  const hits = new Map<string, number>()
  let runs = 0
  const started = performance.now()
  fc.assert(
    fc.property(runArb, (steps) => {
      runs++
      run(serdes, steps, hits)
    }),
    { numRuns: NUM_RUNS, seed },
  )
  t.ok(
    runs >= NUM_RUNS,
    `${runs} interleavings keep the invariants in ${Math.round(performance.now() - started)} ms`,
  )
  t.comment(`paths: ${JSON.stringify(Object.fromEntries([...hits].sort()))}`)
  for (const path of PATHS)
    t.ok((hits.get(path) ?? 0) >= 10, `${path} reached ${hits.get(path) ?? 0} times (>= 10)`)
})
