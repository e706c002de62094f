#!/usr/bin/env bash
# Installs the OpenID provider the single sign-on tests run against (docs/sso.md#tests):
# panva's oidc-provider, pinned, into var/oidc-provider. Needs Node.js and npm (Debian's
# `nodejs` and `npm` packages, installed when missing and we may). Idempotent.
set -euo pipefail
VERSION=9.13.3
cd "$(dirname "$0")/.."
DEST=var/oidc-provider
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
fi
if [ -f "$DEST/node_modules/oidc-provider/package.json" ] \
  && grep -q "\"version\": \"$VERSION\"" "$DEST/node_modules/oidc-provider/package.json"; then
  exit 0
fi
mkdir -p "$DEST"
printf '{"name": "supportal-oidc-provider", "private": true, "type": "module"}\n' > "$DEST/package.json"
npm install --prefix "$DEST" --no-audit --no-fund --silent --save-exact "oidc-provider@$VERSION"
