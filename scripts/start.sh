#!/usr/bin/env bash
# Starts the local 4-department network (network-configs/local-4) on loopback: builds first
# (installing what is missing), creates the homes on first start, then runs four govledger-node
# processes. Ctrl-C stops all four cleanly; data stays in $GOVLEDGER_NET (default
# .govledger/local-4) for the next start. `scripts/start.sh --dev` runs the one-validator dev
# chain instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
bin="$PWD/build/release/cli"

if [ "${1:-}" = "--dev" ]; then
  home="${GOVLEDGER_HOME:-.govledger/dev}"
  echo "govledger: dev chain in $home; API http://127.0.0.1:7001; Ctrl-C stops it"
  exec "$bin/govledger-node" --dev --home "$home"
fi

net="${GOVLEDGER_NET:-.govledger/local-4}"
if [ ! -f "$net/node0/genesis.json" ]; then
  "$bin/govledger" network init --config network-configs/local-4/network.toml --out "$net"
fi

pids=()
stop() {
  trap - INT TERM
  echo
  echo "govledger: stopping ${#pids[@]} nodes..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "govledger: all nodes stopped; data kept in $net"
  exit 0
}
trap stop INT TERM

for i in 0 1 2 3; do
  "$bin/govledger-node" --home "$net/node$i" >"$net/node$i.log" 2>&1 &
  pids+=($!)
done

# Wait until every node answers.
for i in 0 1 2 3; do
  for _ in $(seq 1 100); do
    [ -f "$net/node$i/api.addr" ] && "$bin/govledger" --node "http://$(cat "$net/node$i/api.addr")" status >/dev/null 2>&1 && break
    sleep 0.1
  done
done

cat <<MSG

govledger local-4 network is running (4 department validators, BFT: tolerates 1 faulty node)
  node0 (民政 civil affairs)       http://$(cat "$net/node0/api.addr")   log: $net/node0.log
  node1 (教育 education)           http://$(cat "$net/node1/api.addr")   log: $net/node1.log
  node2 (水务 water)               http://$(cat "$net/node2/api.addr")   log: $net/node2.log
  node3 (市场监管 market reg.)     http://$(cat "$net/node3/api.addr")   log: $net/node3.log
  Department keys: $net/keys/<department>.pem

Next steps (in another terminal):
  $bin/govledger status
  echo "营业执照 统一社会信用代码 91440300MA5XXXXX" > /tmp/license.pdf
  $bin/govledger material issue --key $net/keys/samr.pem --type BIZLIC --holder 91440300MA5G8XXXX1 \\
      --file /tmp/license.pdf --valid-until 2036-12-31 --field entity_name=深圳市南山区示例餐饮有限公司 \\
      --field legal_representative=王芳 --field business_scope=餐饮服务 --field address=南山区科技园
  $bin/govledger --node http://127.0.0.1:7003 verify /tmp/license.pdf     # any node answers
  Ctrl-C here stops all four nodes.
MSG

wait
