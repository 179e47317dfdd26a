# Sourced by bench/run.sh and bench/embeddings.sh: installs wrk from Debian's packages when
# missing, builds the service jar, and writes the test classpath the benchmarks run on to
# target/bench/classpath.txt.
if ! command -v wrk >/dev/null; then
  echo "Installing wrk (Debian package) ..."
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q wrk; else sudo apt-get install -y -q wrk; fi
fi

./mvnw -B -q -ntp -DskipTests package
./mvnw -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/classpath.txt
