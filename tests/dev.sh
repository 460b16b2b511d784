#!/usr/bin/env bash
# Tagsmith's one entry point for a fresh Debian 12 machine.
#   ./tests/dev.sh run [VERB...]  install what is missing, build, and start the app
#                                 (with a verb: the headless command line, no display needed)
#   ./tests/dev.sh test           install what is missing, build, and run every test suite
#   ./tests/dev.sh screenshots    retake data/screenshots/ with the GUI tests
# Installing packages needs root: run it as root, or as a user who may use sudo.
# Unit and integration suites run in an AddressSanitizer + UBSan build; the GUI suite runs
# the normal build under Xvfb with its own D-Bus session (tests/gui/session.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev libssl-dev libserialport-dev
  libsqlite3-dev libpq-dev libsecret-1-dev libjson-glib-dev postgresql
  desktop-file-utils appstream-util yelp-tools
  openssl sqlite3 gnutls-bin libmbedtls-dev valgrind clang libclang-rt-14-dev gdb
  xvfb xauth dbus dbus-x11 at-spi2-core python3-dogtail imagemagick gnome-keyring libsecret-tools
  x11-utils optipng
)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "Installing: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "Installing packages needs root, and this system has no sudo. Run $0 as root" >&2
      echo "(su -), or install these packages as root first: ${missing[*]}" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

configure() {  # configure BUILDDIR [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

run_app() {
  if [ $# -eq 0 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "No display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open." >&2
    echo "Every tagsmith VERB command works headless, e.g. $0 run --help, $0 run devices," >&2
    echo "$0 run ca list. Over SSH, log in with -X to get the window." >&2
    exit 1
  fi
  configure build
  # Run from the build tree: the compiled settings schema lives in build/data.
  GSETTINGS_SCHEMA_DIR="$PWD/build/data" exec ./build/src/tagsmith "$@"
}

run_tests() {
  configure build -Dgui_tests=true
  configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dgui_tests=false

  local status=0
  # A PostgreSQL server of the suite's own, on a Unix socket: the ledger's unit tests run their
  # cases on it as well as on a file. Stopped whatever happens.
  pg_folder=$(mktemp -d "${TMPDIR:-/tmp}/tagsmith-pg.XXXXXX")
  trap 'tests/pg-server.sh stop "$pg_folder" >/dev/null 2>&1 || true' EXIT
  export TAGSMITH_TEST_PG_URI
  TAGSMITH_TEST_PG_URI=$(tests/pg-server.sh start "$pg_folder")
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:fast_unwind_on_malloc=0"
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  meson test -C build-asan --suite unit --suite integration --print-errorlogs --num-processes 2 || status=1
  # The CA, provisioning, line and audit suites again, each case on a database of its own on that
  # server, and several stations sharing one: in the plain build, where the sanitizers do not
  # double the time and the server's part shows.
  # It runs beside the GUI suite, whose programs mostly wait on the window: the two share the
  # build, so neither rebuilds it.
  meson test -C build --no-rebuild --suite integration-server --logbase server --print-errorlogs \
    --num-processes 2 &
  local server_suite=$!
  # Screenshots are retaken only by `./tests/dev.sh screenshots`, never by a test run.
  env -u TAGSMITH_REFRESH_SCREENSHOTS tests/gui/session.sh \
    meson test -C build --no-rebuild --suite data --suite gui --print-errorlogs || status=1
  wait "$server_suite" || status=1

  run_fuzzers || status=1
  # Under valgrind the file ledger suffices: the server cases would double its longest programs.
  unset TAGSMITH_TEST_PG_URI
  run_valgrind || status=1

  tests/count-results.py build-asan/meson-logs/testlog.json build/meson-logs/server.json \
    build/meson-logs/testlog.json \
    build-fuzz/meson-logs/testlog.json build/meson-logs/valgrind-unit-valgrind.json \
    || status=1
  return $status
}

# The GUI suite, retaking the pictures in data/screenshots/ that README.md shows.
refresh_screenshots() {
  configure build -Dgui_tests=true
  TAGSMITH_REFRESH_SCREENSHOTS=1 tests/gui/session.sh meson test -C build --suite gui --print-errorlogs
  optipng -quiet -o2 data/screenshots/*.png
  git status --short -- data/screenshots/ 2>/dev/null || true
}

# Each libFuzzer target replays its seeds and saved regressions, then mutates for
# FUZZ_SECONDS (default 25). Only the fuzz targets are built with clang.
run_fuzzers() {
  [ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Dgui_tests=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
  local targets=()
  for f in tests/fuzz/fuzz-*.c; do
    [ "$f" = tests/fuzz/fuzz-common.c ] || targets+=("tests/fuzz/$(basename "$f" .c)")
  done
  ninja -C build-fuzz "${targets[@]}" &&
    meson test -C build-fuzz --no-rebuild --suite fuzz --print-errorlogs --num-processes 2
}

# The unit suite under valgrind: any definite leak or memory error fails the test (exit 99).
run_valgrind() {
  local status=0 supp="$PWD/tests/valgrind.supp"
  local unit_tests
  mapfile -t unit_tests < <(meson test -C build --list --suite unit 2>/dev/null | sed -n 's|.*unit / ||p')
  # lax-ioctls: valgrind 3.19 does not know some terminal ioctls and warns about each one; these
  # warnings are noise, not errors.
  local vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
  vg+=" --sim-hints=lax-ioctls"
  vg+=" --show-leak-kinds=definite --num-callers=30 --suppressions=$supp"
  # Every unlock runs scrypt with 16 MiB (p=8), which valgrind slows some twentyfold: the time
  # limits stretch. The command line's own leaks are caught by LeakSanitizer in every integration
  # program of the ASan build; under valgrind it would add minutes the CI limit does not have.
  G_SLICE=always-malloc meson test -C build --num-processes 2 --logbase valgrind-unit \
    --timeout-multiplier 4 --wrapper "$vg" --print-errorlogs "${unit_tests[@]}" || status=1
  return $status
}

install_missing
case "${1:-}" in
  run) shift; run_app "$@" ;;
  test) run_tests ;;
  screenshots) refresh_screenshots ;;
  *) echo "Usage: $0 run [VERB...] | test | screenshots" >&2; exit 2 ;;
esac
