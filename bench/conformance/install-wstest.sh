#!/bin/sh
# Installs Autobahn|Testsuite's wstest into .wstest/ with pyenv's Python 2.7 (wstest runs on 2.7 only).
# Its requirements are pinned here as the package lists them; --ignore-installed keeps pip from
# uninstalling the interpreter's own packages (setuptools) while it puts newer ones into .wstest/.
set -eu
cd "$(dirname "$0")/../.."
PYTHON27="${PYTHON27:-$(pyenv prefix 2.7 2>/dev/null || pyenv prefix 2.7.18 2>/dev/null || true)/bin/python}"
if [ ! -x "$PYTHON27" ]; then
  echo "No Python 2.7 here (looked for pyenv's 2.7; or set PYTHON27=/path/to/python2.7)." >&2
  echo "wstest cannot run without it; the conformance run is a tool, not part of make test." >&2
  exit 1
fi
HOME_DIR="${WSTEST_HOME:-.wstest}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd)"
"$PYTHON27" -m pip install --quiet --no-warn-script-location --ignore-installed --prefix "$HOME_DIR" \
  autobahntestsuite==25.10.1 \
  txaio==2.1.0 incremental==16.10.1 pyOpenSSL==19.1.0 cryptography==3.3.2 Twisted==19.10.0 \
  zope.interface==4.6.0 jinja2==2.11.3 markupsafe==1.1.1 Werkzeug==1.0.1 klein==17.10.0 \
  service_identity==18.1.0 unittest2==1.1.0 six==1.16.0 'autobahn[accelerate,twisted]==0.10.9'
ln -sf "$PYTHON27" "$HOME_DIR/python"
PYTHONUSERBASE="$HOME_DIR" "$HOME_DIR/python" "$HOME_DIR/bin/wstest" --autobahnversion
