#!/usr/bin/env bash
# Fetches real HEIC/HEIF files for the HEIC decoder's tests (crates/core/tests/heic.rs):
# four test images of PyPI's pillow-heif 0.18.0 source package (BSD-3-Clause, per its
# LICENSE.txt), copied into target/heic-samples/:
#   xiaomi.heic        a Xiaomi phone's photo (2592×1944 in 512×512 tiles, with EXIF)
#   guitar_cw90.hif    a HEIF stored sideways (a 7008×4672 grid) with a rotation box (`irot`)
#   corrupted.heic     a damaged file
#   empty.heic         an empty file
# They are read from the registry, never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
SDIST_SHA256=70318dad9faa76121c6592ac0ab59881ff0dac6ab791a922e70d82c7706cce88
command -v pip >/dev/null || { echo "needs pip: apt-get install python3-pip"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pip download --quiet --no-deps --no-binary=:all: --no-build-isolation "pillow-heif==0.18.0" -d "$work" 2>/dev/null \
  || pip download --quiet --no-deps --no-binary=:all: "pillow-heif==0.18.0" -d "$work"
sdist="$work/pillow_heif-0.18.0.tar.gz"
echo "$SDIST_SHA256  $sdist" | sha256sum --check --quiet \
  || { echo "the pillow-heif source package is not the one this script was written for (sha256 $SDIST_SHA256)"; exit 1; }
out=target/heic-samples
rm -rf "$out"; mkdir -p "$out"
tar -xzf "$sdist" -C "$work" \
  pillow_heif-0.18.0/tests/images/heif_special/xiaomi.heic \
  pillow_heif-0.18.0/tests/images/heif_special/guitar_cw90.hif \
  pillow_heif-0.18.0/tests/images/heif_corrupted/corrupted.heic \
  pillow_heif-0.18.0/tests/images/heif_corrupted/empty.heic \
  pillow_heif-0.18.0/LICENSE.txt
find "$work/pillow_heif-0.18.0" -type f -exec cp {} "$out/" \;
echo "$(ls "$out" | wc -l) files in $out"
echo "now: cargo test -p capture-core --features heic --test heic"
