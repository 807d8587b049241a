#!/usr/bin/env bash
# Web face latency: p50/p99 of the home page, an Arabic search, an item page and their JSON API
# twins, served by `mirsad serve` (release build) from a synthetic store of the `store` bench.
#
#   benches/web.sh                          # 100,000 items
#   ITEMS=1000000 benches/web.sh            # the issue's scale (building the store takes minutes)
#   DB=/tmp/web-bench.db ITEMS=1000000 benches/web.sh   # keep and reuse the store
#
# Requests go one at a time from a Python client on 127.0.0.1 (REQUESTS per route, after a
# warm-up), so the figures are the server's latency, not queueing behind other requests.
set -euo pipefail
cd "$(dirname "$0")/.."

ITEMS=${ITEMS:-100000}
REQUESTS=${REQUESTS:-200}
PORT=${PORT:-18081}
WORK=$(mktemp -d /tmp/mirsad-web.XXXXXX)
DB=${DB:-$WORK/bench.db}
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# The store bench builds (or reuses) the synthetic store; its search-only mode skips retag.
MIRSAD_BENCH_DB=$DB MIRSAD_BENCH_ITEMS=$ITEMS MIRSAD_BENCH_SEARCH_ONLY=1 \
    cargo bench --locked --bench store --quiet
cargo build --release --locked --quiet
MIRSAD=${CARGO_TARGET_DIR:-$PWD/target}/release/mirsad

"$MIRSAD" --db "$DB" serve --listen "127.0.0.1:$PORT" 2> "$WORK/serve.log" &
SERVER=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

python3 - "$PORT" "$REQUESTS" <<'EOF'
import json, sys, time, urllib.parse, urllib.request

port, n = sys.argv[1], int(sys.argv[2])
base = f"http://127.0.0.1:{port}"

def get(path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return r.read()

item = json.loads(get("/api/v1/items?limit=1"))["items"][0]["id"]
query = urllib.parse.quote("مراكز البيانات")
routes = {
    "home": "/",
    "search": f"/search?q={query}",
    "item": f"/item/{item}",
    "api items": "/api/v1/items?limit=50",
    "api search": f"/api/v1/search?q={query}",
    "api item": f"/api/v1/items/{item}",
}
print(f"{'route':<12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for name, path in routes.items():
    for _ in range(5):
        get(path)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        get(path)
        times.append((time.perf_counter() - started) * 1e3)
    times.sort()
    pick = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"{name:<12} {pick(0.5):8.1f} {pick(0.99):8.1f} {times[-1]:8.1f}")
EOF
ps -o rss= -p "$SERVER" | awk '{printf "server RSS after the run: %.0f MB\n", $1 / 1024}'
