/** What the catalog projection follows and the name it stores its offsets under. */
import { DEFAULT_TOPIC_NAMES, type TopicNames } from '../../topologies/index.ts'

/** The topics the catalog projection follows, under the names of `topics`. */
export function catalogTopics(topics: TopicNames): string[] {
  return [
    topics.eventEvents,
    topics.bookingEvents,
    topics.requestOutcomes,
    topics.reviewEvents,
    topics.paymentRequests,
    topics.paymentStatus,
    topics.refundRequests,
  ]
}

/** The catalog's topics under the names of the README (no prefix). */
export const READ_MODEL_TOPICS: readonly string[] = catalogTopics(DEFAULT_TOPIC_NAMES)

/** The projection's name in `projection_offsets`. */
export const CATALOG_PROJECTION = 'catalog'
