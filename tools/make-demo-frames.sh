#!/usr/bin/env bash
# Regenerates tests/fixtures/astronaut/ (the astronaut swaying before a grey wall: the tests'
# candidate who fails checks, and the benchmarks' video), tests/fixtures/camera/ (recorded
# raw MJPEG / YUYV buffers) from the public-domain NASA astronaut portrait shipped in the
# scikit-image wheel on PyPI, and assets/demo/frame-*.jpg (the demo camera: the public-domain
# Grace Hopper portrait of tests/fixtures/portraits made into a live candidate on the
# profile's blue, by examples/make_demo_candidate.rs).
# Needs: pip, unzip, ImageMagick (convert), python3, cargo.
# The outputs are committed; run this only to change them. Provenance: assets/demo/PROVENANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEEL_VERSION=0.25.2
WHEEL_SHA256=24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641
for tool in pip unzip convert python3 sha256sum cargo; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install python3-pip unzip imagemagick)"; exit 1; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
  --platform manylinux_2_17_x86_64 "scikit-image==$WHEEL_VERSION" -d "$work"
wheel=$(ls "$work"/scikit_image-*.whl)
echo "$WHEEL_SHA256  $wheel" | sha256sum --check --quiet || { echo "the wheel is not the one in assets/demo/PROVENANCE.md"; exit 1; }
unzip -q -o "$wheel" skimage/data/astronaut.png -d "$work"
src="$work/skimage/data/astronaut.png"
echo "wheel  $(sha256sum "$wheel" | cut -d' ' -f1)  $(basename "$wheel")"
echo "source $(sha256sum "$src" | cut -d' ' -f1)  skimage/data/astronaut.png"

# The portrait is 512x512 with the head (crown to chin) at about y 15..190. Scale it so
# the head is about half of a 3:4 crop of a 1280x720 frame, centre the head, and fill
# the rest with a studio grey; left/top edges are feathered into it.
scale=1140
convert -size ${scale}x${scale} xc: -fx "min(1, min(min(i, w-1-i), j)/70)" "$work/mask.png"
convert "$src" -resize ${scale}x${scale} "$work/mask.png" -alpha off -compose CopyOpacity -composite "$work/portrait.png"

rm -f tests/fixtures/astronaut/frame-*.jpg
n=30   # a 2 s sway, played forwards and backwards at 30 fps
for i in $(seq 0 $((n - 1))); do
  read -r angle dx dy < <(python3 -c "import math; t=2*math.pi*$i/(2*$n); print(f'{0.8*math.sin(t):.3f} {139+5*math.sin(t):.0f} {52+2*math.cos(t):.0f}')")
  convert -size 1280x720 xc:'#b9b6b3' \( "$work/portrait.png" -background none -rotate "$angle" \) \
    -geometry "+${dx}+${dy}" -compose over -composite -quality 82 -sampling-factor 2x2 -strip \
    "tests/fixtures/astronaut/frame-$(printf %02d "$i").jpg"
done

# Recorded camera buffers: what a UVC camera hands over. MJPEG from UVC cameras is
# 4:2:2 and usually has no Huffman tables (DHT), relying on the standard ones;
# YUYV is packed 4:2:2 (Y0 U Y1 V), BT.601 limited range.
fix=tests/fixtures/camera
mkdir -p "$fix/mjpeg" "$fix/yuyv"
rm -f "$fix"/mjpeg/* "$fix"/yuyv/*
for i in 00 10 20; do
  convert "tests/fixtures/astronaut/frame-$i.jpg" -quality 85 -sampling-factor 2x1 -define jpeg:optimize-coding=false -strip "$work/f.jpg"
  python3 - "$work/f.jpg" "$fix/mjpeg/frame-$i.1280x720.mjpeg" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
out, i = bytearray(data[:2]), 2
while i < len(data):
    marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], 'big')
    if marker == 0xDA:            # start of scan: the entropy-coded rest follows
        out += data[i:]; break
    if marker != 0xC4:            # drop DHT, keep everything else
        out += data[i:i + 2 + length]
    i += 2 + length
open(sys.argv[2], 'wb').write(out)
PY
done
for i in 05 25; do
  convert "tests/fixtures/astronaut/frame-$i.jpg" -resize 640x360 -depth 8 "rgb:$work/f.rgb"
  # BT.601, limited range (Y 16-235, Cb/Cr 16-240), chroma averaged over each pixel pair.
  python3 - "$work/f.rgb" "$fix/yuyv/frame-$i.640x360.yuyv" <<'PY'
import sys
rgb = open(sys.argv[1], 'rb').read()
out = bytearray()
clamp = lambda v: max(0, min(255, int(round(v))))
for p in range(0, len(rgb), 6):
    r0, g0, b0, r1, g1, b1 = rgb[p:p + 6]
    y = lambda r, g, b: 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    r, g, b = (r0 + r1) / 2, (g0 + g1) / 2, (b0 + b1) / 2
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    out += bytes([clamp(y(r0, g0, b0)), clamp(u), clamp(y(r1, g1, b1)), clamp(v)])
open(sys.argv[2], 'wb').write(out)
PY
done
# A corrupt frame: a real MJPEG buffer cut short, as a camera does when the USB link drops.
head -c 20000 "$fix/mjpeg/frame-00.1280x720.mjpeg" > "$fix/mjpeg/frame-05-truncated.1280x720.mjpeg"

# The demo candidate (assets/demo/PROVENANCE.md).
cargo run --example make_demo_candidate
ls -la tests/fixtures/astronaut assets/demo "$fix"/*
