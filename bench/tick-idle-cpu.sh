#!/bin/bash
# CPU seconds a mesh process uses over 60 s idle, with only the tick verticle vs with no verticle at all
set -e
JAR=$(cd "$(dirname "$0")/.." && pwd)/target/event-mesh.jar
for mode in none tick; do
  d=$(mktemp -d); cd $d
  if [ $mode = tick ]; then v='"tick":{"enabled":true}'; else v='"tick":{"enabled":false}'; fi
  cat > c.json <<J
{"http":{"port":18090},"kafka":{"embedded":{"port":19092}},"world":{"clock":{"time_scale":1}},
 "verticles":{"bridge":{"enabled":false},"store":{"enabled":false},"delivery":{"enabled":false},"replay":{"enabled":false},
 "market":{"enabled":false},"diplomacy":{"enabled":false},"crowd":{"enabled":false},"gateway":{"enabled":true,"instances":1},$v}}
J
  java -Xmx256m -jar $JAR -conf c.json > mesh.log 2>&1 &
  pid=$!
  for i in $(seq 60); do curl -sf localhost:18090/ready >/dev/null && break; sleep 1; done
  sleep 20
  t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  sleep 60
  t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  echo "$mode: $(( t1 - t0 )) ticks of $(getconf CLK_TCK)/s CPU in 60 s; leader: $(curl -s localhost:18090/metrics | grep '^event_bus_tick_leader ' || echo n/a)"
  kill $pid; wait $pid || true
  cd /; rm -rf $d
done
