/** Wall-clock time, injected so tests and the TestDriver move it by hand. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to: the TestDriver's and the tests'. */
export class ManualClock implements Clock {
  #now: number

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  advance(ms: number): number {
    if (ms < 0) throw new RangeError('a clock does not go back')
    this.#now += ms
    return this.#now
  }

  set(ms: number): void {
    if (ms < this.#now) throw new RangeError('a clock does not go back')
    this.#now = ms
  }
}
