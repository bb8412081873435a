# Stepgate container image: built on Debian 12, run as a non-root user on bookworm-slim with
# only the binary and the shared libraries it links.
#   docker build -t stepgate:0.1.0 .
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake ninja-build g++ libboost-dev libssl-dev \
      libyaml-cpp-dev libspdlog-dev libcli11-dev nlohmann-json3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
COPY src ./src
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTEPGATE_TESTS=OFF \
 && cmake --build /build --target stepgate \
 && strip /build/stepgate

FROM debian:bookworm-slim
# The runtime libraries of exactly what the binary links (test/integration/deploy.test.mjs
# checks this list against `ldd`).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/stepgate /usr/local/bin/stepgate
USER 65532:65532
EXPOSE 4180
ENTRYPOINT ["/usr/local/bin/stepgate"]
CMD ["serve", "--config", "/etc/stepgate/stepgate.yaml"]
