# Shared by scripts/run and scripts/test: what Earshot needs from Debian 12,
# and how to get it. Sourced, not run.

# Building and running the programs.
EARSHOT_BUILD_PACKAGES=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libjson-glib-dev libgnutls28-dev
  libngtcp2-dev libngtcp2-crypto-gnutls-dev libsodium-dev
  libopus-dev libnice-dev libsoup-3.0-dev
  # Port mapping: UPnP IGD (gupnp-igd) and GUPnP's control point for netcheck.
  libgupnp-igd-1.0-dev libgupnp-1.6-dev libgssdp-1.6-dev
  # The desktop app (src/app, data/, po/).
  libsqlite3-dev libgtk-4-dev libadwaita-1-dev libportal-dev libportal-gtk4-dev libqrencode-dev
  gettext
  # Live audio: PipeWire streams (the client's modules, and its
  # client-rt.conf, which pipewire-bin ships), and webrtc-audio-processing's
  # echo canceller, which is C++ (src/engine/es-echo-canceller.cc).
  g++ libpipewire-0.3-dev libpipewire-0.3-modules pipewire-bin libwebrtc-audio-processing-dev
)

# Running every test suite: third-party peers for interop, the fuzzing
# toolchain, and the tools the tests measure with.
EARSHOT_TEST_PACKAGES=(
  clang libclang-rt-14-dev
  ngtcp2-client ngtcp2-server coturn
  openssl xxd python3 python3-numpy espeak-ng sox
  # The netns suite's NAT lab (tests/netns/lab.py): namespaces, nftables NAT,
  # miniupnpd on the routers and its reference clients.
  iproute2 nftables conntrack miniupnpd miniupnpc natpmpc
  # The gui suite (its private PipeWire is the audio suite's, below): a display,
  # the accessibility tree, screenshots, the data validators and the offline
  # Flatpak manifest check.
  xvfb dbus at-spi2-core python3-gi gir1.2-atspi-2.0 imagemagick
  desktop-file-utils appstream flatpak-builder
  # The audio suite's private PipeWire (tests/audio/pipewire_session.py;
  # pw-play, pw-record, pw-link, pw-cli come with pipewire-bin, above).
  pipewire wireplumber dbus-daemon
)

earshot_missing_packages() {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      printf '%s\n' "$pkg"
    fi
  done
}

# Installs what is missing when root; otherwise prints the exact command and
# fails, because a build that silently lacks a library helps nobody.
earshot_install_packages() {
  local missing
  mapfile -t missing < <(earshot_missing_packages "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    echo "Earshot needs these Debian packages; install them as root with:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${#missing[@]} missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# meson setup that works on a fresh directory and on an existing one.
earshot_meson_setup() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}
