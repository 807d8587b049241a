#!/usr/bin/env bash
# End-to-end benchmark: N synthetic Arabic feeds × M items served by a private nginx on
# 127.0.0.1 (with ETag / If-None-Match), then `mirsad run --once --all` cold (empty store) and
# warm (every feed 304), with wall time and peak memory, plus `curl --parallel` as the floor.
#
#   benches/e2e.sh                 # N=500 and N=5000, M=30
#   FEEDS="500" benches/e2e.sh     # only N=500
#   FEEDS=100 CALLGRIND=1 benches/e2e.sh   # also count the cold cycle's instructions (valgrind):
#                                          # stable where wall times are noisy; ~15x slower
set -euo pipefail
cd "$(dirname "$0")/.."

FEEDS=${FEEDS:-"500 5000"}
ITEMS=${ITEMS:-30}
PORT=${PORT:-18080}
WORK=$(mktemp -d /tmp/mirsad-e2e.XXXXXX)
chmod 755 "$WORK"   # nginx workers run as another user
[ -n "${KEEP:-}" ] || trap 'kill "$(cat "$WORK/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for tool in nginx /usr/bin/time curl ${CALLGRIND:+valgrind}; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx time curl ${CALLGRIND:+valgrind} >/dev/null
        break
    fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --locked --quiet
MIRSAD=${CARGO_TARGET_DIR:-$PWD/target}/release/mirsad

cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    types { application/rss+xml xml; }
    charset utf-8;
    client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
    server { listen 127.0.0.1:$PORT; root $WORK/www; etag on; }
}
CONF
mkdir -p "$WORK/www" "$WORK/tmp"
"$NGINX" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log"

# Runs a command, prints "wall_seconds max_rss_mb".
measure() {
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || {
        cat "$WORK/err" >&2
        return 1
    }
    awk '{printf "%.2f %.1f", $1, $2 / 1024}' "$WORK/time"
}

printf '%-8s %-7s %-12s %-10s %-12s %s\n' feeds items phase wall_s max_rss_mb mirsad_summary
for n in $FEEDS; do
    rm -rf "$WORK/www"/* "$WORK/mirsad.db"*
    python3 benches/gen_feeds.py --feeds "$n" --items "$ITEMS" --out "$WORK/www"
    {
        echo "database = \"$WORK/mirsad.db\""
        echo "[fetch]"
        echo "concurrency = 32"
        echo "per_host = 32   # every synthetic feed is on one host"
        for ((i = 0; i < n; i++)); do
            printf '[[feeds]]\nurl = "http://127.0.0.1:%s/feed%s.xml"\n' "$PORT" "$i"
        done
    } > "$WORK/mirsad.toml"
    seq 0 $((n - 1)) | sed "s|.*|url = \"http://127.0.0.1:$PORT/feed&.xml\"\noutput = /dev/null|" > "$WORK/curl.cfg"
    curl_result=$(measure curl --parallel --parallel-max 32 -s -K "$WORK/curl.cfg")
    printf '%-8s %-7s %-12s %-10s %-12s %s\n' "$n" "$ITEMS" curl ${curl_result} "-"
    for phase in cold warm; do
        result=$(measure "$MIRSAD" -q --config "$WORK/mirsad.toml" run --once --all)
        printf '%-8s %-7s %-12s %-10s %-12s %s\n' "$n" "$ITEMS" "$phase" ${result} "$(tail -1 "$WORK/out")"
    done
    if [ -n "${CALLGRIND:-}" ]; then
        rm -f "$WORK/mirsad.db"*
        valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
            "$MIRSAD" -q --config "$WORK/mirsad.toml" run --once --all >/dev/null 2>"$WORK/err"
        instructions=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$WORK/err")
        printf '%-8s %-7s %-12s %s\n' "$n" "$ITEMS" "instructions" \
            "$(awk -v i="$instructions" -v items=$((n * ITEMS)) 'BEGIN {printf "%.2f G in all, %.0f k per item", i / 1e9, i / items / 1e3}')"
    fi
done
