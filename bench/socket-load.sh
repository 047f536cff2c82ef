#!/usr/bin/env bash
# Socket fan-out (issue 17): starts the packaged jar with its embedded defaults in a fresh directory, with
# websocket.max_clients raised to the sockets asked for and, with --engine, websocket.engine set (hub: one Kafka read
# per process fanned out in memory; per_socket: a thread and a KafkaConsumer per socket, the design it replaced);
# creates the topics bench.fanout.shared and bench.fanout.personal, then runs the load generator
# (src/test/java/.../bench/SocketLoad.java) with the mesh's pid, so its RSS, threads and CPU time are sampled.
# Usage: bench/socket-load.sh [--engine per_socket|hub] [--partitions P] [SocketLoad options, see --help]
#   e.g. bench/socket-load.sh --engine hub --scenario shared --sockets 1000 --shared-rate 100 --seconds 60
# Build first: mvn -B -ntp -DskipTests package. Without --engine the mesh runs its default engine (a mesh older than
# issue 17 has no websocket.engine key and refuses to start with one).
# Environment: MESH_JAVA_OPTS (the mesh's JVM, e.g. -Xmx512m), LOAD_JAVA_OPTS (the load generator's JVM),
# PORT / KAFKA_PORT (default 18090 / 19094; must be free), PARTITIONS (default 6, as the issue's baseline table),
# MESH_CONFIG_EXTRA (more top-level keys for the mesh's config file, e.g. '"kafka":{"request_timeout_ms":60000}'),
# MESH_JAR (default target/event-mesh.jar; e.g. a previous commit's jar, measured with this generator),
# and the mesh's own MESH_* variables (README), e.g. MESH_VERTICLES=bridge,gateway to run only what /ws needs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
engine=""
partitions="${PARTITIONS:-6}"
sockets=1000
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) engine="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --sockets) sockets="$2"; args+=("$1" "$2"); shift 2 ;;
    --help|-h) sed -n '2,15p' "$0"; args=(--help); break ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$engine" in ""|hub|per_socket) ;; *) echo "--engine hub or per_socket" >&2; exit 2 ;; esac

(cd "$root" && mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp)
cp="$root/target/test-classes:$root/target/classes:$(cat "$root/target/bench.cp")"
load() { java ${LOAD_JAVA_OPTS:-} -cp "$cp" com.necpgame.mesh.bench.SocketLoad "$@"; }
if [ "${args[0]:-}" = --help ]; then load --help; exit 0; fi

# Each socket is a file descriptor in the mesh and one in the load generator (both inherit this limit).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((sockets + 2000)) ]; then
  echo "warning: ulimit -n is $(ulimit -n), below the $((sockets + 2000)) file descriptors $sockets sockets need" \
    "(raise the hard limit: /etc/security/limits.conf, or LimitNOFILE in a systemd unit)" >&2
fi

port="${PORT:-18090}"
kafka="${KAFKA_PORT:-19094}"
for p in "$port" "$kafka"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is in use; set PORT / KAFKA_PORT" >&2; exit 2; fi
done
dir=$(mktemp -d)
mkdir -p "$dir/tmp"
engine_key=""
[ -n "$engine" ] && engine_key=',"engine":"'"$engine"'"'
echo '{"websocket":{"max_clients":'$((sockets + 100))"$engine_key}${MESH_CONFIG_EXTRA:+,$MESH_CONFIG_EXTRA}}" \
  >"$dir/mesh.json"

log="$root/target/socket-load-mesh.log"
(cd "$dir" && exec env MESH_HTTP_PORT="$port" MESH_KAFKA_EMBEDDED_PORT="$kafka" java ${MESH_JAVA_OPTS:-} \
  -Djava.io.tmpdir="$dir/tmp" -jar "${MESH_JAR:-$root/target/event-mesh.jar}" --config "$dir/mesh.json" >"$log" 2>&1) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { tail -30 "$log" >&2; exit 1; }
  sleep 0.2
done
for topic in bench.fanout.shared bench.fanout.personal; do
  curl -sf "http://127.0.0.1:$port/topics" -H 'content-type: application/json' \
    -d '{"name":"'$topic'","partitions":'"$partitions"',"replication_factor":1,"enable_dlq":false}' >/dev/null
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); mesh pid $pid, engine '${engine:-default}', $partitions partitions," \
  "opts '${MESH_JAVA_OPTS:-}', jar ${MESH_JAR:-target/event-mesh.jar}, config $(cat "$dir/mesh.json"); mesh log: $log"
load --url "http://127.0.0.1:$port" --mesh-pid "$pid" "${args[@]}"
