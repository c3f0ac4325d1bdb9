# shellcheck shell=bash
# Make a PostgreSQL with trust login as "postgres" answer on 127.0.0.1, and export
# VAULT_TEST_PG_ADMIN_URL for the tests (tests/support/postgres.py reads it). Meant to be sourced:
#
#   source scripts/lib/ensure-postgres.sh
#   ensure_postgres || exit 1
#
# The machine's own server (127.0.0.1:5432) is used when it answers. Otherwise a private
# cluster is made in ${VAULT_TEST_PG_DIR:-$PWD/var/test-postgres} and started on
# 127.0.0.1:${VAULT_TEST_PG_PORT:-5432}. VAULT_TEST_PG_PROBE_PORT (default 5432) is the port
# probed for the machine's server; pointing it at a dead port exercises the fallback.

ensure_postgres() {
    local probe_port="${VAULT_TEST_PG_PROBE_PORT:-5432}"
    local port="${VAULT_TEST_PG_PORT:-5432}"
    local dir="${VAULT_TEST_PG_DIR:-$PWD/var/test-postgres}"

    if _vault_pg_answers "$probe_port"; then
        _vault_pg_export "$probe_port"
        return 0
    fi

    local bindir
    bindir="$(_vault_pg_bindir)"
    if [[ -z "$bindir" ]]; then
        echo "postgres: no server on 127.0.0.1:$probe_port and no initdb; installing postgresql"
        _vault_pg_install || return 1
        bindir="$(_vault_pg_bindir)"
        [[ -n "$bindir" ]] || { echo "error: postgresql installed but no initdb found" >&2; return 1; }
    fi

    # PostgreSQL refuses to run as root: as root, run it as the "postgres" system user.
    local as_pg=()
    if ((EUID == 0)); then
        if ! id -u postgres >/dev/null 2>&1; then
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin postgres || return 1
        fi
        as_pg=(runuser -u postgres --)
    fi

    # Idempotent: a second call finds the private cluster running and only exports the URL
    # (with the port it really runs on: line 4 of postmaster.pid).
    if [[ -f "$dir/PG_VERSION" ]] && "${as_pg[@]}" "$bindir/pg_ctl" status -D "$dir" >/dev/null 2>&1; then
        port="$(sed -n 4p "$dir/postmaster.pid")"
        _vault_pg_wait "$bindir" "$port" "$dir" || return 1
        _vault_pg_export "$port"
        return 0
    fi

    # pg_isready: 0 accepting, 1 rejecting, 2 no answer. Anything there now is a server we
    # could not use (e.g. one that wants a password), and it holds the port.
    local state=0
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 || state=$?
    if ((state == 0 || state == 1)); then
        echo "error: 127.0.0.1:$port is held by a PostgreSQL that 'postgres' cannot log in" \
            "to without a password; set VAULT_TEST_PG_PORT to a free port" >&2
        return 1
    fi

    if [[ ! -f "$dir/PG_VERSION" ]]; then
        if [[ -d "$dir" ]] && [[ -n "$(ls -A "$dir")" ]]; then
            echo "error: $dir is not empty and not a PostgreSQL cluster" >&2
            return 1
        fi
        echo "postgres: creating a private cluster in $dir"
        mkdir -p "$dir" || return 1
        if ((EUID == 0)); then chown postgres: "$dir" || return 1; fi
        chmod 700 "$dir" || return 1
        # The postgres user must reach the folder, e.g. not under root's 0700 home.
        if ! "${as_pg[@]}" test -w "$dir"; then
            echo "error: the postgres user cannot write $dir (a parent folder is closed to it);" \
                "set VAULT_TEST_PG_DIR elsewhere" >&2
            return 1
        fi
        # C.UTF-8 as on the machine's server: UTF-8 whatever LANG says, no locale package needed.
        if ! "${as_pg[@]}" "$bindir/initdb" -D "$dir" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1; then
            echo "error: initdb failed:" >&2
            tail -n 20 "$dir.initdb.log" >&2
            return 1
        fi
        rm -f "$dir.initdb.log"
        # Loopback TCP only: no Unix socket, so nothing clashes with the system's
        # /var/run/postgresql and the socket path length does not matter.
        cat >>"$dir/postgresql.conf" <<CONF

# test cluster made by scripts/lib/ensure-postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
CONF
    fi

    echo "postgres: starting the private cluster on 127.0.0.1:$port"
    # -p overrides the port written at initdb time, in case VAULT_TEST_PG_PORT changed since.
    if ! "${as_pg[@]}" "$bindir/pg_ctl" start -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-p $port" >/dev/null; then
        echo "error: PostgreSQL did not start; end of $dir/server.log:" >&2
        tail -n 20 "$dir/server.log" >&2
        return 1
    fi
    _vault_pg_wait "$bindir" "$port" "$dir" || return 1
    _vault_pg_export "$port"
}

_vault_pg_export() {
    export VAULT_TEST_PG_ADMIN_URL="postgresql+psycopg://postgres@127.0.0.1:$1/postgres"
}

# Newest server bin dir from Debian's packages, or nothing.
_vault_pg_bindir() {
    local d
    d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; fi
}

# True when a real login as postgres works: pg_isready alone would also accept a server
# that wants a password.
_vault_pg_answers() {
    local port="$1" tool
    if command -v psql >/dev/null 2>&1; then
        PGCONNECT_TIMEOUT=5 psql -w -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
            -Atc 'SELECT 1' >/dev/null 2>&1
        return
    fi
    tool="$(command -v pg_isready || true)"
    [[ -n "$tool" ]] || tool="$(_vault_pg_bindir)/pg_isready"
    [[ -x "$tool" ]] && "$tool" -q -h 127.0.0.1 -p "$port" -t 5
}

_vault_pg_wait() {
    local bindir="$1" port="$2" dir="$3" i
    for ((i = 0; i < 60; i++)); do
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && return 0
        sleep 0.5
    done
    echo "error: PostgreSQL in $dir does not answer on 127.0.0.1:$port" >&2
    return 1
}

_vault_pg_install() {
    local as_root=(env DEBIAN_FRONTEND=noninteractive)
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install postgresql" >&2; return 1; }
        as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
    fi
    local log rc=0
    log="$(mktemp)"
    "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q >"$log" 2>&1 &&
        "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q \
            --no-install-recommends postgresql >>"$log" 2>&1 || rc=$?
    if ((rc != 0)); then
        echo "error: apt-get install postgresql failed (exit $rc):" >&2
        tail -n 30 "$log" >&2
    fi
    rm -f "$log"
    return "$rc"
}
