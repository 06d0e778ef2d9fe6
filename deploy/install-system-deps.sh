#!/usr/bin/env bash
# Debian packages the browser tests, Chinese rendering and offline voice need; installs only what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
# nginx: tests/deploy runs the shipped site (deploy/nginx/hallq.conf) in front of two servers.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} — run: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]} (apt-get)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The package may start nginx on port 80; the tests run their own on free loopback ports, so stop that one.
if [[ " ${need[*]} " == *" nginx "* ]] && [ -e /run/nginx.pid ]; then
  /usr/sbin/nginx -s quit 2>/dev/null || true
fi
