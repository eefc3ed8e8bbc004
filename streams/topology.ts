import { TopologyError } from './errors.ts'
import { defaultPartitioner, type Partitioner } from './partitioner.ts'
import type { ProcessorSupplier } from './processor.ts'
import type { Serde } from './serde.ts'
import type { StoreBuilder } from './state-store.ts'

export interface SourceOptions<K, V> {
  readonly keySerde: Serde<K>
  readonly valueSerde: Serde<V>
}

export interface SinkOptions<K, V> {
  readonly keySerde: Serde<K>
  readonly valueSerde: Serde<V>
  /** Defaults to Kafka's murmur2 partitioner over the serialized key. */
  readonly partitioner?: Partitioner
}

export interface SourceNode {
  readonly kind: 'source'
  readonly name: string
  readonly topics: readonly string[]
  readonly keySerde: Serde<unknown>
  readonly valueSerde: Serde<unknown>
}

export interface ProcessorNodeDef {
  readonly kind: 'processor'
  readonly name: string
  readonly supplier: ProcessorSupplier
  readonly parents: readonly string[]
  readonly stores: readonly string[]
}

export interface SinkNode {
  readonly kind: 'sink'
  readonly name: string
  readonly topic: string
  readonly keySerde: Serde<unknown>
  readonly valueSerde: Serde<unknown>
  readonly partitioner: Partitioner
  readonly parents: readonly string[]
}

export type NodeDef = SourceNode | ProcessorNodeDef | SinkNode

/** A connected part of the topology: its tasks are `<id>_<partition>`, one per partition of its sources. */
export interface Subtopology {
  readonly id: number
  readonly sourceTopics: readonly string[]
  readonly nodes: readonly NodeDef[]
  readonly stores: readonly StoreBuilder[]
  /** children of every node, by name */
  readonly children: ReadonlyMap<string, readonly string[]>
}

/**
 * A processing graph of named nodes, built like Kafka Streams' `Topology`:
 * sources read topics, processors decide, sinks write topics, stores attach to
 * processors. Nodes connected through parents or shared stores form a
 * subtopology; every source topic of a subtopology must have the same
 * partition count (co-partitioning), which the runtimes check at start.
 *
 * @example
 * new Topology()
 *   .addSource('in', 'counting.input', { keySerde: stringSerde, valueSerde })
 *   .addProcessor('sum', () => new SumProcessor(), 'in')
 *   .addStateStore(Stores.keyValueStoreBuilder('sums', stringSerde, int64Serde), 'sum')
 *   .addSink('out', 'counting.output', { keySerde: stringSerde, valueSerde: totalSerde }, 'sum')
 */
export class Topology {
  readonly #nodes = new Map<string, NodeDef>()
  readonly #stores = new Map<string, StoreBuilder>()
  readonly #storeUsers = new Map<string, string[]>()
  readonly #sourceTopics = new Map<string, string>()
  /** Computed once the topology is complete; any change to the graph clears it. */
  #subtopologies: Subtopology[] | undefined

