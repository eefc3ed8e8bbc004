/**
 * `KAFKA_TOPIC_PREFIX`: put in front of every topic name of infra/topics.ts (the changelogs are already
 * named after `APPLICATION_ID`). Environments sharing one cluster, or test runs sharing one broker, each
 * get topics of their own and never read one another's records. Read once, when the topic names are first
 * imported; empty by default, which gives the names of the README.
 */
const PATTERN = /^[a-zA-Z0-9._-]{0,100}$/

function checkPrefix(prefix: string): string {
  if (!PATTERN.test(prefix)) {
    throw new Error(
      `KAFKA_TOPIC_PREFIX ${JSON.stringify(prefix)} is not a topic-name prefix: ` +
        'at most 100 of the letters, digits, ".", "_" and "-"',
    )
  }
  return prefix
}

export const TOPIC_PREFIX = checkPrefix(process.env.KAFKA_TOPIC_PREFIX ?? '')

/** The name of a declared topic in this process: `KAFKA_TOPIC_PREFIX` + `base`. */
export const topicName = (base: string): string => TOPIC_PREFIX + base
