#!/usr/bin/env bash
# `npm run lint`: ESLint, Prettier, the type check and the import boundaries (.dependency-cruiser.cjs),
# on Node 24 like every other script (dependency-cruiser needs Node >= 22).
# `npm run lint:imports` (`bash infra/lint.sh imports`): the import boundaries only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. infra/node.sh
if [ "${1:-}" != imports ]; then
  npx --no-install eslint .
  npx --no-install prettier --check .
  npx --no-install tsc -p tsconfig.json
fi
npx --no-install depcruise --config .dependency-cruiser.cjs --output-type err \
  main.ts avro streams processors topologies read-models query-api infra examples bench test
