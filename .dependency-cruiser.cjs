// The import boundaries of backend-event (README.md, "Architecture"), checked by `npm run lint`.
//
// Layers, lowest first: a folder may import the folders below it, never one above, and only through
// their public surface (`<folder>/index.ts`; for read models `read-models/<model>/index.ts`).
// Entry points (main.ts, bench/, test/) may import anything.
const LAYERS = ['streams', 'avro', 'processors', 'topologies', 'read-models', 'query-api', 'infra']
const PRODUCTION = [...LAYERS, 'examples']
const alt = (names) => `(${names.join('|')})`

/** Every folder's public surface. */
const SURFACES = [
  `^${alt(PRODUCTION.filter((f) => f !== 'read-models'))}/index\\.ts$`,
  '^read-models/[^/]+/index\\.ts$',
]

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer}-imports-upward`,
  severity: 'error',
  comment: `${layer}/ may import only ${LAYERS.slice(0, i).join(', ') || 'no other folder of the project'}`,
  from: { path: `^${layer}/` },
  to: { path: `^${alt(LAYERS.slice(i + 1))}/` },
}))

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'examples-import-the-domain',
      severity: 'error',
      comment: 'examples/ show the runtime: they may import streams/ and avro/ only',
      from: { path: '^examples/' },
      to: { path: `^${alt(LAYERS.slice(2))}/` },
    },
    {
      name: 'production-imports-entry-points',
      severity: 'error',
      comment: 'nothing but entry points imports examples/, bench/, test/ or main.ts',
      from: { path: `^${alt(LAYERS)}/` },
      to: { path: '^(examples|bench|test)/|^main\\.ts$' },
    },
    {
      name: 'read-models-import-each-other',
      severity: 'error',
      comment: 'each read model stands alone',
      from: { path: '^read-models/([^/]+)/' },
      to: { path: '^read-models/', pathNot: '^read-models/$1/' },
    },
    {
      name: 'reaches-into-internals',
      severity: 'error',
      comment: 'another folder is used through its index.ts only (its public surface)',
      from: { path: `^${alt(PRODUCTION.filter((f) => f !== 'read-models'))}/` },
      to: {
        path: `^(${PRODUCTION.join('|')})/`,
        pathNot: ['^$1/', ...SURFACES],
      },
    },
    {
      name: 'read-model-reaches-into-internals',
      severity: 'error',
      comment: 'another folder is used through its index.ts only (its public surface)',
      from: { path: '^(read-models/[^/]+)/' },
      to: {
        path: `^(${PRODUCTION.join('|')})/`,
        pathNot: ['^$1/', ...SURFACES],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'files that import each other in a loop',
      from: { pathNot: '^(test|bench)/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
}
