#!/usr/bin/env bash
# Tagsmith's one entry point for a fresh Debian 12 machine.
#   ./tests/dev.sh run    install what is missing, build, and start the app
#   ./tests/dev.sh test   install what is missing, build, and run every test suite
# Unit and integration suites run in an AddressSanitizer + UBSan build; the GUI suite runs
# the normal build under Xvfb with its own D-Bus session (tests/gui/session.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev libssl-dev libserialport-dev
  libsqlite3-dev libsecret-1-dev libjson-glib-dev
  desktop-file-utils appstream-util
  openssl sqlite3 gnutls-bin libmbedtls-dev valgrind clang libclang-rt-14-dev gdb
  xvfb xauth dbus dbus-x11 at-spi2-core python3-dogtail imagemagick gnome-keyring libsecret-tools
)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "Installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
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
  configure build
  # Run from the build tree: the compiled settings schema lives in build/data.
  GSETTINGS_SCHEMA_DIR="$PWD/build/data" exec ./build/src/tagsmith "$@"
}

run_tests() {
  configure build -Dgui_tests=true
  configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dgui_tests=false

  local status=0
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:fast_unwind_on_malloc=0"
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  meson test -C build-asan --suite unit --suite integration --print-errorlogs --num-processes 2 || status=1
  TAGSMITH_REFRESH_SCREENSHOTS=1 tests/gui/session.sh \
    meson test -C build --suite data --suite gui --print-errorlogs || status=1

  run_fuzzers || status=1
  run_valgrind || status=1

  tests/count-results.py build-asan/meson-logs/testlog.json build/meson-logs/testlog.json \
    build-fuzz/meson-logs/testlog.json build/meson-logs/valgrind-unit-valgrind.json \
    build/meson-logs/valgrind-cli.json || status=1
  return $status
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

# The unit suite, and the CLI in a representative set of integration tests, under valgrind:
# any definite leak or memory error fails the test (exit 99); details in build/valgrind-logs.
run_valgrind() {
  local status=0 supp="$PWD/tests/valgrind.supp" logs="$PWD/build/valgrind-logs"
  local unit_tests
  mapfile -t unit_tests < <(meson test -C build --list --suite unit 2>/dev/null | sed -n 's|.*unit / ||p')
  rm -rf "$logs" && mkdir -p "$logs"
  local vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
  vg+=" --show-leak-kinds=definite --num-callers=30 --suppressions=$supp"
  G_SLICE=always-malloc meson test -C build --num-processes 2 --logbase valgrind-unit \
    --wrapper "$vg" --print-errorlogs "${unit_tests[@]}" || status=1
  TAGSMITH_WRAPPER="$vg --log-file=$logs/%p.log" G_SLICE=always-malloc \
    meson test -C build --num-processes 2 --logbase valgrind-cli --print-errorlogs \
    test_ledger test_ca_import test_modem || status=1
  find "$logs" -type f -size +0 -exec cat {} +
  return $status
}

install_missing
case "${1:-}" in
  run) shift; run_app "$@" ;;
  test) run_tests ;;
  *) echo "Usage: $0 run|test" >&2; exit 2 ;;
esac
