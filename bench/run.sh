#!/usr/bin/env bash
# The benchmark: one command, one run, one machine (docs/benchmark.md).
#   bench/run.sh                      # 3 interleaved rounds, 20 s per point at 32, 64 and 128 clients
#   bench/run.sh --rounds=5 --duration=30 --soak=100000
# Installs wrk from Debian's packages when missing, builds the service jar, then runs
# io.eino.serving.bench.Benchmark (src/test/java), which measures the matmul peaks, then in
# each round starts each configuration of the service on loopback (default: tuned, off),
# warms each start for --warmup seconds (60), drives it with wrk, and runs the in-process
# baselines (ONNX Runtime, LangChain4j) on the same texts.
# Results: target/bench/results.{json,md}, benchmark.png and op-time.png.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/build.sh
java -Xmx4g -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
  io.eino.serving.bench.Benchmark "$@"
