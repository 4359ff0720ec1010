#!/usr/bin/env bash
# Installs what `make run` and `make test` need and is missing: Debian packages with apt-get,
# uv with pip, the Python packages with uv (from the lock file). Safe to run again: it only
# installs what is missing. Where it cannot install (not root, not Debian), it stops and prints
# the exact commands to run.
set -euo pipefail
cd "$(dirname "$0")/.."

# pyscard has no Linux wheel: it is built from source (gcc, swig, libpcsclite-dev, python3-dev).
SYSTEM_PACKAGES=(
  pcscd vsmartcard-vpcd swig libpcsclite-dev pkg-config gcc python3-dev
  fonts-ipaexfont fonts-ipamj-mincho fonts-noto-cjk fonts-wqy-microhei poppler-utils
  chromium chromium-driver
  python3 python3-pip python3-venv
  curl ca-certificates tzdata
)

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

missing_packages() {
  local pkg
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

install_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "This is not a Debian-based system. Install the equivalents of:"
    say "  ${SYSTEM_PACKAGES[*]}"
    say "and uv (https://docs.astral.sh/uv/), then run 'uv sync' and try again."
    exit 1
  fi
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "Missing system packages: $missing"
    say "Run as root, then try again:"
    say "  sudo apt-get update && sudo apt-get install -y $missing"
    exit 1
  fi
  say "Installing system packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086 - word splitting of the package list is intended
  apt-get install -y -qq --no-install-recommends $missing
}

ensure_uv() {
  if command -v uv >/dev/null 2>&1; then UV=$(command -v uv); return; fi
  for candidate in "$HOME/.local/bin/uv" /usr/local/bin/uv; do
    if [ -x "$candidate" ]; then UV=$candidate; return; fi
  done
  say "Installing uv with pip"
  python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages uv
  UV=$(command -v uv || echo "$HOME/.local/bin/uv")
}

# vpcd's virtual readers listen on 35963-35964, inside Linux's ephemeral port range: an outgoing
# connection given one of them as its local port keeps pcscd from offering the readers (a CI run
# failed so). Take them out of that range where this may (root, a writable /proc/sys); the
# setting lasts until reboot and touches nothing else.
reserve_vpcd_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports current
  [ "$(id -u)" -eq 0 ] && [ -w "$file" ] || return 0
  current=$(cat "$file")
  case ",$current," in *",35963-35964,"*) return 0 ;; esac
  if echo "${current:+$current,}35963-35964" > "$file" 2>/dev/null; then
    say "Reserved ports 35963-35964 for vpcd (net.ipv4.ip_local_reserved_ports)"
  fi
}

install_system_packages
reserve_vpcd_ports
ensure_uv
say "Python packages (uv sync --frozen)"
"$UV" sync --frozen --quiet
# npm ci again whenever the lock file changed since the last install (a package was added).
npm_stale() {
  [ -f kiosk/package-lock.json ] || return 1
  ! cmp -s kiosk/package-lock.json kiosk/node_modules/.madoguchi-installed-lock.json
}
if [ -f kiosk/package.json ] && npm_stale; then
  if command -v npm >/dev/null 2>&1; then
    say "Screen assets (npm ci)"
    (cd kiosk && npm ci --no-audit --no-fund --silent)
  elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    # Only when no npm at all: a Node.js installed some other way is left alone.
    say "Installing npm (Debian package) for the screen assets"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
    (cd kiosk && npm ci --no-audit --no-fund --silent)
  else
    say "npm is missing. Run as root, then try again:"
    say "  sudo apt-get update && sudo apt-get install -y npm"
    exit 1
  fi
  cp kiosk/package-lock.json kiosk/node_modules/.madoguchi-installed-lock.json
fi
if [ -f kiosk/package.json ]; then
  (cd kiosk && npm run --silent build)
fi
say "ready"
