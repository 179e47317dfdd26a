# syntax=docker/dockerfile:1
# The eino-serving image (docs/deployment.md, "Container image").
#   docker build -t eino-serving .                       # CPU (default)
#   docker build --build-arg VARIANT=gpu -t eino-serving:gpu .   # CUDA 12 (untested here)
# Built and smoke-tested by .github/workflows/ci.yml; the machines this project is developed
# on have no Docker engine, where DockerfileTest checks this file against the build instead.

ARG VARIANT=cpu

# --- build: the jar, its layers, the default model and the extracted native libraries ---
FROM eclipse-temurin:17-jdk-noble AS build
ARG VARIANT
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY src/ src/
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -DskipTests $([ "$VARIANT" = gpu ] && echo -Pgpu) package
# Spring Boot's layered jar: dependencies, loader, snapshot dependencies, application; and the
# same files assembled as the runtime stage lays them out in /app.
RUN java -Djarmode=tools -jar target/eino-serving.jar extract --layers --destination /layers \
    && mkdir /app \
    && cp -a /layers/dependencies/. /layers/spring-boot-loader/. /layers/snapshot-dependencies/. \
        /layers/application/. /app/
# The default model, prepared now so that a pod never imports at start. Preparing it loads
# TensorFlow, whose native libraries JavaCPP extracts into /javacpp, keyed by the jars' paths:
# run from /app, as the runtime runs, so that the runtime finds them there and writes nothing.
RUN java -Dorg.bytedeco.javacpp.cachedir=/javacpp -jar /app/eino-serving.jar \
        prepare-models --repository /models

# --- runtime bases ---
FROM eclipse-temurin:17-jre-noble AS runtime-cpu

FROM nvidia/cuda:12.5.1-cudnn-runtime-ubuntu24.04 AS runtime-gpu
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:$PATH
COPY --from=eclipse-temurin:17-jre-noble /opt/java/openjdk /opt/java/openjdk

# --- runtime ---
FROM runtime-${VARIANT}
ARG VARIANT
ARG VERSION=0.1.0-SNAPSHOT
ARG REVISION=unknown
LABEL org.opencontainers.image.title="eino-serving" \
      org.opencontainers.image.description="TensorFlow model serving for the JVM (Spring Boot WebFlux)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/eino-serving/eino-serving" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.eino.variant="${VARIANT}"
WORKDIR /app
# Least-changing layers first, so that a code change rebuilds only the last one.
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /javacpp/ /opt/javacpp/
COPY --from=build /models/ /models/
COPY --from=build /layers/application/ ./
# Runs as a numeric non-root user with a read-only root filesystem: only /tmp and the
# decrypted-model workspace are written (both volumes in the Helm chart).
USER 10001:10001
ENV EINO_REPOSITORY_PATH=/models \
    EINO_ENCRYPTION_PLAINTEXT_DIRECTORY=/var/run/eino/plaintext \
    SPRING_PROFILES_ACTIVE=json \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp -Dorg.bytedeco.javacpp.cachedir=/opt/javacpp"
EXPOSE 8080 8081 8500
ENTRYPOINT ["java", "-jar", "/app/eino-serving.jar"]
