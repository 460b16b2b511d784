#!/usr/bin/env bash
# Runs "$@" inside a private desktop session for the GUI tests: a D-Bus session bus, Xvfb,
# the AT-SPI bus, and an unlocked gnome-keyring, all torn down afterwards.
# Usage: tests/gui/session.sh COMMAND...   (it re-executes itself under dbus-run-session)
set -eu

if [ -z "${TS_GUI_SESSION:-}" ]; then
  # Fresh XDG folders before the bus starts, so services it activates (dconf, the keyring)
  # use them too and the tests never see the user's settings, ledger or keyring.
  scratch=$(mktemp -d)
  export TS_GUI_SESSION="$scratch"
  export XDG_RUNTIME_DIR="$scratch/runtime" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config"
  mkdir -p -m 0700 "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
  exec dbus-run-session -- "$0" "$@"
fi

scratch="$TS_GUI_SESSION"
display=":$(( 90 + RANDOM % 400 ))"
# A little wider than the 1280 px screenshots, so that a window that wide fits with its margin.
Xvfb "$display" -screen 0 1300x900x24 -nolisten tcp >"$scratch/xvfb.log" 2>&1 &
xvfb_pid=$!
cleanup() {
  kill "$xvfb_pid" ${atspi_pid:-} 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# Polls CONDITION... every 0.1 s for at most 30 s; fails loudly when it never holds.
wait_until() {
  for _ in $(seq 300); do
    "$@" && return 0
    sleep 0.1
  done
  echo "session.sh: gave up waiting for: $*" >&2
  return 1
}

wait_until test -e "/tmp/.X11-unix/X${display#:}"

export DISPLAY="$display" GDK_BACKEND=x11 NO_AT_BRIDGE=0 GTK_A11Y=atspi
unset WAYLAND_DISPLAY

# dogtail refuses to run unless the desktop says accessibility is on.
gsettings set org.gnome.desktop.interface toolkit-accessibility true 2>/dev/null || true
/usr/libexec/at-spi-bus-launcher --launch-immediately >"$scratch/atspi.log" 2>&1 &
atspi_pid=$!
atspi_on_bus() {
  gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner org.a11y.Bus 2>/dev/null | grep -q true
}
wait_until atspi_on_bus

# An unlocked test keyring, so "Remember in keyring" works without a prompt.
eval "$(echo -n tagsmith-test | gnome-keyring-daemon --replace --unlock --components=secrets 2>/dev/null)" || true
export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true

"$@"
