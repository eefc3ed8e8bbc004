export { CommandProducer, type CommandRecord, type CommandTransport } from './command-producer.ts'
export { EmbeddedCommandTransport } from './embedded-transport.ts'
export { KafkaCommandTransport, type KafkaCommandTransportOptions } from './kafka-transport.ts'
export {
  bookingCommand,
  checkInCommand,
  eventCommand,
  reissueTicketCommand,
  reviewCommand,
} from './command-builders.ts'
