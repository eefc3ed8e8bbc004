/**
 * The wiring of the service's stream processing: the booking topology (sources, the event ledger, its
 * stores and sinks), the serdes of its topics, the topic names by role, and the JSON contracts of the
 * analytics facts the query API produces.
 */
export {
  parseCatalogView,
  parseFavoriteChange,
  type CatalogView,
  type FavoriteChange,
} from './analytics-facts.ts'
export {
  bookingStateSerde,
  buildBookingTopology,
  createBookingSerdes,
  LEDGER_NODE,
  REVIEW_NODE,
  type BookingSerdes,
} from './booking-topology.ts'
export {
  DEFAULT_TOPIC_NAMES,
  TOPIC_BASE_NAMES,
  TOPIC_PREFIX_PATTERN,
  topicNames,
  type TopicNames,
} from './topic-names.ts'
