# shellcheck shell=bash
# The start-up bench/run and bench/soak share, sourced by both (run from the
# repository's root): a scratch directory, the SMTP sink, kartond with every
# module on a fresh embedded PostgreSQL in it, psql and the clients pointed
# at that, the JSON gateway, and the web form wrk posts to.
#
# Set before bench_start_sink / start_kartond: job_workers (kartond's job
# threads). bench_work sets work, grpc_port and http_port; bench_start_sink
# sets sink_pid and smtp_port; start_kartond uses data (default
# $work/data) and sets kartond_pid; connect sets PG* and token.

# Every process the scripts start has its pid in a variable named here;
# cleanup stops each that is still set (a script that stops one itself
# empties its variable) and removes the scratch directory.
bench_pid_vars="kartond_pid sink_pid"
kartond_pid="" sink_pid=""
cleanup() {
  local name pid
  for name in $bench_pid_vars; do
    pid="${!name:-}"
    [[ -n "$pid" ]] || continue
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [[ -z "${work:-}" ]] || rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }

# A scratch directory for the database and the logs ($1 names it), removed
# at exit, and the ports kartond will listen on.
# shellcheck disable=SC2034 # data and the ports are the caller's
bench_work() {
  work="$(mktemp -d "/tmp/karton-$1.XXXXXX")"
  chmod 755 "$work" # the embedded PostgreSQL runs as the postgres user when we are root
  trap cleanup EXIT
  data="$work/data"
  grpc_port="$(free_port)"
  http_port="$(free_port)"
}

# The SMTP server emails go to: accepts and counts (bench/load/smtp_sink.cpp).
bench_start_sink() {
  build/bin/karton_smtp_sink --count-file "$work/smtp.count" >"$work/smtp.out" 2>&1 &
  # shellcheck disable=SC2034 # cleanup reads it through bench_pid_vars
  sink_pid=$!
  for _ in $(seq 1 50); do
    grep -q "^port=" "$work/smtp.out" && break
    sleep 0.1
  done
  smtp_port="$(sed -n 's/^port=//p' "$work/smtp.out")"
  [[ -n "$smtp_port" ]] || { echo "karton_smtp_sink did not start" >&2; cat "$work/smtp.out" >&2; exit 1; }
}

# The sink's count of accepted messages, read without forking: polling must
# not take the CPU it measures.
sink_count() {
  local line=""
  { read -r line <"$work/smtp.count"; } 2>/dev/null || true
  line="${line#messages=}"
  echo "${line%% *}"
}

# One field of the sink's count line (unique_ids, repeated_ids, ...).
sink_field() {
  local line=""
  { read -r line <"$work/smtp.count"; } 2>/dev/null || true
  line=" $line"
  line="${line#* $1=}"
  [[ "$line" == " "* ]] && { echo 0; return; }
  echo "${line%% *}"
}

# No --modules: kartond loads every module it ships with. Email goes to the
# sink without the per-second limit, so the load measures kartond; web form
# posts all come from 127.0.0.1, so the per-address limit is lifted too.
# IssueInvoice refuses without a seller (tools/run's values). The arguments
# are kartond's extra flags (--modules ...); connect points psql and the
# clients at the running one.
# shellcheck disable=SC2154 # job_workers is the caller's
start_kartond() {
  build/bin/kartond --data-dir "$data" \
    --grpc-listen "127.0.0.1:$grpc_port" --http-listen "127.0.0.1:$http_port" \
    --smtp-url "smtp://127.0.0.1:$smtp_port" --mail-from "Bench <bench@example.com>" \
    --module-option messaging.email_per_second=0 --job-workers "$job_workers" \
    --module-option crm.form_posts_per_minute=0 \
    --module-option "invoicing.seller_name=Karton Fűtésszerviz Kft." \
    --module-option invoicing.seller_tax_number=12345676-2-41 \
    --module-option invoicing.seller_postal_code=1132 \
    --module-option invoicing.seller_city=Budapest \
    --module-option "invoicing.seller_street=Váci út 18." "$@" \
    >"$work/kartond.log" 2>&1 &
  kartond_pid=$!
  for _ in $(seq 1 120); do
    grep -q "kartond ready" "$work/kartond.log" && break
    kill -0 "$kartond_pid" 2>/dev/null || { cat "$work/kartond.log"; exit 1; }
    sleep 0.5
  done
  grep -q "kartond ready" "$work/kartond.log" || { echo "kartond did not start" >&2; exit 1; }
}
stop_kartond() {
  kill -TERM "$kartond_pid" 2>/dev/null || true
  wait "$kartond_pid" 2>/dev/null || true
  kartond_pid=""
}

# kartond turns JIT off on its connections (kernel/src/database.cpp); psql
# and pgbench run the same way, and as the same role (kartond, not the
# superuser).
export PGHOST=127.0.0.1 PGUSER=kartond PGDATABASE=karton PGOPTIONS="-c jit=off"
connect() {
  PGPORT="$(sed -n 4p "$data/postgres/postmaster.pid")"
  PGPASSWORD="$(tr -d '\n' <"$data/postgres.kartond-password")"
  export PGPORT PGPASSWORD
  token="$(cat "$data/admin.token")"
}

# kartond's resident memory in MiB (the embedded PostgreSQL not counted).
rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$kartond_pid/status"; }
seconds_since() { awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - start }'; }
# The value of key $1 in the key=value line $2; empty (and no failure under
# pipefail) when the line lacks it.
field() { { grep -o "$1=[0-9.]*" <<<"$2" || true; } | head -1 | cut -d= -f2; }

# The JSON gateway (docs/api.md) as the admin; stops the run on an error.
api() {
  local out code
  out=$(curl -sS -w '\n%{http_code}' -X POST "http://127.0.0.1:$http_port/api/$1" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "$2") ||
    { echo "bench: $1: curl failed" >&2; exit 1; }
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  [[ "$code" == 200 ]] || { echo "bench: $1 answered $code: $out" >&2; exit 1; }
  echo "$out"
}
json_id() { grep -o '"id":"[0-9]*"' <<<"$1" | head -1 | grep -o '[0-9][0-9]*'; }

# The web form wrk posts to (bench/forms/form.json, slug "bench"): two sales
# users in a team its leads are routed to round-robin. Sets seller_1,
# seller_2, team and form.
bench_web_form() {
  local identity=karton.kernel.v1.IdentityService seller
  seller_1=$(json_id "$(api "$identity/CreateUser" '{"user": {"name": "Bench Anna",
    "email": "anna@bench.example", "roles": ["ROLE_SALES"]}, "requestId": "bench-seller-1"}')")
  seller_2=$(json_id "$(api "$identity/CreateUser" '{"user": {"name": "Bench Péter",
    "email": "peter@bench.example", "roles": ["ROLE_SALES"]}, "requestId": "bench-seller-2"}')")
  team=$(json_id "$(api "$identity/CreateTeam" '{"team": {"name": "Bench sales"},
    "requestId": "bench-team"}')")
  for seller in "$seller_1" "$seller_2"; do
    api "$identity/AddTeamMember" "{\"teamId\": \"$team\", \"userId\": \"$seller\"}" >/dev/null
  done
  form=$(json_id "$(api karton.crm.v1.WebFormService/CreateWebForm \
    "$(sed "s/@TEAM_ID@/$team/" bench/forms/form.json)")")
  [[ -n "$seller_1" && -n "$seller_2" && -n "$team" && -n "$form" ]] ||
    { echo "bench: the web form's users, team or form were not created" >&2; exit 1; }
}
form_leads() { psql -At -c "SELECT count(*) FROM crm.lead WHERE web_form_id = $form"; }
