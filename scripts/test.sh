#!/usr/bin/env bash
# Set up and run the whole test suite: installs the Debian packages the tests start for
# real (redis-server, redis-sentinel, kannel, kannel-extras, rabbitmq-server, chromium, chromium-driver,
# dovecot-imapd, nginx) when missing, then the Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)   # the Sentinel fault test
[ -x /usr/sbin/bearerbox ] && [ -x /usr/sbin/smsbox ] || missing+=(kannel)
[ -x /usr/lib/kannel/test/fakesmsc ] || missing+=(kannel-extras)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)               # browser tests (tests/browser/fixtures.py)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ -x /usr/sbin/nginx ] || missing+=(nginx)                   # deploy/nginx: nginx -t, nginx in front of gunicorn
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)   # the e-mail door's IMAP tests
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
scripts/setup.sh test
# one pytest worker per core (pytest-xdist), a test module's tests together in one worker
exec .venv/bin/python -m pytest -n auto --dist loadfile "$@"
