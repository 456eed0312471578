#!/bin/sh
# Builds an OCI image archive (a tar of an oci-layout directory) of a busybox rootfs, without a registry:
#   scripts/engines/busybox-image.sh OUT.tar [REF]
# The layer is scripts/make-rootfs.sh's rootfs as a gzip tar; config, manifest and layer are blobs/sha256/<digest>;
# index.json names the manifest REF (default "latest", the tag `ctr images import --base-name NAME` appends).
# Import it with: ctr -n NS images import --base-name tsrun.test/busybox OUT.tar
set -eu
out=${1:?usage: busybox-image.sh OUT.tar [REF]}
ref=${2:-latest}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tsrun-image-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$here/make-rootfs.sh" "$work/rootfs"
mkdir -p "$work/oci/blobs/sha256"
blobs=$work/oci/blobs/sha256
# reproducible layer: sorted names, root-owned, fixed mtime, gzip without a name or timestamp
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2024-01-01 00:00:00Z' -C "$work/rootfs" -cf "$work/layer.tar" .
diffid=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layersize=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$blobs/$layer"

# blob FILE -> prints "digest size" after moving FILE into blobs/sha256
blob() {
  d=$(sha256sum "$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  mv "$1" "$blobs/$d"
  echo "$d $s"
}

printf '%s' '{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:'"$diffid"'"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"scripts/engines/busybox-image.sh"}]}' > "$work/config.json"
set -- $(blob "$work/config.json")
config=$1 configsize=$2

printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$config"'","size":'"$configsize"'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:'"$layer"'","size":'"$layersize"'}]}' > "$work/manifest.json"
set -- $(blob "$work/manifest.json")
manifest=$1 manifestsize=$2

printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$manifest"'","size":'"$manifestsize"',"platform":{"architecture":"amd64","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"'"$ref"'"}}]}' > "$work/oci/index.json"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2024-01-01 00:00:00Z' -C "$work/oci" -cf "$out" oci-layout index.json blobs
