# The eino-serving image (docs/deployment.md, "Container image").
#   docker build -t eino-serving .                       # CPU, on the public Temurin images
#   bin/build-image                                      # the same on bases made from Debian's packages
# A GPU image takes a CUDA 12 + cuDNN base with a Java 17 runtime (docker/gpu-base.Dockerfile):
#   docker build --build-arg VARIANT=gpu --build-arg RUNTIME_IMAGE=eino-gpu-base -t eino-serving:gpu .
# Written for the classic builder as well as BuildKit: no RUN --mount, no stage that a CPU
# build would not use.

# The bases, as build arguments, so that the image also builds where no registry is
# reachable (bin/build-image makes both from Debian's packages). The build base needs a JDK
# 17 with javac; the runtime base a Java 17 runtime on the PATH and bash (the health check).
ARG BUILD_IMAGE=eclipse-temurin:17-jdk-noble
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre-noble

# --- build: the jar, its layers, the default model and the extracted native libraries ---
FROM ${BUILD_IMAGE} AS build
ARG VARIANT=cpu
WORKDIR /src
# Extra CA certificates (PEM, *.crt) for a TLS-inspecting proxy between the build and Maven
# Central: put them in docker/ca-certificates/ (bin/build-image --ca-certificates does).
# They are trusted by the build stage only; the runtime image never sees them.
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/eino/
RUN set -e; for cert in /usr/local/share/ca-certificates/eino/*.crt; do \
        [ -f "$cert" ] || continue; \
        keytool -importcert -noprompt -cacerts -storepass changeit -alias "eino-$(basename "$cert" .crt)" \
            -file "$cert" >/dev/null; \
        echo "trusting $cert"; \
    done
# The project's dependencies in a layer of their own, so that a code change does not fetch
# them again.
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN ./mvnw -B -ntp -q $([ "$VARIANT" = gpu ] && echo -Pgpu) dependency:go-offline
COPY src/ src/
RUN ./mvnw -B -ntp $([ "$VARIANT" = gpu ] && echo -Pgpu) -DskipTests package
# Spring Boot's layered jar: dependencies, loader, snapshot dependencies, application; and the
# same files assembled as the runtime stage lays them out in /app.
RUN java -Djarmode=tools -jar target/eino-serving.jar extract --layers --destination /layers \
    && mkdir /app \
    && cp -a /layers/dependencies/. /layers/spring-boot-loader/. /layers/snapshot-dependencies/. \
        /layers/application/. /app/
# The default model, prepared now so that a pod never imports at start. Preparing it loads
# TensorFlow's and the tokenizers' native libraries, which JavaCPP and DJL extract into
# /javacpp and /djl; the runtime loads them in place from /opt/native and /opt/djl (JavaCPP
# would only use a cache it can write to, and a read-only container has none).
ENV DJL_CACHE_DIR=/djl
RUN java -Dorg.bytedeco.javacpp.cachedir=/javacpp -jar /app/eino-serving.jar \
        prepare-models --repository /models \
    && mkdir /native \
    && find /javacpp -name 'lib*.so*' -exec cp -a {} /native/ \; \
    && ls /native/libjnitensorflow.so /djl/tokenizers \
    && chmod -R a+rX /native /djl /models
# Netty's epoll transport and JNA (DJL's GPU probe) extract their native libraries into /tmp at
# every start unless they find them on the library path: a tmpfs mounted noexec (Docker's
# default) would send Netty back to its slower NIO transport. Both load them from /opt/native.
RUN mkdir /tmp/natives && cd /tmp/natives \
    && jar xf /app/lib/netty-transport-native-epoll-*-linux-x86_64.jar META-INF/native \
    && jar xf /app/lib/jna-*.jar com/sun/jna/linux-x86-64 \
    && cp META-INF/native/libnetty_transport_native_epoll_x86_64.so com/sun/jna/linux-x86-64/libjnidispatch.so \
        /native/ \
    && chmod a+r /native/*.so && rm -rf /tmp/natives

# --- runtime ---
FROM ${RUNTIME_IMAGE}
ARG VARIANT=cpu
ARG VERSION=0.1.0-SNAPSHOT
ARG REVISION=unknown
LABEL org.opencontainers.image.title="eino-serving" \
      org.opencontainers.image.description="TensorFlow model serving for the JVM (Spring Boot WebFlux)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/eino-serving/eino-serving" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.eino.variant="${VARIANT}"
# The mount points of the decrypted-model workspace and of the startup plans, owned by the
# service's user (a Docker volume mounted there takes that owner).
RUN mkdir -p /var/run/eino/plaintext /var/cache/eino/plans \
    && chown 10001:10001 /var/run/eino/plaintext /var/cache/eino/plans \
    && chmod 700 /var/run/eino/plaintext
WORKDIR /app
# Least-changing layers first, so that a code change rebuilds only the last one.
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /native/ /opt/native/
COPY --from=build /djl/ /opt/djl/
COPY --from=build /models/ /models/
COPY --from=build /layers/application/ ./
ENV EINO_REPOSITORY_PATH=/models \
    EINO_ENCRYPTION_PLAINTEXT_DIRECTORY=/var/run/eino/plaintext \
    EINO_RUNTIME_PLAN_DIRECTORY=/var/cache/eino/plans \
    SPRING_PROFILES_ACTIVE=json \
    DJL_CACHE_DIR=/opt/djl \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp -Djava.library.path=/opt/native -Dorg.bytedeco.javacpp.pathsFirst=true -Djna.boot.library.path=/opt/native"
# Class data sharing: the JVM maps the classes a start loads from an archive instead of reading
# and verifying them again. One training start, which exits once Spring's context is refreshed
# (Spring Boot's spring.context.exit), writes it: free ports, its plan out of the image, and a
# heap under 32 GB (an archive holds compressed object pointers or not, and a start whose heap
# differs in that ignores it: containers under 64 GiB of memory use it). Nothing else may be
# written into the image.
RUN touch /tmp/.training-start \
    && { java -Xmx2g -XX:ArchiveClassesAtExit=/app/application.jsa -Dspring.context.exit=onRefresh \
           -jar /app/eino-serving.jar --server.port=0 --management.server.port=0 --eino.grpc.port=0 \
           --eino.runtime.plan-directory=/tmp/training-plans > /tmp/class-data-training.log 2>&1 \
         && test -s /app/application.jsa \
         || { tail -40 /tmp/class-data-training.log; exit 1; }; } \
    && written="$(find / -xdev -type f -newer /tmp/.training-start ! -path '/tmp/*' ! -path /app/application.jsa)" \
    && { [ -z "$written" ] || { echo "the training start wrote into the image: $written"; exit 1; }; } \
    && rm -rf /tmp/* /tmp/.[!.]*
# The archive in use; the JVM's own output (warnings, an out-of-memory exit) on stderr, so that
# standard output is the JSON log alone.
ENV JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS} -XX:SharedArchiveFile=/app/application.jsa -Xlog:disable -Xlog:all=warning:stderr -XX:+DisplayVMOutputToStderr"
# Runs as a numeric non-root user with a read-only root filesystem: only /tmp, the
# decrypted-model workspace and the startup plans are written (volumes in the Helm chart; the
# models baked in here are read-only, so the plans have a directory of their own).
USER 10001:10001
EXPOSE 8080 8081 8500
# Health for plain Docker and Compose (Kubernetes uses the chart's probes instead): readiness
# on the management port (MANAGEMENT_SERVER_PORT when set), which answers it without
# credentials. bash's /dev/tcp, so that the image needs no HTTP client.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MANAGEMENT_SERVER_PORT:-8081} && printf 'GET /actuator/health/readiness HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-jar", "/app/eino-serving.jar"]
