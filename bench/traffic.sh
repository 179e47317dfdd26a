#!/usr/bin/env bash
# The traffic runs (docs/traffic.md): overload, fairness, priorities, connection limits,
# disconnects and shutdown, against the packaged service in its default configuration.
#   bench/traffic.sh                     # 5 rounds of 15 s per scenario, then the connection runs
#   bench/traffic.sh --rounds=5 --duration=20 --no-connections
#   bench/traffic.sh --profile ...      # also a CPU profile of a flood: target/bench/flood-profile.collapsed
#   bench/traffic.sh --rounds=0          # only the connection and shutdown runs
#   bench/traffic.sh --nice              # the driver yields the cores (nice 19); default priority otherwise
#   bench/traffic.sh --shutdown-runs=N   # SIGTERM runs, each after the first on a fresh start (5)
# Loopback only; bounded in time (about 22 minutes with the defaults). Results:
# target/bench/traffic.md and traffic.json; service logs beside them.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q -ntp -DskipTests package
./mvnw -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/classpath.txt
java -Xmx3g -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
  io.eino.serving.bench.TrafficLoad "$@"
