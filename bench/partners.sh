#!/usr/bin/env bash
# The partners module against the raw database doing the same work
# (bench/README.md):
#   1. a CSV of ROWS partners (default 1,000,000): `karton partners import`
#      versus psql's \copy of the same file into a plain table;
#   2. on those partners: GetPartner, the first page of ListPartners and
#      SearchPartners on 3-letter fragments over gRPC, one call at a time,
#      versus pgbench running the equivalent SQL (-M prepared).
# It starts its own kartond with an embedded PostgreSQL in a scratch
# directory and removes both at the end.
#   bench/partners.sh [ROWS] [SAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
samples="${2:-2000}"

KARTON_BUILD_TARGETS="runtime partners_bench" tools/build >/dev/null

work="$(mktemp -d /tmp/karton-bench.XXXXXX)"
chmod 755 "$work"  # the embedded PostgreSQL runs as the postgres user when we are root
kartond_pid=""
cleanup() {
  if [[ -n "$kartond_pid" ]]; then
    kill -TERM "$kartond_pid" 2>/dev/null || true
    wait "$kartond_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
grpc_port="$(free_port)"
http_port="$(free_port)"
build/bin/kartond --data-dir "$work/data" --modules partners \
  --grpc-listen "127.0.0.1:$grpc_port" --http-listen "127.0.0.1:$http_port" \
  >"$work/kartond.log" 2>&1 &
kartond_pid=$!
for _ in $(seq 1 120); do
  grep -q "kartond ready" "$work/kartond.log" && break
  kill -0 "$kartond_pid" 2>/dev/null || { cat "$work/kartond.log"; exit 1; }
  sleep 0.5
done
grep -q "kartond ready" "$work/kartond.log" || { echo "kartond did not start" >&2; exit 1; }

# kartond turns JIT off on its connections (kernel/src/database.cpp); the raw
# side runs the same way.
export PGHOST=127.0.0.1 PGUSER=karton PGDATABASE=karton PGOPTIONS="-c jit=off"
PGPORT="$(sed -n 4p "$work/data/postgres/postmaster.pid")"
PGPASSWORD="$(tr -d '\n' <"$work/data/postgres.password")"
export PGPORT PGPASSWORD
karton=(build/bin/karton --server "127.0.0.1:$grpc_port" --data-dir "$work/data")
token="$(cat "$work/data/admin.token")"

seconds_since() { awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - start }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "== generating $rows partners"
build/bin/partners_bench generate --rows "$rows" --out "$work/partners.csv"
echo "   $(du -h "$work/partners.csv" | cut -f1) of CSV"

echo "== import"
psql -q -c "CREATE TABLE bench_raw (erp text, display_name text, tax_number text, email text,
  phone text, postal_code text, city text, tag text)"
start=$(date +%s.%N)
psql -q -c "\\copy bench_raw FROM '$work/partners.csv' CSV HEADER"
raw_seconds=$(seconds_since "$start")
psql -q -c "DROP TABLE bench_raw"

start=$(date +%s.%N)
"${karton[@]}" partners import "$work/partners.csv" --request-id bench 2>/dev/null | tail -3
grep -o "import [0-9]*: .*" "$work/kartond.log" | sed "s/^/   /"
karton_seconds=$(seconds_since "$start")
imported=$(psql -At -c "SELECT count(*) FROM partners.partner")
[[ "$imported" == "$rows" ]] || { echo "imported $imported partners, not $rows" >&2; exit 1; }
printf '   raw COPY:        %8.1f s  %9.0f rows/s\n' "$raw_seconds" "$(ratio "$rows" "$raw_seconds")"
printf '   karton import:   %8.1f s  %9.0f rows/s  (%sx the raw COPY time)\n' "$karton_seconds" \
  "$(ratio "$rows" "$karton_seconds")" "$(ratio "$karton_seconds" "$raw_seconds")"

echo "== reads on $rows partners ($samples calls each, one at a time)"
psql -q -c "VACUUM ANALYZE partners.partner"
fragments="ARRAY['kov','nag','sza','tot','hor','kis','mol','var','bal','bud','pes','dun','fem',
  'gep','aut','but','bor','pek','szo','inf','log','kft','zrt','ker','gya','ipa','tan','fej',
  'deb','gyo','pec','egr']"
cat >"$work/get.sql" <<'SQL'
\set id random(1, :max_id)
SELECT * FROM partners.partner WHERE id = :id;
SQL
cat >"$work/list.sql" <<'SQL'
SELECT * FROM partners.partner WHERE NOT archived ORDER BY id LIMIT 50;
SQL
cat >"$work/search.sql" <<SQL
\\set n random(1, 32)
SELECT * FROM partners.partner WHERE search_text LIKE '%' || ($fragments)[:n] || '%'
  AND NOT archived ORDER BY kernel.similarity(search_text, ($fragments)[:n]) DESC, id LIMIT 20;
SQL
# p50 p95 p99 in ms of a pgbench transaction log (third column: microseconds).
percentiles() {
  awk '{print $3}' "$@" | sort -n | awk '{v[NR]=$1} END {
    printf "p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f\n", v[int(NR*0.50)]/1000, v[int(NR*0.95)]/1000, v[int(NR*0.99)]/1000 }'
}
declare -A raw
for name in get list search; do
  rm -f "$work/pgbench_$name".*
  (cd "$work" && pgbench -n -M prepared -c 1 -j 1 -t "$samples" -D max_id="$rows" \
    -f "$name.sql" -l --log-prefix="pgbench_$name" >/dev/null 2>&1)
  raw[$name]=$(percentiles "$work/pgbench_$name".*)
done
build/bin/partners_bench reads --server "127.0.0.1:$grpc_port" --token "$token" \
  --max-id "$rows" --samples "$samples" >"$work/reads.txt"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
printf '   %-28s %24s %24s %s\n' "" "karton p50/p95/p99 ms" "raw SQL p50/p95/p99 ms" "p99 ratio"
for pair in get:get_partner list:list_partners_first_page search:search_partners_3_letters; do
  name="${pair%%:*}"
  line=$(grep "^${pair#*:} " "$work/reads.txt")
  printf '   %-28s %8s %7s %7s %8s %7s %7s %6sx\n' "${pair#*:}" \
    "$(field p50_ms "$line")" "$(field p95_ms "$line")" "$(field p99_ms "$line")" \
    "$(field p50_ms "${raw[$name]}")" "$(field p95_ms "${raw[$name]}")" \
    "$(field p99_ms "${raw[$name]}")" "$(ratio "$(field p99_ms "$line")" "$(field p99_ms "${raw[$name]}")")"
done
