#!/usr/bin/env bash
# Installs the trackers the audience tests load in Chromium:
# - Plausible's npm tracker, through package-lock.json;
# - Umami's tracker, src/tracker/index.js of the npm package `umami` (the package is the whole
#   Umami application: only its tarball is fetched, by `npm pack`, which checks it against the
#   registry's integrity hash, and only the tracker file is kept).
set -euo pipefail
cd "$(dirname "$0")"
UMAMI_VERSION=2.10.0
npm ci --no-audit --no-fund
if [ ! -f umami/index.js ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "umami@${UMAMI_VERSION}" --silent >/dev/null)
  mkdir -p umami
  tar -xzf "$tmp/umami-${UMAMI_VERSION}.tgz" -C "$tmp" package/src/tracker/index.js
  cp "$tmp/package/src/tracker/index.js" umami/index.js
  rm -rf "$tmp"
fi
test -f node_modules/@plausible-analytics/tracker/plausible.js
test -f umami/index.js
