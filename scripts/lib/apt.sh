# shellcheck shell=bash
# apt_install_missing BIN=PACKAGE…: installs the Debian packages whose binary is on neither PATH nor
# /usr/sbin, as root, without starting the packages' own services (the tests and the local stack run
# their own instances on loopback). Fails naming the packages when not root. Sourced after
# ./common.sh (it logs with say).
apt_install_missing() {
  local pair bin missing=()
  for pair in "$@"; do
    bin="${pair%%=*}"
    command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("${pair#*=}")
  done
  ((${#missing[@]} > 0)) || return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})" >&2
    return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  local created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
}