  addSource<K, V>(name: string, topics: string | readonly string[], options: SourceOptions<K, V>): this {
    this.#subtopologies = undefined
    this.#checkName(name)
    const list = typeof topics === 'string' ? [topics] : [...topics]
    if (list.length === 0) throw new TopologyError(`source ${name} reads no topic`, { node: name })
    for (const topic of list) {
      const owner = this.#sourceTopics.get(topic)
      if (owner !== undefined)
        throw new TopologyError(`topic ${topic} is already read by source ${owner}`, { node: name, topic })
      this.#sourceTopics.set(topic, name)
    }
    this.#nodes.set(name, {
      kind: 'source',
      name,
      topics: list,
      keySerde: options.keySerde as Serde<unknown>,
      valueSerde: options.valueSerde as Serde<unknown>,
    })
    return this
  }

  addProcessor(name: string, supplier: ProcessorSupplier, ...parentNames: string[]): this {
    this.#subtopologies = undefined
    this.#checkName(name)
    this.#checkParents(name, parentNames)
    this.#nodes.set(name, {
      kind: 'processor',
      name,
      supplier: supplier as ProcessorSupplier,
      parents: parentNames,
      stores: [],
    })
    return this
  }

  addSink<K, V>(name: string, topic: string, options: SinkOptions<K, V>, ...parentNames: string[]): this {
    this.#subtopologies = undefined
    this.#checkName(name)
    this.#checkParents(name, parentNames)
    this.#nodes.set(name, {
      kind: 'sink',
      name,
      topic,
      keySerde: options.keySerde as Serde<unknown>,
      valueSerde: options.valueSerde as Serde<unknown>,
      partitioner: options.partitioner ?? defaultPartitioner,
      parents: parentNames,
    })
    return this
  }

  /** Adds a store, optionally connecting it to processors already added. */
  addStateStore(builder: StoreBuilder, ...processorNames: string[]): this {
    this.#subtopologies = undefined
    if (this.#stores.has(builder.name))
      throw new TopologyError(`store ${builder.name} added twice`, { store: builder.name })
    this.#stores.set(builder.name, builder)
    this.#storeUsers.set(builder.name, [])
    for (const processor of processorNames) this.connectProcessorAndStateStores(processor, builder.name)
    return this
  }

  connectProcessorAndStateStores(processorName: string, ...storeNames: string[]): this {
    this.#subtopologies = undefined
    let node = this.#nodes.get(processorName)
    if (node?.kind !== 'processor')
      throw new TopologyError(`${processorName} is not a processor of this topology`, { node: processorName })
    for (const store of storeNames) {
      const users = this.#storeUsers.get(store)
      if (users === undefined)
        throw new TopologyError(`store ${store} is unknown`, { store, node: processorName })
      if (!users.includes(processorName)) users.push(processorName)
      if (!node.stores.includes(store)) {
        node = { ...node, stores: [...node.stores, store] }
        this.#nodes.set(processorName, node)
      }
    }
    return this
  }

  #checkName(name: string): void {
    if (name === '' || this.#nodes.has(name))
      throw new TopologyError(`node name "${name}" is empty or taken`, { node: name })
  }

  #checkParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw new TopologyError(`${name} has no parent`, { node: name })
    for (const parent of parents) {
      const node = this.#nodes.get(parent)
      if (node === undefined)
        throw new TopologyError(`parent ${parent} of ${name} is not in the topology`, { node: name })
      if (node.kind === 'sink')
        throw new TopologyError(`sink ${parent} cannot be a parent (of ${name})`, { node: name })
    }
  }

  /** Every source topic, every sink topic. */
  topics(): { sources: string[]; sinks: string[] } {
    const sinks = new Set<string>()
    for (const node of this.#nodes.values()) if (node.kind === 'sink') sinks.add(node.topic)
    return { sources: [...this.#sourceTopics.keys()], sinks: [...sinks] }
  }

  /** Splits the graph into subtopologies (connected components through parents and shared stores). */
  subtopologies(): Subtopology[] {
    this.#subtopologies ??= this.#computeSubtopologies()
    return this.#subtopologies
  }

  #computeSubtopologies(): Subtopology[] {
    const parent = new Map<string, string>()
    const find = (x: string): string => {
      let root = x
      while (parent.get(root) !== root) root = parent.get(root)!
      parent.set(x, root)
      return root
    }
    const union = (a: string, b: string): void => {
      const ra = find(a)
      const rb = find(b)
      if (ra !== rb) parent.set(ra, rb)
    }
    for (const name of this.#nodes.keys()) parent.set(name, name)
    for (const node of this.#nodes.values()) {
      if (node.kind !== 'source') for (const p of node.parents) union(node.name, p)
    }
    for (const users of this.#storeUsers.values()) for (const u of users.slice(1)) union(users[0]!, u)

    const groups = new Map<string, NodeDef[]>()
    for (const node of this.#nodes.values()) {
      const root = find(node.name)
      const list = groups.get(root) ?? []
      list.push(node)
      groups.set(root, list)
    }
    const result: Subtopology[] = []
    for (const nodes of groups.values()) {
      const sourceTopics = nodes.flatMap((n) => (n.kind === 'source' ? n.topics : []))
      if (sourceTopics.length === 0)
        throw new TopologyError(`nodes ${nodes.map((n) => n.name).join(', ')} are reachable from no source`)
      const storeNames = new Set(nodes.flatMap((n) => (n.kind === 'processor' ? n.stores : [])))
      const children = new Map<string, string[]>()
      for (const n of nodes) children.set(n.name, [])
      for (const n of nodes) if (n.kind !== 'source') for (const p of n.parents) children.get(p)!.push(n.name)
      result.push({
        id: result.length,
        sourceTopics,
        nodes,
        stores: [...storeNames].map((s) => this.#stores.get(s)!),
        children,
      })
    }
    const orphanStores = [...this.#storeUsers].filter(([, users]) => users.length === 0).map(([s]) => s)
    if (orphanStores.length > 0)
      throw new TopologyError(`stores connected to no processor: ${orphanStores.join(', ')}`)
    return result
  }

  /**
   * Checks co-partitioning: every source topic of a subtopology has the same
   * partition count. Returns the partition count per subtopology.
   */
  validatePartitions(partitionsOf: (topic: string) => number): number[] {
    return this.subtopologies().map((sub) => {
      const counts = sub.sourceTopics.map((topic) => ({ topic, partitions: partitionsOf(topic) }))
      const first = counts[0]!.partitions
      if (counts.some((c) => c.partitions !== first))
        throw new TopologyError(
          `co-partitioned topics of subtopology ${sub.id} differ in partition count: ` +
            counts.map((c) => `${c.topic}=${c.partitions}`).join(', '),
          { subtopology: sub.id, counts },
        )
      return first
    })
  }

  /** A readable description in the shape of Kafka Streams' `TopologyDescription`. */
  describe(): TopologyDescription {
    return new TopologyDescription(this.subtopologies())
  }
}

export class TopologyDescription {
  readonly subtopologies: readonly Subtopology[]

  constructor(subtopologies: readonly Subtopology[]) {
    this.subtopologies = subtopologies
  }

  toString(): string {
    const lines = ['Topologies:']
    for (const sub of this.subtopologies) {
      lines.push(`   Sub-topology: ${sub.id}`)
      for (const node of sub.nodes) {
        const next = sub.children.get(node.name) ?? []
        const arrow = `--> ${next.length > 0 ? next.join(', ') : 'none'}`
        if (node.kind === 'source')
          lines.push(`    Source: ${node.name} (topics: [${node.topics.join(', ')}])`, `      ${arrow}`)
        else if (node.kind === 'processor')
          lines.push(`    Processor: ${node.name} (stores: [${node.stores.join(', ')}])`, `      ${arrow}`)
        else lines.push(`    Sink: ${node.name} (topic: ${node.topic})`)
        if (node.kind !== 'source') lines.push(`      <-- ${node.parents.join(', ')}`)
      }
    }
    return lines.join('\n') + '\n'
  }
}
