#!/usr/bin/env bash
# The end-to-end Docker test (`make test-container`): builds the memhook image from the Dockerfile,
# runs an app container with a memory limit whose cache grows, and memhook beside it exactly as
# container/README.md shows, and checks what happened: the app received the signed webhook and
# SIGUSR1, and what memhook does when the app container stops.
#
# It starts its own dockerd (own data root, exec root and socket under a temporary directory; no
# bridge, no iptables changes) and removes all of it on exit, also on failure. Base images come
# from tests/container/base-image.sh when no registry is reachable.
# Needs root (apt-get, dockerd). Outside CI anything that prevents running is a loud skip (exit 0);
# under CI=true it is a failure. Exit codes: 0 passed or skipped, 1 failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"

t0=$(date +%s)
say() { echo "test-container: $*" >&2; }
skip() {
	if [ "${CI:-}" = true ]; then say "FAIL (CI=true, cannot run): $*"; exit 1; fi
	say "################################################################"
	say "SKIPPED: $*"
	say "################################################################"
	exit 0
}
fail() { say "FAIL: $*"; dump_logs; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (apt-get, dockerd)"

# --- packages --------------------------------------------------------------------------------
missing=()
for p in docker.io debootstrap; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	command -v apt-get >/dev/null || skip "missing ${missing[*]} and no apt-get"
	say "installing ${missing[*]}"
	apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		skip "apt-get install ${missing[*]} failed"
fi
# Debian's client matches Debian's dockerd; another docker earlier in PATH may not.
docker() { /usr/bin/docker "$@"; }

# --- our own dockerd -------------------------------------------------------------------------
work=$(mktemp -d /var/tmp/memhook-container.XXXXXX)
export DOCKER_HOST=unix://$work/docker.sock
dockerd_pid=""
suffix=$$
app=memhook-test-app-$suffix
mh=memhook-test-$suffix
pod=memhook-test-pod-$suffix
images=(memhook:test "memhook-test-app:$suffix")

dump_logs() {
	[ -S "$work/docker.sock" ] || return 0
	local c
	for c in "$pod" "$app" "$mh"; do
		docker inspect "$c" >/dev/null 2>&1 || continue
		say "--- docker logs $c"; docker logs "$c" 2>&1 | tail -40 >&2 || true
	done
	[ -f "$work/dockerd.log" ] && { say "--- dockerd log (tail)"; tail -20 "$work/dockerd.log" >&2; }
	return 0
}

cleanup() {
	local rc=$?
	set +e
	if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
		docker rm -f "$mh" "$app" "$pod" >/dev/null 2>&1
		docker rmi -f "${images[@]}" debian:bookworm debian:bookworm-slim >/dev/null 2>&1
		kill -TERM "$dockerd_pid"
		for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$dockerd_pid" 2>/dev/null && kill -KILL "$dockerd_pid"
		wait "$dockerd_pid" 2>/dev/null
	fi
	# Mounts a killed daemon may have left under the work directory, deepest first.
	findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r umount -l 2>/dev/null
	rm -rf "$work"
	say "finished in $(( $(date +%s) - t0 ))s (exit $rc)"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

command -v dockerd >/dev/null || skip "dockerd not found after installing docker.io"
dockerd --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
	-H "$DOCKER_HOST" --bridge=none --iptables=false --ip-masq=false \
	>"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
deadline=$(( $(date +%s) + 60 ))
until docker info >/dev/null 2>&1; do
	kill -0 "$dockerd_pid" 2>/dev/null || { tail -20 "$work/dockerd.log" >&2; skip "dockerd exited at start"; }
	[ "$(date +%s)" -lt "$deadline" ] || { tail -20 "$work/dockerd.log" >&2; skip "dockerd not ready in 60s"; }
	sleep 0.2
done
say "dockerd $(docker version -f '{{.Server.Version}}') up: $(docker info -f 'cgroup v{{.CgroupVersion}}, {{.CgroupDriver}}, {{.Driver}}')"

# --- images ----------------------------------------------------------------------------------
bash "$here/base-image.sh" || skip "cannot make the debian:bookworm base images"
# --network host: this daemon has no bridge; the Dockerfile's apt-get needs the Debian mirror.
say "docker build -t memhook:test ."
docker build -q --network host -t memhook:test . >/dev/null || fail "docker build of the Dockerfile failed"
docker build -q --network host -t "memhook-test-app:$suffix" "$here/app" >/dev/null ||
	fail "docker build of the test app failed"
say "image memhook:test: $(docker image inspect -f '{{.Size}}' memhook:test | numfmt --to=iec-i --suffix=B)"

# The image alone: non-root, the embedded default policy, the shipped policies valid (without the
# image's MEMHOOK_PID=1 target: on this cgroup v1 host a v2-only policy is rightly refused).
[ "$(docker run --rm --entrypoint id memhook:test -u)" = 65532 ] || fail "image does not run as uid 65532"
docker run --rm memhook:test check >/dev/null || fail "memhook check (default policy) failed in the image"
for f in $(docker run --rm --entrypoint sh memhook:test -c 'ls /etc/memhook/policies/*.json /etc/memhook/policies/examples/*.json'); do
	docker run --rm --entrypoint env memhook:test -u MEMHOOK_PID memhook check --policy "$f" >/dev/null || fail "shipped policy $f is invalid"
done

# --- helpers ---------------------------------------------------------------------------------
# wait_log CONTAINER EXTENDED-REGEX [COUNT] [SECONDS]: until the container's log has COUNT lines
# matching, or fail.
wait_log() {
	local c=$1 re=$2 count=${3:-1} secs=${4:-30} n end
	end=$(( $(date +%s) + secs ))
	while :; do
		n=$(docker logs "$c" 2>&1 | grep -cE -- "$re" || true)
		[ "$n" -ge "$count" ] && return 0
		[ "$(date +%s)" -lt "$end" ] || fail "$c: no $count line(s) matching /$re/ within ${secs}s (have $n)"
		sleep 0.2
	done
}
# wait_state CONTAINER GO-TEMPLATE VALUE [SECONDS]
wait_state() {
	local c=$1 tpl=$2 want=$3 secs=${4:-30} end
	end=$(( $(date +%s) + secs ))
	until [ "$(docker inspect -f "$tpl" "$c" 2>/dev/null)" = "$want" ]; do
		[ "$(date +%s)" -lt "$end" ] || fail "$c: $tpl is $(docker inspect -f "$tpl" "$c"), not $want, after ${secs}s"
		sleep 0.2
	done
}

secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export MEMHOOK_SECRET=$secret
# Level 1 when less than 60% of the 96 MiB limit is free; webhook and SIGUSR1 on entering it.
cat >"$work/policy.json" <<'EOF'
{
  "check_interval": "200ms",
  "levels": [
    {"name": "elevated", "when": {"local_relative": 60}}
  ],
  "handlers": [
    {"on": "entered", "level": 1, "webhook": {"url": "http://127.0.0.1:8080/memhook",
      "secret_env": "MEMHOOK_SECRET", "retries": 5, "backoff": "200ms", "timeout": "2s"}},
    {"on": "entered", "level": 1, "signal": "SIGUSR1"},
    {"on": "target_lost", "webhook": {"url": "http://127.0.0.1:8080/memhook",
      "secret_env": "MEMHOOK_SECRET", "retries": 0, "timeout": "1s"}},
    {"on": "target_found", "webhook": {"url": "http://127.0.0.1:8080/memhook",
      "secret_env": "MEMHOOK_SECRET", "retries": 6, "backoff": "200ms", "timeout": "2s"}}
  ]
}
EOF
chmod 0644 "$work/policy.json"
# The app: the example receiver as uid 65532 (memhook's uid, so no capability is needed to signal
# it); its cache grows 8 MiB/s up to 80 MiB under a 96 MiB limit.
app_env=(-e MEMHOOK_SECRET -e CACHE_MB=0 -e CACHE_GROW_MB_PER_S=8 -e CACHE_MAX_MB=80)

# --- 1: docker run --pid=container:<app>, as in container/README.md -----------------------------
say "1: memhook with --pid=container:$app"
docker run -d --name "$app" --network none --memory 96m "${app_env[@]}" "memhook-test-app:$suffix" >/dev/null
wait_log "$app" '^receiver: listening on 127\.0\.0\.1:8080'
app_id=$(docker inspect -f '{{.Id}}' "$app")
docker run -d --name "$mh" \
	--pid=container:"$app" --network=container:"$app" \
	--cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
	-v "$work/policy.json":/etc/memhook/policy.json:ro -e MEMHOOK_SECRET \
	memhook:test --policy /etc/memhook/policy.json >/dev/null
wait_log "$mh" "watching cgroup .*$app_id"
wait_log "$mh" 'level 0 -> 1 \(elevated\): entered'
wait_log "$app" '^receiver: verified event=entered level=1 \(elevated\) .*: dropped cache'
wait_log "$app" '^receiver: signal SIGUSR1: dropped cache, freed [1-9][0-9]* bytes'
docker logs "$app" 2>&1 | grep -q 'rejected' && fail "the app rejected a webhook"
wait_log "$mh" 'level 1 -> 0 \(normal\)'
say "1: webhook verified and SIGUSR1 trapped by the app; it dropped its cache"
# The HEALTHCHECK's command: the status file memhook keeps fresh.
docker exec "$mh" /usr/local/bin/memhook status --status-file /tmp/memhook/status --max-age 30s ||
	fail "memhook status (the HEALTHCHECK) failed"

# Stop the app: its pid namespace ends, and the kernel kills every process in it, memhook too
# (SIGKILL, exit 137): nothing can be sent. Docker does not restart a container whose pid
# namespace owner is gone; memhook comes back with `docker start` after the app.
docker stop -t 5 "$app" >/dev/null
wait_state "$mh" '{{.State.Running}} {{.State.ExitCode}}' 'false 137' 20
say "1: app stopped -> memhook killed with the pid namespace (exit 137)"
docker start "$app" >/dev/null
wait_log "$app" '^receiver: listening on' 2
docker start "$mh" >/dev/null
wait_log "$mh" "watching cgroup .*$app_id" 2
wait_log "$app" '^receiver: verified event=entered level=1 \(elevated\) .*: dropped cache' 2
say "1: app and memhook started again -> watching and delivering again"
docker rm -f "$mh" "$app" >/dev/null

# --- 2: pod-style: both join a holder's namespaces (what Kubernetes does) -----------------------
say "2: memhook and the app in a holder's namespaces (shareProcessNamespace)"
docker run -d --name "$pod" --network none --entrypoint sleep debian:bookworm-slim infinity >/dev/null
docker run -d --name "$app" --pid=container:"$pod" --network=container:"$pod" --memory 96m \
	"${app_env[@]}" "memhook-test-app:$suffix" >/dev/null
wait_log "$app" '^receiver: listening on'
docker run -d --name "$mh" --pid=container:"$pod" --network=container:"$pod" \
	--cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
	-v "$work/policy.json":/etc/memhook/policy.json:ro -e MEMHOOK_SECRET \
	memhook:test --policy /etc/memhook/policy.json --process python3 >/dev/null
wait_log "$app" '^receiver: verified event=entered level=1 \(elevated\) .*: dropped cache'
docker stop -t 5 "$app" >/dev/null
wait_log "$mh" 'target lost: .*exited'
sleep 1   # memhook must stay up while the app is away: checked below, not hoped
[ "$(docker inspect -f '{{.State.Running}}' "$mh")" = true ] || fail "memhook exited when the app stopped"
docker start "$app" >/dev/null
wait_log "$mh" 'target found: ' 1 20
wait_log "$app" '^receiver: verified event=target_found ' 1 20
wait_log "$app" '^receiver: verified event=entered level=1 \(elevated\) .*: dropped cache' 2
say "2: app stopped -> 'target lost', memhook kept running; app back -> target_found delivered"

say "PASS"
