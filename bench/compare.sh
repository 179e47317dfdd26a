#!/usr/bin/env bash
# Two builds side by side (README, "Benchmark"): the working tree against a git revision,
# both in their default configuration, driven by wrk in interleaved rounds; medians and
# the median per-round ratio (working tree ÷ revision).
#   bench/compare.sh REV [--rounds=5] [--duration=15] [--concurrency=64]
#   bench/compare.sh HEAD --props-b="spring.profiles.active=json;management.tracing.sampling.probability=1.0"
#     (one build in two configurations: --props-a / --props-b add settings to one side)
# Builds REV in a temporary git worktree under target/bench/compare-base. Results:
# target/bench/compare.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: bench/compare.sh REV [--rounds=N] [--duration=S] [--concurrency=C]}"
shift

if ! command -v wrk >/dev/null; then
  echo "Installing wrk (Debian package) ..."
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q wrk; else sudo apt-get install -y -q wrk; fi
fi

base=target/bench/compare-base
rm -rf "$base"
git worktree prune
git worktree add --detach "$base" "$rev" >/dev/null
trap 'git worktree remove --force "$base" >/dev/null 2>&1 || true' EXIT
(cd "$base" && ./mvnw -B -q -ntp -DskipTests package)
./mvnw -B -q -ntp -DskipTests package
mkdir -p target/bench
cp "$base/target/eino-serving.jar" target/bench/compare-base.jar
./mvnw -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/classpath.txt
java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
  io.eino.serving.bench.SideBySide --a=target/bench/compare-base.jar --name-a="$rev" \
  --b=target/eino-serving.jar --name-b=working-tree "$@"
