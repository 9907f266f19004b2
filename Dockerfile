# memhook as a container: a sidecar that watches its neighbour's cgroup memory.
#   docker build -t memhook .
# See container/README.md for running it beside an app (docker run, Kubernetes).

# --- build: the same Debian packages `make` installs on a host ---------------------------------
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc make pkg-config libc6-dev libcurl4-openssl-dev libcjson-dev libcgroup-dev libssl-dev \
      libmicrohttpd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" \
 && install -D -s -m 0755 build/memhook /out/usr/local/bin/memhook \
 && install -D -m 0644 policies/default.json /out/etc/memhook/policies/default.json \
 && for f in policies/examples/*.json; do \
      install -D -m 0644 "$f" "/out/etc/memhook/policies/examples/${f##*/}"; done \
 && if [ -f policies/payload.schema.json ]; then \
      install -D -m 0644 policies/payload.schema.json /out/etc/memhook/payload.schema.json; fi

# --- runtime: only the shared libraries memhook links against ----------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libcjson1 libcgroup2 libssl3 libmicrohttpd12 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 65532 memhook \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin memhook \
 && install -d -o 65532 -g 65532 -m 0755 /tmp/memhook
COPY --from=build /out/ /
# Fails the build when a runtime library is missing, before anyone runs the image.
# libcurl is dlopen()ed on the first webhook, libmicrohttpd with --listen, so ldd lists neither:
# check them by name.
RUN ! ldd /usr/local/bin/memhook | grep 'not found' \
 && ldconfig -p | grep -q 'libcurl.so.4 ' \
 && ldconfig -p | grep -q 'libmicrohttpd.so.12 ' \
 && /usr/local/bin/memhook --version \
 && /usr/local/bin/memhook check --policy /etc/memhook/policies/default.json >/dev/null

# With --pid=container:<app> the app is pid 1; a --pid/--process/--cgroup flag overrides this.
ENV MEMHOOK_PID=1
# Non-root with a fixed uid: to signal the app, run the app with the same uid (no capability
# needed) or run memhook as `--user 0 --cap-drop ALL --cap-add KILL`; container/README.md says why.
USER 65532:65532
# The status file is what `memhook status` (liveness probe, HEALTHCHECK) reads.
ENV MEMHOOK_STATUS_FILE=/tmp/memhook/status
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["/usr/local/bin/memhook", "status", "--status-file", "/tmp/memhook/status", "--max-age", "30s"]
# No arguments: the embedded default policy and the target from MEMHOOK_PID (preset above),
# MEMHOOK_PROCESS or MEMHOOK_CGROUP.
ENTRYPOINT ["/usr/local/bin/memhook"]
