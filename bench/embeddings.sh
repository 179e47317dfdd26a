#!/usr/bin/env bash
# The embeddings scenario (docs/benchmark.md, "Embeddings"): the service as shipped over HTTP,
# POST /v1/embeddings at 64 connections, against LangChain4j's in-process all-MiniLM-L6-v2 models
# (fp32 and int8), on bench/corpus.txt and bench/short-corpus.txt, interleaved rounds.
#   bench/embeddings.sh                              # 3 rounds, 20 s a point
#   bench/embeddings.sh --rounds=2 --duration=15
# Results: target/bench/embeddings/embeddings.md; the services' logs beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/build.sh
java -Xmx4g -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
  io.eino.serving.bench.EmbeddingsBenchmark "$@"
