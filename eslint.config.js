// Lint: typescript-eslint's recommended type-aware rules; formatting is Prettier's job.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'avro/generated/**', '.stryker-tmp/**', 'reports/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': ['error', { allow: ['warn', 'error'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          // kafkajs' createTopics waits for leaders by default and gives up on UNKNOWN_TOPIC_OR_PARTITION
          // while a new topic's metadata propagates: a flaky start. ensureTopics waits correctly.
          selector:
            "CallExpression[callee.property.name='createTopics'][arguments.0.type='ObjectExpression']:not(:has(Property[key.name='waitForLeaders'][value.value=false]))",
          message: "Create Kafka topics with ensureTopics (streams/kafka/topics.ts), not kafkajs' own wait.",
        },
      ],
    },
  },
  {
    files: ['bench/**', 'infra/**', 'test/**', 'main.ts'],
    rules: { 'no-console': 'off' },
  },
)
