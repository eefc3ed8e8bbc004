/** Record headers: string names, byte or string values (as Kafka carries them). */
export type Headers = Readonly<{ [name: string]: Buffer | string | undefined }>

/**
 * An immutable record flowing through a topology, as Kafka Streams'
 * `org.apache.kafka.streams.processor.api.Record`. The `with*` methods return
 * copies; a processor never mutates what it received.
 */
export class Record<K, V> {
  readonly key: K
  readonly value: V
  readonly timestamp: number
  readonly headers: Headers

  constructor(key: K, value: V, timestamp: number, headers: Headers = {}) {
    this.key = key
    this.value = value
    this.timestamp = timestamp
    this.headers = headers
  }

  withKey<K2>(key: K2): Record<K2, V> {
    return new Record(key, this.value, this.timestamp, this.headers)
  }

  withValue<V2>(value: V2): Record<K, V2> {
    return new Record(this.key, value, this.timestamp, this.headers)
  }

  withTimestamp(timestamp: number): Record<K, V> {
    return new Record(this.key, this.value, timestamp, this.headers)
  }

  withHeaders(headers: Headers): Record<K, V> {
    return new Record(this.key, this.value, this.timestamp, headers)
  }
}

/** Where the record being processed came from (absent inside a punctuation). */
export interface RecordMetadata {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}
