#!/usr/bin/env bash
# Rebuilds assets/models/*.onnx from MediaPipe's .tflite models in the PyPI wheel
# mediapipe==0.10.21 (the last release that ships them). Run once; the outputs are
# committed and nothing is downloaded when the kiosk builds or runs.
# Needs python3 (3.11) with venv and pip; downloads the wheel and the converter
# (tensorflow-cpu, tf2onnx, onnx, onnxruntime) into a temporary venv. See
# assets/models/PROVENANCE.md for what comes out and how it was checked.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEEL=mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl
WHEEL_SHA256=05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3
for tool in python3 unzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "needs $tool"; exit 1; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "tensorflow-cpu==2.15.1" "tf2onnx==1.17.0" "onnx==1.16.2" \
  "onnxruntime==1.31.1" "numpy==1.26.4" "flatbuffers==25.12.19"
"$work/venv/bin/pip" download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
  --platform manylinux_2_28_x86_64 "mediapipe==0.10.21" -d "$work"
echo "$WHEEL_SHA256  $work/$WHEEL" | sha256sum --check --quiet \
  || { echo "the mediapipe wheel is not the one in assets/models/PROVENANCE.md"; exit 1; }
unzip -q "$work/$WHEEL" 'mediapipe/modules/*' 'mediapipe-0.10.21.dist-info/LICENSE' -d "$work/wheel"

"$work/venv/bin/python" tools/models/convert.py "$work/wheel/mediapipe/modules" assets/models
cp "$work/wheel/mediapipe-0.10.21.dist-info/LICENSE" assets/models/LICENSE-Apache-2.0.txt
sha256sum "$work"/wheel/mediapipe/modules/{face_detection/face_detection_short_range,face_landmark/face_landmark,iris_landmark/iris_landmark,selfie_segmentation/selfie_segmentation}.tflite \
  | sed "s|$work/wheel/||"
(cd assets/models && sha256sum ./*.onnx)
