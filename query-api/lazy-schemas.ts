/**
 * Route schemas compiled when asked for. Fastify compiles every route's validators (Ajv) and response
 * serializers (fast-json-stringify) when the app becomes ready. Here each compiler hands Fastify a stand-in
 * that compiles the real function the first time a request needs it, and keeps it, or when `compileAll`
 * is called: the service calls it before it listens (server.ts: a schema compiled at its first request
 * held the first requests after a restart behind it), and the many apps the tests build compile only the
 * routes they call. What "compile" does is schema-code.ts's: generate the code once per installation, then
 * read it.
 *
 * A schema that cannot compile then fails at its first request rather than at start: `compileAll` compiles
 * every one still waiting, which the tests run over the whole app (test/query-api/lazy-schemas.test.ts), so
 * no such schema ships.
 */

/** What a validator compiler returns (Ajv's `ValidateFunction` satisfies it). */
export interface Validator<E = unknown> {
  (data: unknown): boolean
  errors?: E
}

/** Stand-ins for compiled route schemas; one per app. */
export class LazySchemas {
  /** Compiles of stand-ins not called yet, each removing itself once it has run. */
  readonly #pending = new Set<() => void>()

  /** How many compiled functions are still waiting for their first use. */
  get pending(): number {
    return this.#pending.size
  }

  /** Compiles every stand-in not compiled yet; throws the first compile error. */
  compileAll(): void {
    for (const compile of [...this.#pending]) compile()
  }

  /**
   * A validator that compiles with `compile` on its first call. Fastify reads `errors` from the function
   * it was given after a `false`: the stand-in copies them from the real one.
   */
  validator<E>(compile: () => Validator<E>): Validator<E> {
    const real = this.#lazy(compile)
    const standIn: Validator<E> = (data) => {
      const validate = real()
      const valid = validate(data)
      standIn.errors = validate.errors
      return valid
    }
    standIn.errors = undefined
    return standIn
  }

  /** A response serializer that compiles with `compile` on its first call. */
  serializer<T>(compile: () => (data: T) => string): (data: T) => string {
    const real = this.#lazy(compile)
    return (data) => real()(data)
  }

  #lazy<F>(compile: () => F): () => F {
    let compiled: F | undefined
    const run = (): void => {
      // Forgotten once it succeeded: a compile that throws fails that request (an eager one would have
      // failed the start) and is tried again by the next.
      compiled = compile()
      this.#pending.delete(run)
    }
    this.#pending.add(run)
    return () => {
      if (compiled === undefined) run()
      return compiled!
    }
  }
}
