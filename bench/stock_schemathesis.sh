#!/usr/bin/env bash
# The stock schemathesis CLI, all checks and all phases, against the mock at a larger budget than CI's.
# Usage: bench/stock_schemathesis.sh [MAX_EXAMPLES]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
port=$($bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$bin/groupkit mock --port "$port" --seed 1 > /dev/null &
mock=$!
trap 'kill $mock' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/__mock__/health" > /dev/null && break; sleep 0.2; done
time $bin/schemathesis run openapi.yaml --url "http://127.0.0.1:$port" -H "Authorization: demo-token-alice" \
    --checks all --phases examples,coverage,fuzzing,stateful --max-examples "${1:-200}"
