#!/usr/bin/env bash
# The measurement behind the choice of application server (docs/deploy.md, "Application server").
# Starts each candidate on one port with the same number of processes, drives a simple page
# (the log-in form: templates, no query) and a database page (a customer's request list) with
# wrk, and prints requests per second and the 99th percentile latency.
# Usage: DATABASE_URL=postgres://... SECRET_KEY=... deploy/bench-servers.sh [port] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-8510}
SECONDS_PER_RUN=${2:-8}
WORKERS=${WORKERS:-2}
BIN=.venv/bin
export DEBUG=0 ALLOWED_HOSTS=127.0.0.1
SESSION=$($BIN/python manage.py shell -v0 -c "
from django.test import Client
from supportal.accounts.models import User
c = Client(); c.force_login(User.objects.get(email='cristina.tanasescu@example.com'))
print(c.cookies['sessionid'].value)" | tail -1)

$BIN/python manage.py collectstatic --no-input -v0
# ASGI runs Django's sync code in per-request threads, where persistent connections are never
# reused (and pile up until PostgreSQL refuses clients): the ASGI rows run without them, and
# once more with Django's connection pool.
NOPERSIST="env DATABASE_CONN_MAX_AGE=0"
POOL="env DATABASE_POOL_MAX_SIZE=4"
declare -A SERVERS=(
  [gunicorn-sync]="$BIN/gunicorn config.wsgi -w $WORKERS -b 127.0.0.1:$PORT"
  [gunicorn-gthread]="$BIN/gunicorn config.wsgi -w $WORKERS --threads 4 -b 127.0.0.1:$PORT"
  [gunicorn-uvicorn]="$NOPERSIST $BIN/gunicorn config.asgi -w $WORKERS -k uvicorn.workers.UvicornWorker -b 127.0.0.1:$PORT"
  [gunicorn-uvicorn-pool]="$POOL $BIN/gunicorn config.asgi -w $WORKERS -k uvicorn.workers.UvicornWorker -b 127.0.0.1:$PORT"
  [granian-wsgi]="$BIN/granian --interface wsgi --workers $WORKERS --host 127.0.0.1 --port $PORT config.wsgi:application"
  [granian-asgi]="$NOPERSIST $BIN/granian --interface asginl --workers $WORKERS --host 127.0.0.1 --port $PORT config.asgi:application"
  [granian-asgi-pool]="$POOL $BIN/granian --interface asginl --workers $WORKERS --host 127.0.0.1 --port $PORT config.asgi:application"
)
for name in ${ONLY:-gunicorn-sync gunicorn-gthread gunicorn-uvicorn gunicorn-uvicorn-pool granian-wsgi granian-asgi granian-asgi-pool}; do
  ${SERVERS[$name]} >"${TMPDIR:-/tmp}/bench-$name.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null' EXIT
  for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
  for page in /login/ /; do
    wrk -t2 -c8 -d2s --timeout 10s -H "Cookie: sessionid=$SESSION" "http://127.0.0.1:$PORT$page" >/dev/null
    out=$(wrk -t2 -c8 -d"${SECONDS_PER_RUN}s" --timeout 10s --latency -H "Cookie: sessionid=$SESSION" \
      "http://127.0.0.1:$PORT$page")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
    printf '%-18s %-8s %8s req/s  p99 %8s  %s\n' "$name" "$page" "$rps" "$p99" "$errors"
  done
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
done
