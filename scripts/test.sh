#!/usr/bin/env bash
# Set up and run the whole test suite: ruff, makemigrations --check, then pytest on SQLite
# and, at the same time, on a PostgreSQL cluster started here on 127.0.0.1 (and stopped
# afterwards).
#
# Installs what the suite needs: the Python packages (pip install -e ".[test]") and, as
# root on Debian, PostgreSQL, Chromium (and a CJK font for its pages; PDFs embed the
# package's own), gettext, the Pango libraries WeasyPrint draws PDFs with and poppler's
# pdffonts that checks which fonts a PDF embeds. Extra pytest arguments
# are passed on, e.g. `scripts/test.sh -k search`. LIBREACH_TEST_DATABASES=sqlite (or
# postgresql) runs one database only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n== %s\n' "$*"; }

step "system packages"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    missing=()
    for pkg in postgresql postgresql-contrib chromium fonts-wqy-microhei gettext \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
    echo "present: postgresql chromium fonts-wqy-microhei gettext pango poppler-utils"
else
    echo "not root on Debian: using what is installed (missing tools skip their tests)"
fi

step "python packages"
python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"

step "test data (pymarc's sample MARC files)"
export LIBREACH_MARC_DIR="${LIBREACH_MARC_DIR:-$root/.cache/marc}"
bash scripts/get-marc-data.sh "$LIBREACH_MARC_DIR"

step "ruff"
ruff check .
ruff format --check .

export LIBREACH_HOME="$root/.cache/test-home"
export LIBREACH_SECRET_KEY="test-only-secret-key"
unset DATABASE_URL

step "migrations are committed"
python3 -m libreach makemigrations --check --dry-run

databases="${LIBREACH_TEST_DATABASES:-sqlite postgresql}"
status=0

# On a file, as in production (settings.py: one file per run in the temporary directory,
# or LIBREACH_TEST_SQLITE_NAME), so concurrency tests' threads wait for each other's locks.
run_sqlite() {
    python3 -m pytest -q -p no:cacheprovider "$@"
}

start_postgresql() {
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$pgbin" ]; then
        echo "PostgreSQL is not installed"; exit 1
    fi
    pgdir=$(mktemp -d /tmp/libreach-pg.XXXXXX)
    port=${LIBREACH_TEST_PG_PORT:-55432}
    as_pg=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$pgdir"
        as_pg=(runuser -u postgres --)
    fi
    stop_pg() {
        "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
    }
    trap stop_pg EXIT
    "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$pgdir/initdb.log"
    # Durability is not under test here: fsync off makes the suite faster.
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -o \
        "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
}

# Its own home (keys, kept mail), so it can run beside the SQLite run. A second PostgreSQL
# run at the same time (below) has its own database and home too.
run_postgresql() {
    DATABASE_URL="postgres://postgres@127.0.0.1:$port/libreach${pg_part:-}" \
        LIBREACH_HOME="$root/.cache/test-home-pg${pg_part:-}" python3 -m pytest -q -p no:cacheprovider "$@"
}

# The PostgreSQL run is the longer of the two (its time is split between Python and the
# server), so with no arguments these apps' tests leave it for a second PostgreSQL run that
# starts when the SQLite run ends: the two cores stay busy to the end. About a fifth of
# the PostgreSQL run's time (measured with --durations on PostgreSQL alone).
pg_second_part=(src/libreach/docdelivery src/libreach/eresources src/libreach/site)

want() { [[ " $databases " == *" $1 "* ]]; }

if want sqlite && want postgresql; then
    # Both at once: one pytest is mostly one core (the PostgreSQL run's time is split
    # between Python and the server), so on two cores the pair takes about as long as the
    # PostgreSQL run alone. Its output is shown when it ends.
    start_postgresql
    pglog="$root/.cache/pytest-postgresql.log"
    mkdir -p "$root/.cache"
    first_part=("$@")
    if [ $# = 0 ]; then
        for app in "${pg_second_part[@]}"; do first_part+=("--ignore=$app"); done
    fi
    run_postgresql "${first_part[@]}" >"$pglog" 2>&1 &
    pgpid=$!
    step "pytest on SQLite (PostgreSQL alongside)"
    run_sqlite "$@" || status=$?
    if [ $# = 0 ]; then
        step "pytest on PostgreSQL, second part: ${pg_second_part[*]} (the first part alongside)"
        pg_part=2 run_postgresql "${pg_second_part[@]}" || status=$?
    fi
    pgstatus=0
    wait "$pgpid" || pgstatus=$?
    step "pytest on PostgreSQL"
    cat "$pglog"
    [ "$pgstatus" = 0 ] || status=$pgstatus
else
    if want sqlite; then
        step "pytest on SQLite"
        run_sqlite "$@" || status=$?
    fi
    if want postgresql; then
        step "pytest on PostgreSQL"
        start_postgresql
        run_postgresql "$@" || status=$?
    fi
fi

exit $status
