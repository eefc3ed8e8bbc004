/**
 * Kafka's default partitioner for keyed records: `toPositive(murmur2(keyBytes)) % partitions`,
 * bit for bit as the Java client computes it, so a Java or librdkafka producer
 * (with its murmur2 partitioner) and this runtime put a key on the same partition.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  const seed = 0x9747b28c
  const m = 0x5bd1e995
  const r = 24
  let h = seed ^ length
  const length4 = length >> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2
    let k =
      (data[i4]! & 0xff) |
      ((data[i4 + 1]! & 0xff) << 8) |
      ((data[i4 + 2]! & 0xff) << 16) |
      ((data[i4 + 3]! & 0xff) << 24)
    k = Math.imul(k, m)
    k ^= k >>> r
    k = Math.imul(k, m)
    h = Math.imul(h, m)
    h ^= k
  }
  const tail = length4 << 2
  const rest = length & 3
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8
  if (rest >= 1) {
    h ^= data[tail]! & 0xff
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

/** Chooses the partition of an outgoing record from its serialized key. */
export type Partitioner = (
  topic: string,
  key: Buffer | null,
  value: Buffer | null,
  partitions: number,
) => number

/** Keyed records by murmur2, as Kafka's producer; null keys to partition 0 (deterministic). */
export const defaultPartitioner: Partitioner = (_topic, key, _value, partitions) =>
  key === null ? 0 : (murmur2(key) & 0x7fffffff) % partitions
