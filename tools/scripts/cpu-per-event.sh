#!/usr/bin/env bash
# CPU cost of one plant event, for capacity planning: runs ingest rounds against the shop-floor host
# of the suite ./run.sh started and reads, from /proc, the CPU time the shop-floor host and the
# PostgreSQL server used over each round. Prints CPU-milliseconds per acknowledged event for each,
# per round and the median.
#
# Usage: tools/scripts/cpu-per-event.sh [rounds (default 3)] [more ingest arguments ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rounds=${1:-3}
shift || true
load="$root/tools/Manufacturing.LoadTest/bin/Release/net10.0/Manufacturing.LoadTest.dll"
curl -sf -o /dev/null http://127.0.0.1:5140/healthz || { echo "error: start the suite with ./run.sh first" >&2; exit 1; }
export MFG_ERP_TOKEN MFG_TOKEN
MFG_ERP_TOKEN=$("$root/tools/token" odoo read write)
MFG_TOKEN=$("$root/tools/token" mes:P100 read write)

host=$(pgrep -o -f 'dotnet ShopFloor.Api.dll')
[ -n "$host" ] || { echo "error: no shop-floor host process" >&2; exit 1; }
ticks=$(getconf CLK_TCK)
cpu_ms() { # pid: user+system CPU of the process, in ms
  echo $(( $(awk '{print $14 + $15}' "/proc/$1/stat") * 1000 / ticks ))
}
db_cpu_ms() { # PostgreSQL: the postmaster, its live backends, and (cutime+cstime) the backends that exited
  local postmaster total=0 p
  postmaster=$(pgrep -x -o postgres)
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
  for p in $(pgrep -x -P "$postmaster" postgres); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo $((total * 1000 / ticks))
}

host_costs=(); db_costs=()
for round in $(seq 1 "$rounds"); do
  h0=$(cpu_ms "$host"); d0=$(db_cpu_ms)
  line=$(dotnet "$load" ingest --target direct=http://127.0.0.1:5141 --rounds 1 "$@" | grep '^round 1 direct')
  h1=$(cpu_ms "$host"); d1=$(db_cpu_ms)
  acked=$(sed -n 's/.* acked \([0-9]*\) .*/\1/p' <<<"$line")
  host_ms=$(awk -v c=$((h1 - h0)) -v n="$acked" 'BEGIN {printf "%.3f", c / n}')
  db_ms=$(awk -v c=$((d1 - d0)) -v n="$acked" 'BEGIN {printf "%.3f", c / n}')
  echo "round $round: $acked events acknowledged; shop-floor host $((h1 - h0)) CPU-ms ($host_ms per event), PostgreSQL $((d1 - d0)) CPU-ms ($db_ms per event)"
  host_costs+=("$host_ms"); db_costs+=("$db_ms")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median CPU-ms per event: shop-floor host $(median "${host_costs[@]}"), PostgreSQL $(median "${db_costs[@]}")"
