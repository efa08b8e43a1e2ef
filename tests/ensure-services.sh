#!/usr/bin/env bash
# What the test suite needs besides the virtual environment: PostgreSQL on 127.0.0.1:5432
# with trust auth (the KPI and migration tests run on it as well as on SQLite) and Debian's
# headless Chromium (the dashboard test drives it; never a browser download), and Docker
# Compose (tests/test_docker_compose.py resolves docker-compose.yml with it): the `docker
# compose` plugin if Docker has it, else Debian's `docker-compose`.
# Starts the machine's cluster, or installs the packages from Debian's archive (as root).
set -euo pipefail

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then return 0; fi
  if ! command -v pg_ctlcluster >/dev/null; then
    need_root "PostgreSQL"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    local version
    version=$(ls /etc/postgresql | sort -V | tail -1)
    sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && return 0
    sleep 1
  done
  echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
  return 1
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  need_root "Chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

ensure_compose() {
  if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then return 0; fi
  if command -v docker-compose >/dev/null; then return 0; fi
  need_root "Docker Compose"
  apt-get update -qq
  # Without recommends: `config` needs no Docker daemon, and Debian's would bring one.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
}

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "the tests need $1; install it (Debian: apt-get install postgresql chromium docker-compose) or run as root" >&2
    exit 1
  fi
}

ensure_postgres
ensure_chromium
ensure_compose
