#!/usr/bin/env bash
# Installs what the tests need where it is missing, then runs every test:
# formatting, clippy (-D warnings), unit, integration, snapshot and
# end-to-end tests.
#
# In CI (CI=true) a missing prerequisite that cannot be installed is a
# failure; elsewhere the tests that need it skip with a loud message.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

# --- prerequisites -----------------------------------------------------------
# Debian packages the test suite drives for real. Each entry: command package.
APT_NEEDS=(
  "tmux tmux"
  "redis-server redis-server"
  "redis-check-rdb redis-tools"
  "pg_dump postgresql-client"
  "pg_restore postgresql-client"
  "docker-compose docker-compose"
  "busybox busybox-static"
  "kubectl kubernetes-client"
  "prometheus prometheus"
  "prometheus-alertmanager prometheus-alertmanager"
  "amtool prometheus-alertmanager"
  "prometheus-node-exporter prometheus-node-exporter"
)

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: apt-get not available; cannot install $*" >&2
    return 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
      echo "warning: not root and no sudo; cannot install $*" >&2
      return 1
    fi
  fi
  if [ "$apt_updated" -eq 0 ]; then
    $sudo apt-get update -qq || true
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
for entry in "${APT_NEEDS[@]}"; do
  cmd=${entry%% *}
  pkg=${entry#* }
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
# The PostgreSQL server (initdb, postgres) lives outside PATH on Debian.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=("postgresql")
fi
# Deduplicate.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk 'NF && !seen[$0]++')
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing missing packages: ${missing[*]}"
  if ! apt_install "${missing[@]}"; then
    if [ "${CI:-}" = "true" ]; then
      echo "error: could not install ${missing[*]} in CI" >&2
      exit 1
    fi
    echo "WARNING: ${missing[*]} missing; tests needing them will skip" >&2
  fi
fi

for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    say "installing rust component $component"
    rustup component add "$component"
  fi
done

if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install --locked cargo-nextest || echo "warning: no nextest; using cargo test" >&2
fi

# --- checks ------------------------------------------------------------------
say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

# Snapshots must match what is committed; never rewrite them here.
export INSTA_UPDATE=no

if cargo nextest --version >/dev/null 2>&1; then
  say "cargo nextest run"
  cargo nextest run --all-targets --no-fail-fast
  say "doc tests"
  cargo test --doc
else
  say "cargo test"
  cargo test --all-targets --no-fail-fast
fi
# Benchmarks are compiled (not run) by clippy --all-targets above; run them
# with `cargo bench` and scripts/perf/run_all.sh (figures in docs/perf.md).
