#!/usr/bin/env bash
# Runs every test of the suite on a fresh machine.
#
# PostgreSQL: uses MFG_TEST_POSTGRES (an admin connection string) when set; otherwise Testcontainers
# when a Docker engine answers; otherwise it installs PostgreSQL if needed and starts a throwaway
# server on a free loopback port for this run. Every test then creates its own database.
# Before the tests, the contract checks (tools/scripts/contracts.sh: buf lint, and buf breaking
# against .ci/contracts-baseline; buf comes from the npm registry) count as two more results.
# tools/scripts/plant-tools.sh installs what the Sparkplug B test runs beside the suite (Debian's
# mosquitto, npm sparkplug-client).
# Ends with one line: "N passed, N failed" (totals over all test projects and the contract checks).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
# shellcheck source=tools/scripts/postgres.sh
. tools/scripts/postgres.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
configuration=${MFG_TEST_CONFIGURATION:-Release}
results="$root/.run/test-results"
rm -rf "$results"; mkdir -p "$results"

pgdata=""
cleanup() {
  if [ -n "$pgdata" ]; then pg_stop "$pgdata"; rm -rf "$(dirname "$pgdata")"; fi
}
trap cleanup EXIT

if [ -z "${MFG_TEST_POSTGRES:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo "==> Docker engine found: the tests start PostgreSQL with Testcontainers"
  else
    pg_install || { echo "error: no PostgreSQL server binaries and none could be installed; set MFG_TEST_POSTGRES" >&2; exit 1; }
    pgdata="$(mktemp -d /tmp/mfg-test-pg.XXXXXX)/data"
    port=$(free_port $((20000 + RANDOM % 20000)))
    # A throwaway server: durability settings off, for speed. Never use these for run.sh.
    pg_start "$pgdata" "$port" fsync=off synchronous_commit=off full_page_writes=off
    export MFG_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=mfg;Database=postgres"
    # The fault tests stop and restart this server mid-stream (PostgresServer.StopAsync/StartAsync).
    export MFG_TEST_PG_STOP=". '$root/tools/scripts/postgres.sh' && pg_stop '$pgdata'"
    export MFG_TEST_PG_START=". '$root/tools/scripts/postgres.sh' && pg_start '$pgdata' '$port' fsync=off synchronous_commit=off full_page_writes=off"
    echo "==> Test PostgreSQL $(pg_as_owner "$(pg_bindir)/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $pgdata)"
  fi
fi

echo "==> Building ($configuration)"
dotnet build Microservices.sln -c "$configuration" -nologo -v q -clp:ErrorsOnly

echo "==> Contract checks (buf lint, buf breaking)"
status=0
contracts="$results/contracts.txt"
tools/scripts/contracts.sh | tee "$contracts" || status=$?

echo "==> Plant tools (mosquitto, sparkplug-client) for the Sparkplug B test"
tools/scripts/plant-tools.sh || echo "warning: plant tools missing; the Sparkplug B test will fail and say why" >&2

echo "==> Testing"
dotnet test Microservices.sln -c "$configuration" --no-build -nologo -m:1 \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
passed=$((passed + $(grep -c '^contract check passed' "$contracts" || true)))
failed=$((failed + $(grep -c '^contract check failed' "$contracts" || true)))
echo "$passed passed, $failed failed"
exit "$status"
