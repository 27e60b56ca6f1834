# Shared by run.sh and test.sh (sourced, not run): find or install PostgreSQL's server binaries and
# start a server on loopback in a data folder, as the postgres user when running as root (PostgreSQL
# refuses to run as root).

# Prints the directory holding initdb/pg_ctl, or nothing.
pg_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return 0; fi
  for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /usr/pgsql-*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; fi
  return 0
}

# Installs the Debian/Ubuntu postgresql package when no server binaries are present.
pg_install() {
  [ -n "$(pg_bindir)" ] && return 0
  if command -v apt-get >/dev/null 2>&1; then
    echo "==> PostgreSQL server not found: installing it with apt-get"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  [ -n "$(pg_bindir)" ]
}

# Runs a PostgreSQL binary as the right user.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A TCP port on 127.0.0.1 that nothing listens on, from a starting point.
free_port() {
  local p=${1:-20000}
  while (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# pg_start DATADIR PORT [extra -c settings...]: initialises DATADIR when empty and starts the server.
pg_start() {
  local datadir=$1 port=$2; shift 2
  local bindir; bindir=$(pg_bindir)
  mkdir -p "$datadir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$datadir" "$(dirname "$datadir")"
  chmod 700 "$datadir"
  if [ ! -f "$datadir/PG_VERSION" ]; then
    pg_as_owner "$bindir/initdb" -D "$datadir" -U mfg --auth=trust -E UTF8 --no-instructions >/dev/null
  fi
  local opts="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$datadir -c max_connections=300"
  for s in "$@"; do opts="$opts -c $s"; done
  pg_as_owner "$bindir/pg_ctl" -D "$datadir" -o "$opts" -l "$datadir/server.log" -w -t 60 start >/dev/null
}

pg_stop() {
  local datadir=$1
  local bindir; bindir=$(pg_bindir)
  [ -f "$datadir/postmaster.pid" ] && pg_as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
}
