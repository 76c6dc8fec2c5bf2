#!/usr/bin/env bash
# Starts a local govledger chain: builds first (installing what is missing), then runs the
# one-validator development chain in the foreground. Ctrl-C stops it cleanly; its data stays in
# $GOVLEDGER_HOME (default .govledger/dev) for the next start.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release

home="${GOVLEDGER_HOME:-.govledger/dev}"
bin="build/release/cli"
cat <<MSG

govledger dev chain starting; home: $home
  API:        http://127.0.0.1:7001   (status: $bin/govledger status)
  Dept keys:  $home/keys/<department>.pem
  Try:        echo hello > /tmp/doc.txt
              $bin/govledger material issue --key $home/keys/health.pem --type BIRTHMED \\
                --holder 440305202601010011 --file /tmp/doc.txt --field child_name=张小明 \\
                --field birth_date=2026-01-01 --field birth_place=南山区人民医院 --field mother_name=李梅
              $bin/govledger verify /tmp/doc.txt
  Stop:       Ctrl-C

MSG
exec "$bin/govledger-node" --dev --home "$home"
