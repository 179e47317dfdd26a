#!/usr/bin/env bash
# The encoder rewrites for SavedModels users bring, measured on a MiniLM-sized encoder in the
# op forms Keras writes (docs/engine.md, "Encoder rewrites for SavedModels you bring").
#   bench/keras-encoder.sh            # exports to target/keras-encoder once, then measures
# Prints the rewrites taken, each graph's largest difference from the graph as saved, and
# 7 interleaved rounds: no graph optimisation, Grappler alone, encoder rewrites + Grappler,
# and that in bf16.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q -ntp -DskipTests test-compile
mkdir -p target/bench
./mvnw -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/classpath.txt
java -Xmx4g -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
  io.eino.serving.graph.KerasEncoderBenchmark "$@"
