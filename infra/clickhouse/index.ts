// Public surface of infra/clickhouse/: the client factory, the migrations and the analytics sink.
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
export {
  AnalyticsMetrics,
  AnalyticsSink,
  isRetriableWrite,
  type AnalyticsRetryOptions,
  type AnalyticsSinkOptions,
} from './analytics-sink.ts'
export { ANALYTICS_TOPICS, decodeFacts, FACT_TABLES, type AnalyticsSerdes, type FactRow } from './facts.ts'
export {
  FAVORITES_TOPIC,
  parseCatalogView,
  parseFavoriteChange,
  VIEWS_TOPIC,
  type CatalogView,
  type FavoriteChange,
} from './analytics-topics.ts'
