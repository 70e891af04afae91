# Shared by tools/start-kiosk and tools/run-tests: make sure Debian packages are there.
# Installs what is missing with apt-get (as root, or through sudo); otherwise prints the
# exact command to run and stops.

# Building: a C compiler, pkg-config, libclang (bindgen for the V4L2 bindings), fontconfig,
# libheif (HEIC photos in `check` and `produce`; it brings the libde265 decoder).
BUILD_PACKAGES="build-essential pkg-config libclang-dev libfontconfig1-dev libheif-dev"
# Running the window on X11 (winit loads these at run time).
RUN_PACKAGES="libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1"
# Tests: a virtual display, real input events, screenshots; headless Chromium (and a CJK
# font for it) for the /review page; systemd-analyze for the units in systemd/.
TEST_PACKAGES="xvfb xdotool imagemagick chromium fonts-wqy-microhei systemd"

need_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "capture-kiosk needs these Debian packages: ${missing[*]}"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  if [ "$(id -u)" -eq 0 ]; then
    "${apt[@]}" update -qq && "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo "${apt[@]}" update -qq && sudo "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "Install them, then run this again:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
}

need_cargo() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs), then run this again"; exit 1; }
}
