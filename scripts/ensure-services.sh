#!/usr/bin/env bash
# Start PostgreSQL and Redis when they are installed but stopped. Never fails the build itself:
# the tests decide (skip outside CI, fail under CI=true) when a service is still missing.
set -u
# The fault tests run a redis-server of their own: install it (Debian) when it is missing.
if ! command -v redis-server >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing redis-server"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 || true
fi

pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if ! pg_up && command -v pg_ctlcluster >/dev/null; then
  for v in $(ls /etc/postgresql 2>/dev/null); do
    echo "starting PostgreSQL $v"
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
fi
if ! redis_up && command -v redis-server >/dev/null; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.25; done
fi
pg_up && echo "PostgreSQL: up" || echo "PostgreSQL: not available"
redis_up && echo "Redis: up" || echo "Redis: not available"
exit 0
