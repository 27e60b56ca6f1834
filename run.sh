#!/usr/bin/env bash
# Starts the whole suite locally: five domain hosts (each co-hosting an Orleans silo of one cluster)
# and the gateway. With PostgreSQL's server binaries on this machine it runs a local, durable
# PostgreSQL in .data/postgres (kept across restarts) and applies the schema migrations; without them
# it falls back to in-memory storage and says so. Ctrl+C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
# shellcheck source=tools/scripts/postgres.sh
. tools/scripts/postgres.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Six .NET processes share this machine's cores: workstation GC keeps them from fighting over
# per-core server-GC heaps (see docs/benchmarks.md). A pod with its own CPUs keeps the default.
export DOTNET_gcServer="${DOTNET_gcServer:-0}"
configuration=Release
data="${MFG_DATA_DIR:-$root/.data}"
logs="$root/.run/logs"
pg_port="${MFG_PG_PORT:-55432}"
mkdir -p "$logs"

pids=()
pgdata=""
stop_all() {
  trap - INT TERM EXIT
  echo; echo "==> Stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$pgdata" ]; then pg_stop "$pgdata"; fi
  echo "==> Stopped"
  exit 0
}
trap stop_all INT TERM EXIT

echo "==> Building ($configuration)"
dotnet build Microservices.sln -c "$configuration" -nologo -v q -clp:ErrorsOnly

# Every caller needs a bearer token. Locally the suite trusts the development key that
# tools/token signs with (made once in ~/.config/manufacturing); production configures a real
# issuer instead (docs/security.md).
token_tool="tools/Manufacturing.TokenTool/bin/$configuration/net10.0/Manufacturing.TokenTool.dll"
dotnet "$token_tool" keygen >/dev/null
export Authentication__Issuer=mfg-dev Authentication__Audience=manufacturing
Authentication__SigningKeyFile="$(dotnet "$token_tool" public-key)"
export Authentication__SigningKeyFile
echo "!!! Tokens: trusting the DEVELOPMENT signing key $Authentication__SigningKeyFile (mint with tools/token)."

if [ -n "$(pg_bindir)" ]; then
  pgdata="$data/postgres"
  if (echo >"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null && [ ! -f "$pgdata/postmaster.pid" ]; then
    echo "error: port $pg_port is taken; set MFG_PG_PORT to a free port" >&2; exit 1
  fi
  echo "==> PostgreSQL on 127.0.0.1:$pg_port, data in $pgdata (durable)"
  pg_start "$pgdata" "$pg_port"
  export ConnectionStrings__Orleans="Host=127.0.0.1;Port=$pg_port;Username=mfg;Database=manufacturing;Maximum Pool Size=20"
  echo "==> Applying schema migrations"
  dotnet "tools/Manufacturing.Migrator/bin/$configuration/net10.0/Manufacturing.Migrator.dll" --create-database
else
  echo "!!! WARNING: no PostgreSQL server binaries found: starting with IN-MEMORY storage."
  echo "!!! Everything is LOST when the suite stops. Install postgresql for durable state."
fi

start() { # name project-dir assembly
  local name=$1 dir=$2 assembly=$3
  local bin="$dir/bin/$configuration/net10.0"
  (cd "$bin" && exec dotnet "$assembly.dll") >"$logs/$name.log" 2>&1 &
  pids+=($!)
  echo "    $name (pid $!, log .run/logs/$name.log)"
}

echo "==> Starting hosts"
# inventory first: in in-memory mode its silo is the development cluster's primary.
start inventory services/inventory/Inventory.Api Inventory.Api
start procurement services/procurement/Procurement.Api Procurement.Api
start quality services/quality/Quality.Api Quality.Api
start shop-floor services/shop-floor/ShopFloor.Api ShopFloor.Api
start integration services/integration/Integration.Api Integration.Api
start gateway gateway/Manufacturing.Gateway Manufacturing.Gateway

echo "==> Waiting for every host to be healthy"
deadline=$((SECONDS + 120))
until curl -sf -o /dev/null http://127.0.0.1:8080/healthz; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "error: a host exited; see .run/logs/" >&2; exit 1; }
  done
  if [ $SECONDS -ge $deadline ]; then
    echo "error: not healthy after 120 s:" >&2; curl -s http://127.0.0.1:8080/healthz >&2 || true; exit 1
  fi
  sleep 0.5
done

cat <<'MSG'

==> The suite is up.
    Gateway REST, health, docs: http://127.0.0.1:8080   (GET /healthz, GET /)
    Gateway gRPC (h2c):         127.0.0.1:8081

    Every call needs a bearer token; tools/token mints development ones (client, then scopes):
      ODOO=$(tools/token odoo read write)
    Release a production order:
      curl -s -X POST http://127.0.0.1:8080/shop-floor/v1/plants/P100/productionOrders:release \
        -H 'content-type: application/json' -H "authorization: Bearer $ODOO" -d '{
          "productionOrderId": "WO-000123",
          "productionOrder": {
            "product": "BIKE-26", "quantity": {"value": "25", "unitOfMeasure": "EA"},
            "components": [{"material": "FRAME-26", "quantityPerUnit": {"value": "1", "unitOfMeasure": "EA"}}],
            "operations": [{"operationId": "0010", "workCenter": "ASSEMBLY-1"}],
            "plannedStartTime": "2026-12-01T06:00:00Z", "plannedEndTime": "2026-12-01T14:00:00Z"},
          "metadata": {"messageId": "erp-4711", "occurredAt": "2026-11-23T08:00:00Z"}}'
    Read it back:
      curl -s http://127.0.0.1:8080/shop-floor/v1/plants/P100/productionOrders/WO-000123 -H "authorization: Bearer $ODOO"

    The whole domain story (SAP purchase order to scrapped lot), checked step by step:
      tools/demo/supply-to-scrap.sh

    Ctrl+C stops everything.
MSG
wait -n "${pids[@]}" || true
echo "error: a host exited; see .run/logs/" >&2
