/**
 * The Fastify query API: `startApi` builds the real parts around a read model and listens; `buildApp`
 * wires what it is given (tests); `buildOpsApp` serves the operational endpoints on an internal listener;
 * `statsRoutes` mounts the analytics; `seedDemoCatalog` fills the embedded default with a demo catalog
 * through the command path; the payment service (`startPaymentService`) drives a provider's adapter
 * (`PaymentGateway`; `SandboxPaymentGateway` and its HTTP app stand for one in development and tests).
 */
export { BODY_LIMIT_BYTES, buildApp, type BuildAppOptions, type RoutePlugin } from './app.ts'
export { signDevToken, type Principal, type Role } from './auth.ts'
export { reviewDemoEventWhenCompleted, seedDemoCatalog } from './demo-catalog.ts'
export { CommandProducer } from './commands/command-producer.ts'
export { bookingCommand, eventCommand } from './commands/command-builders.ts'
export { KafkaCommandTransport } from './commands/kafka-transport.ts'
export { buildOpsApp } from './operations.ts'
export { statsRoutes } from './routes/stats.ts'
export { startApi, type ApiConfig, type RunningApi, type StartApiOptions } from './server.ts'
export {
  SandboxPaymentGateway,
  type PaymentGateway,
  type PaymentOrder,
  type RefundOrder,
  type RefundResult,
  type StartedPayment,
  type StatusReport,
} from './payments/payment-gateway.ts'
export {
  PaymentService,
  paymentServiceTopics,
  startPaymentService,
  type PaymentServiceSerdes,
  type PaymentServiceSource,
} from './payments/payment-service.ts'
export { buildSandboxApp, SANDBOX_PAYMENTS_PATH } from './payments/sandbox-app.ts'
