/**
 * The analytics read model in ClickHouse (chDB: in a child process on a folder, in-process in memory; or a
 * server): the client factory, the migrations, the sink that projects the domain topics into fact tables
 * and daily aggregates, and the stats queries the API and dashboards read.
 */
export { createClickHouse, type ClickHouseClient, type ClickHouseOptions } from './client.ts'
export {
  checkDatabaseName,
  DEFAULT_ANALYTICS_DATABASE,
  loadMigrations,
  migrate,
  MIGRATIONS_DIR,
  statementsOf,
  type Migration,
  type MigrationReport,
} from './migrate.ts'
export { AnalyticsMetrics } from './analytics-metrics.ts'
export { AnalyticsSink, type AnalyticsSinkOptions } from './analytics-sink.ts'
export { isRetriableWrite, type AnalyticsRetryOptions } from './clickhouse-retry.ts'
export { decodeFacts, type AnalyticsSerdes } from './fact-decoding.ts'
export {
  ANALYTICS_TOPICS,
  analyticsTopics,
  FACT_TABLES,
  factSourceOf,
  type FactRow,
  type FactSource,
} from './fact-tables.ts'
export { toCsv } from './csv.ts'
export type {
  AttendanceFigures,
  AttendanceStats,
  EventAttendance,
  EventAttendanceRow,
  NoShows,
} from './attendance.ts'
export type { BookingStatsRow } from './booking-stats.ts'
export type { ConversionRow } from './conversions.ts'
export type { EventStats } from './event-stats.ts'
export type { EventsStats } from './events-ranking.ts'
export type { ReviewStats, ReviewTotals } from './review-stats.ts'
export type { StatsRow } from './stats-measures.ts'
export { createStatsQueries, type StatsQueries } from './stats-queries.ts'
export { checkRange, type DateRange, type Granularity } from './stats-range.ts'
export type { StatsViewer } from './stats-viewer.ts'
