#!/usr/bin/env bash
# Scaling figure: plant event commands/s with 1, 2 and 3 shop-floor silos, on the suite ./run.sh
# started (its durable PostgreSQL; start it with the gateway's rate limits raised, as in
# docs/benchmarks.md). Before each round it starts or stops extra shop-floor silos (run.sh's
# settings, their own ports) until the cluster has the round's count, waits until each is healthy,
# and runs one round of the ingest benchmark against the first shop-floor host, which spreads the
# orders' grains over the silos by placement. The counts alternate round by round (1, 2, 3, 1, 2,
# 3, ...) so the machine's noise hits each alike; it ends with the median per count.
#
# Usage: tools/scripts/bench-scale.sh [rounds (default 3)] [more ingest arguments ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rounds=${1:-3}
shift || true

configuration=Release
bin="$root/services/shop-floor/ShopFloor.Api/bin/$configuration/net10.0"
load="$root/tools/Manufacturing.LoadTest/bin/$configuration/net10.0/Manufacturing.LoadTest.dll"
token_tool="$root/tools/Manufacturing.TokenTool/bin/$configuration/net10.0/Manufacturing.TokenTool.dll"
logs="$root/.run/logs"
mkdir -p "$logs"
curl -sf -o /dev/null http://127.0.0.1:5140/healthz || { echo "error: start the suite with ./run.sh first" >&2; exit 1; }
[ -f "$load" ] || { echo "error: $load is missing; ./run.sh builds it" >&2; exit 1; }

# The extra silos join run.sh's cluster: same database, token key and (defaults for) cluster ids.
export DOTNET_gcServer=0 Authentication__Issuer=mfg-dev Authentication__Audience=manufacturing
Authentication__SigningKeyFile="$(dotnet "$token_tool" public-key)"
export Authentication__SigningKeyFile
export ConnectionStrings__Orleans="Host=127.0.0.1;Port=${MFG_PG_PORT:-55432};Username=mfg;Database=manufacturing;Maximum Pool Size=20"
export MFG_ERP_TOKEN MFG_TOKEN
MFG_ERP_TOKEN=$("$root/tools/token" odoo read write)
MFG_TOKEN=$("$root/tools/token" mes:P100 read write)

declare -A pids=()
stop_silo() { # n
  local pid=${pids[$1]}
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "pids[$1]"
}
start_silo() { # n (2 or 3): REST 52n0, gRPC 52n1, silo port 1112n
  local n=$1
  (cd "$bin" && Kestrel__Endpoints__Rest__Url="http://127.0.0.1:52${n}0" Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:52${n}1" \
    Orleans__SiloPort="1112$n" exec dotnet ShopFloor.Api.dll) >"$logs/shop-floor-$n.log" 2>&1 &
  pids[$n]=$!
  local deadline=$((SECONDS + 90))
  until curl -sf -o /dev/null "http://127.0.0.1:52${n}0/healthz"; do
    kill -0 "${pids[$n]}" 2>/dev/null || { echo "error: shop-floor silo $n exited; see $logs/shop-floor-$n.log" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "error: shop-floor silo $n not healthy in 90 s" >&2; exit 1; }
    sleep 0.5
  done
}
cleanup() { for n in "${!pids[@]}"; do stop_silo "$n"; done; }
trap cleanup EXIT

declare -A figures=()
for round in $(seq 1 "$rounds"); do
  for silos in 1 2 3; do
    for n in 2 3; do
      if [ "$n" -le "$silos" ] && [ -z "${pids[$n]:-}" ]; then start_silo "$n"; fi
      if [ "$n" -gt "$silos" ] && [ -n "${pids[$n]:-}" ]; then stop_silo "$n"; fi
    done
    line=$(dotnet "$load" ingest --target direct=http://127.0.0.1:5141 --rounds 1 "$@" | grep '^round 1 direct')
    eps=$(awk '{print $4}' <<<"$line")
    echo "round $round, $silos shop-floor silo(s): $eps events/s  (${line#round 1 direct })"
    figures[$silos]="${figures[$silos]:-} $eps"
  done
done

echo
echo "| shop-floor silos | events/s (median of $rounds) | rounds | ratio to 1 silo |"
echo "|---|---|---|---|"
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
one=$(median "${figures[1]}")
for silos in 1 2 3; do
  median=$(median "${figures[$silos]}")
  echo "| $silos | $median | ${figures[$silos]# } | $(awk -v m="$median" -v o="$one" 'BEGIN {printf "%.2f", m / o}') |"
done
