# A runtime base for the GPU image: CUDA 12 with cuDNN, and Temurin's Java 17 runtime copied in.
#   docker build -f docker/gpu-base.Dockerfile -t eino-gpu-base docker/
#   docker build --build-arg VARIANT=gpu --build-arg RUNTIME_IMAGE=eino-gpu-base -t eino-serving:gpu .
# Untested on the machines this project is built on (no GPU, no image registry).
ARG CUDA_IMAGE=nvidia/cuda:12.5.1-cudnn-runtime-ubuntu24.04
ARG JRE_IMAGE=eclipse-temurin:17-jre-noble
FROM ${JRE_IMAGE} AS jre
FROM ${CUDA_IMAGE}
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:$PATH
COPY --from=jre /opt/java/openjdk /opt/java/openjdk
