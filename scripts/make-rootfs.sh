#!/bin/sh
# Builds a minimal busybox root filesystem at $1 from Debian's busybox-static (/bin/busybox).
# Used by the setup for examples/busybox/rootfs and by the tests for their own bundles.
set -eu
dest=${1:?usage: make-rootfs.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-rootfs.sh: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dest"
cd "$dest"
mkdir -p bin sbin etc proc sys dev tmp root home usr/bin usr/sbin var/run
chmod 1777 tmp
cp "$busybox" bin/busybox
for applet in $(./bin/busybox --list); do
  [ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\ntester:x:1000:1000:tester:/home:/bin/sh\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\ntester:x:1000:\nextra:x:1001:tester\n' > etc/group
printf 'rootfs\n' > etc/hostname
