# Vigil container image: vigild (the agent) and vigil (the CLI).
#   make image                      -> vigil:<project version>, the Helm chart's default
#   docker build -t REPO/vigil:TAG . (or podman build)
# The build stage installs the toolchain with the project's own script; the
# runtime stage installs exactly the Debian packages whose shared libraries
# the two binaries load (found with ldd + dpkg -S in the build stage), so the
# image stays small and never drifts from what the binaries link.

FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
ARG CMAKE_BUILD_TYPE=Release
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE} \
 && cmake --build /build -j"$(nproc)" --target vigild vigil \
 && strip /build/vigild /build/vigil
# Runtime packages: the owner of every shared library ldd resolves (a path
# may be registered under /lib or /usr/lib after the /usr merge).
RUN set -e; \
    for lib in $(ldd /build/vigild /build/vigil | awk '/=> \//{print $3}' | sort -u); do \
      dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null \
        || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null \
        || { echo "no Debian package owns $lib" >&2; exit 1; }; \
    done | cut -d: -f1 | sort -u > /build/runtime-packages.txt; \
    cat /build/runtime-packages.txt

FROM debian:bookworm-slim
COPY --from=build /build/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update -qq \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y -qq --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /build/vigild /build/vigil /usr/bin/
COPY config/vigild.yaml /etc/vigil/vigild.yaml
ARG VERSION=dev
LABEL org.opencontainers.image.title="vigil" \
      org.opencontainers.image.description="Vigil eBPF runtime-security agent (Tetragon-compatible) and CLI" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# The Helm chart runs `vigild --config ...` and, in the export-stdout sidecar,
# `tail`; this default serves `docker run --privileged ...` with the bundled config.
CMD ["vigild", "--config", "/etc/vigil/vigild.yaml"]
