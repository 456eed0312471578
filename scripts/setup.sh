#!/usr/bin/env bash
# One command to install and build everything on a fresh Debian 12 machine (as root):
# Debian packages (busybox-static for rootfs, runc for side-by-side tests, a C compiler for the native stage,
# containers-common for podman's default seccomp profile used by the seccomp tests, podman (with conmon) and containerd (with its runc v2 shim) for the
# engine tests that run tsrun in place of runc, uidmap's newuidmap/newgidmap for rootless id ranges),
# npm packages, the TypeScript build, the native stage, and the example bundle's rootfs.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in busybox-static runc gcc make libc6-dev golang-github-containers-common podman containerd uidmap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
rm -rf examples/busybox/rootfs
./scripts/make-rootfs.sh examples/busybox/rootfs
echo "setup done: bin/tsrun is ready ($(bin/tsrun --version | head -1))"
