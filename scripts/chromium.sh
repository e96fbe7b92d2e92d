#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed (/usr/bin/chromium), for the explorer's browser
# tests.
set -euo pipefail
if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing Chromium (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi
