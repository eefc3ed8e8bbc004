/**
 * JSON schemas (TypeBox) of the review routes: strict bodies with the limits of the review rules
 * (processors/review-state.ts, which the pipeline applies again), and the review view.
 */
import { Type } from '@sinclair/typebox'
import { MAX_REPLY_TEXT, MAX_REVIEW_TEXT, MIN_REVIEW_TEXT } from '../processors/index.ts'

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

const Rating = Type.Integer({ minimum: 1, maximum: 5, description: '1 to 5 stars' })
const ReviewText = Type.String({
  minLength: MIN_REVIEW_TEXT,
  maxLength: MAX_REVIEW_TEXT,
  description: 'plain text (HTML is refused), 5 to 1,000 characters once trimmed',
})

export const ReviewBody = Type.Object({ rating: Rating, text: ReviewText }, { additionalProperties: false })

export const ReplyBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: MAX_REPLY_TEXT, description: 'plain text, no HTML' }) },
  { additionalProperties: false },
)

export const ModerateBody = Type.Object(
  {
    status: Type.Union([Type.Literal('ACTIVE'), Type.Literal('REJECTED')]),
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'required to reject; sent to the author' }),
    ),
  },
  { additionalProperties: false },
)

export const ReviewListQuery = Type.Object(
  {
    sort: Type.Union([Type.Literal('helpful'), Type.Literal('date')], { default: 'helpful' }),
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
)

export const ReviewQueueQuery = Type.Object(
  {
    status: Type.Union(
      [Type.Literal('PENDING'), Type.Literal('ACTIVE'), Type.Literal('REJECTED'), Type.Literal('DELETED')],
      { default: 'PENDING' },
    ),
    page: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
    size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
)

export const Review = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  authorId: Type.String(),
  authorName: Nullable(Type.String()),
  rating: Type.Integer(),
  text: Type.String(),
  status: Type.String({ description: 'PENDING, ACTIVE, REJECTED or DELETED' }),
  rejectionReason: Nullable(Type.String({ description: 'shown to the author and admins only' })),
  reply: Nullable(Type.String({ description: "the organizer's reply" })),
  repliedAt: Nullable(Type.String()),
  helpfulCount: Type.Integer(),
  submittedAt: Type.String(),
  updatedAt: Type.String(),
})

export const ReviewPage = Type.Object({
  items: Type.Array(Review),
  page: Type.Integer(),
  size: Type.Integer(),
  total: Type.Integer(),
})
