#!/usr/bin/env bash
# Cold start of the packaged jar to a 200 from /ready, with embedded Kafka and PostgreSQL.
# "cold": a new working directory and temp directory (PostgreSQL binaries are unpacked, Kafka storage is formatted,
# initdb runs); "warm": the same directories again (data reused). Usage: bench/cold-start.sh [runs]   (build first: mvn -B -ntp -DskipTests package)
set -euo pipefail
jar="$(cd "$(dirname "$0")/.." && pwd)/target/event-mesh.jar"
runs="${1:-3}"
port="${MESH_HTTP_PORT:-8080}"

measure() { # $1 = working directory
  local start pid ms
  start=$(date +%s%N)
  mkdir -p "$1/tmp"
  (cd "$1" && exec java -Djava.io.tmpdir="$1/tmp" -jar "$jar" >"$1/mesh.log" 2>&1) &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "mesh exited; see $1/mesh.log" >&2; exit 1; }
    sleep 0.05
  done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kill -TERM "$pid"
  wait "$pid" || true
  echo "$ms"
}

for i in $(seq 1 "$runs"); do
  dir=$(mktemp -d)
  cold=$(measure "$dir")
  warm=$(measure "$dir")
  echo "run $i: cold ${cold} ms, warm ${warm} ms"
  rm -rf "$dir"
done
