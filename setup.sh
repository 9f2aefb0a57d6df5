#!/usr/bin/env bash
# Set up a fresh machine: system packages (Debian/Ubuntu, when run as root or with sudo) and a
# virtual environment in .venv with the project and its test tools.
#   bash setup.sh          # then: .venv/bin/python run.py demo
#   bash setup.sh --test   # also what the test suite needs (Dovecot for the IMAP tests)
set -euo pipefail
cd "$(dirname "$0")"

packages=(antiword catdoc fonts-wqy-microhei)
# the test suite: Dovecot for IMAP, mail clients that compose tests/clientmail.py, Chromium + its driver for
# the console's browser tests, poppler-utils (pdftotext, pdftoppm) to read the report LibreOffice made
if [[ "${1:-}" == "--test" ]]; then packages+=(dovecot-imapd mutt s-nail swaks chromium chromium-driver poppler-utils); fi
# the accuracy corpus (samples extended=True) makes .xls/.et/.ods test files with LibreOffice Calc
if [[ "${1:-}" == "--test" && "${WITH_LIBREOFFICE:-1}" == "1" ]]; then packages+=(libreoffice-calc-nogui); fi
# LibreOffice converts legacy .doc/.wps with their tables; large, so opt-in outside CI
if [[ "${WITH_LIBREOFFICE:-1}" == "1" ]]; then packages+=(libreoffice-writer-nogui); fi

missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if (( ${#missing[@]} )) && command -v apt-get >/dev/null; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [[ "${1:-}" == "--test" ]]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
echo "ready: .venv/bin/python run.py --help"
