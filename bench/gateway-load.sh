#!/usr/bin/env bash
# Gateway load: starts the packaged jar with its embedded defaults in a fresh directory, creates the 12-partition topics
# bench.load and game.bench.load, then drives the mesh with the load generator
# (src/test/java/.../bench/GatewayLoad.java) in turn:
# the raw kafka-clients producer against the mesh's own broker, HTTP batch flat out, WebSocket publish flat out, and
# end to end (HTTP publish at 20,000 events/s -> WebSocket subscriber), on the topic bench.load, which the event store
# does not index; then HTTP batch again on game.bench.load, which it does (the store's consumer and PostgreSQL share
# the two cores). The mesh's RSS is sampled throughout.
# Usage: bench/gateway-load.sh [seconds per mode, default 60]   (build first: mvn -B -ntp -DskipTests package)
# MESH_JAVA_OPTS are passed to the mesh's JVM; MODES limits the modes run (default "raw http ws e2e http-store");
# http-keys is HTTP batch with an idempotency_key on every event (issue 18): MODES="http http-keys" measures batch
# publish with and without keys on the same mesh, one after the other.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
port=18080
kafka=19092
dir=$(mktemp -d)

(cd "$root" && mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp)
cp="$root/target/test-classes:$root/target/classes:$(cat "$root/target/bench.cp")"

log="$root/target/bench-mesh.log"
(cd "$dir" && exec env MESH_HTTP_PORT=$port MESH_KAFKA_EMBEDDED_PORT=$kafka java ${MESH_JAVA_OPTS:-} \
  -jar "$root/target/event-mesh.jar" >"$log" 2>&1) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
for topic in bench.load game.bench.load; do
  curl -sf "http://127.0.0.1:$port/topics" -H 'content-type: application/json' \
    -d '{"name":"'$topic'","partitions":12,"replication_factor":1,"enable_dlq":false}' >/dev/null
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1); mesh pid $pid, opts '${MESH_JAVA_OPTS:-}'"

load() {
  java -cp "$cp" com.necpgame.mesh.bench.GatewayLoad --url "http://127.0.0.1:$port" --mesh-pid "$pid" \
    --seconds "$seconds" --warmup 10 --topic bench.load "$@"
}
echo "mesh log: $log"
for mode in ${MODES:-raw http ws e2e http-store}; do
  case "$mode" in
    raw) load --mode raw --bootstrap "127.0.0.1:$kafka" ;;
    http) load --mode http --batch 500 --connections 4 ;;
    http-keys) load --mode http --batch 500 --connections 4 --keys on ;;
    ws) load --mode ws --batch 500 --connections 2 --window 4 ;;
    e2e) load --mode e2e --rate 20000 --batch 100 --connections 4 ;;
    http-store) load --mode http --batch 500 --connections 4 --topic game.bench.load ;;
  esac
done
