// Public surface of query-api/stats/: the stats query functions and the CSV serializer.
export { toCsv } from './csv.ts'
export {
  checkRange,
  createStatsQueries,
  type BookingStatsRow,
  type ConversionRow,
  type DateRange,
  type EventsStats,
  type EventStats,
  type Granularity,
  type StatsQueries,
  type StatsRow,
  type StatsViewer,
} from './stats-queries.ts'
