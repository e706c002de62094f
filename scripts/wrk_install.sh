#!/usr/bin/env bash
# Installs wrk, the HTTP load generator `make bench` drives the production server with
# (docs/performance.md, "How it is measured"): Debian's package, when it is missing and we may.
set -euo pipefail
command -v wrk >/dev/null && exit 0
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk >/dev/null
