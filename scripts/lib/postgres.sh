# shellcheck shell=bash
# A throwaway PostgreSQL cluster for tests: loopback only, trust auth, fsync off.
# Set RAPPORT_PG_DURABLE=1 before pg_cluster_start to keep PostgreSQL's durable defaults (benchmarks).
# Source this file, then:
#   pg_cluster_start   sets RAPPORT_PG_PORT and RAPPORT_PG_ROOT (the temp folder holding data, socket and log)
#   pg_cluster_psql    runs psql as the superuser `postgres` on the cluster's `postgres` database
#   pg_cluster_stop    stops the cluster and removes its folder; safe to call twice or when nothing started
# initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user that Debian's package
# creates; as any other user they run as that user.

RAPPORT_PG_PORT=""
RAPPORT_PG_ROOT=""
RAPPORT_PG_BINDIR=""

pg_find_bindir() {
    local candidate
    # Newest major version first.
    for candidate in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
        if [[ -x "$candidate/pg_ctl" && -x "$candidate/initdb" ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the cluster's owner, from inside the cluster folder (the caller's working folder may be
# unreadable to `postgres`).
pg_as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        (cd "$RAPPORT_PG_ROOT" && runuser -u postgres -- "$@")
    else
        (cd "$RAPPORT_PG_ROOT" && "$@")
    fi
}

pg_cluster_start() {
    RAPPORT_PG_BINDIR="$(pg_find_bindir)" || {
        echo "pg_cluster_start: no PostgreSQL server found under /usr/lib/postgresql/*/bin" >&2
        return 1
    }
    RAPPORT_PG_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/rapport-pg.XXXXXX")"
    if [[ "$(id -u)" == 0 ]]; then
        id postgres >/dev/null 2>&1 || {
            echo "pg_cluster_start: running as root but there is no 'postgres' user to run initdb as" >&2
            return 1
        }
        chown postgres: "$RAPPORT_PG_ROOT"
    fi
    chmod 700 "$RAPPORT_PG_ROOT"

    pg_as_owner "$RAPPORT_PG_BINDIR/initdb" -D "$RAPPORT_PG_ROOT/data" -U postgres --auth=trust \
        --encoding=UTF8 --no-locale --no-instructions >"$RAPPORT_PG_ROOT/initdb.log" 2>&1 || {
        echo "pg_cluster_start: initdb failed:" >&2
        cat "$RAPPORT_PG_ROOT/initdb.log" >&2
        return 1
    }

    local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [[ "${RAPPORT_PG_DURABLE:-0}" == 1 ]] && durability=""
    local attempt
    for attempt in 1 2 3; do
        RAPPORT_PG_PORT="$(pg_free_port)"
        # Settings go on the command line rather than into postgresql.conf so the file stays the owner's.
        if pg_as_owner "$RAPPORT_PG_BINDIR/pg_ctl" -D "$RAPPORT_PG_ROOT/data" -l "$RAPPORT_PG_ROOT/server.log" \
            -w -t 60 -o "-c listen_addresses=127.0.0.1 -c port=$RAPPORT_PG_PORT \
-c unix_socket_directories=$RAPPORT_PG_ROOT $durability \
-c max_connections=1000" start >/dev/null; then
            export RAPPORT_PG_PORT RAPPORT_PG_ROOT
            return 0
        fi
        # Another process may have taken the port between the pick and the bind: try a new one.
        echo "pg_cluster_start: start on port $RAPPORT_PG_PORT failed (attempt $attempt):" >&2
        tail -n 20 "$RAPPORT_PG_ROOT/server.log" >&2 || true
    done
    return 1
}

pg_cluster_psql() {
    "$RAPPORT_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$RAPPORT_PG_PORT" -U postgres -d postgres "$@"
}

pg_cluster_stop() {
    if [[ -n "$RAPPORT_PG_ROOT" && -d "$RAPPORT_PG_ROOT" ]]; then
        if [[ -n "$RAPPORT_PG_BINDIR" && -f "$RAPPORT_PG_ROOT/data/postmaster.pid" ]]; then
            pg_as_owner "$RAPPORT_PG_BINDIR/pg_ctl" -D "$RAPPORT_PG_ROOT/data" -m immediate -w -t 30 stop \
                >/dev/null 2>&1 || true
        fi
        rm -rf "$RAPPORT_PG_ROOT"
    fi
    RAPPORT_PG_ROOT=""
    RAPPORT_PG_PORT=""
}
