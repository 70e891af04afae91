#!/usr/bin/env bash
# Per-frame analysis: capture-kiosk (tract) against MediaPipe's Python API
# (mediapipe==0.10.21, the release whose models capture-kiosk converted), on the same frames
# (the demo camera's 30 frames, played 300 times as a video), both pinned to one core, in
# one run. Prints the medians and their ratios (capture-kiosk / MediaPipe; below 1 is faster).
# Creates a venv in target/vs-mediapipe-venv on first use (needs python3 3.11, pip, PyPI).
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv=target/vs-mediapipe-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import mediapipe" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "mediapipe==0.10.21"
fi
cargo build --locked --release --quiet -p capture-vision --example per_frame
# Two sequences: the demo camera (the candidate sways a little all the time) and a candidate
# holding still (one frame, with fresh sensor noise in each copy).
still=target/vs-mediapipe-still
mkdir -p "$still"
for i in $(seq -w 0 29); do
  [ -f "$still/still-$i.jpg" ] || convert tests/fixtures/astronaut/frame-00.jpg -attenuate 0.4 +noise Gaussian -quality 90 "$still/still-$i.jpg"
done
core=0
compare() {
  local title=$1; shift
  local ours theirs
  ours=$(taskset -c "$core" target/release/examples/per_frame "$@")
  theirs=$(taskset -c "$core" "$venv/bin/python" - "$@" 2>/dev/null <<'PY'
import statistics, sys, time
import cv2, mediapipe as mp

frames = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in sys.argv[1:]]
ROUNDS = 300

def median_ms(work):
    times = []
    for i in range(ROUNDS):
        f = frames[i % len(frames)]
        start = time.perf_counter()
        work(f)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)

with mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5) as d:
    print("detection %.3f" % median_ms(d.process))
with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=False) as m:
    print("landmarks_tracking %.3f" % median_ms(m.process))
with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True) as m:
    print("landmarks_irises_tracking %.3f" % median_ms(m.process))
PY
)
  python3 - "$title" "$ours" "$theirs" <<'PY'
import sys
ours = dict(l.split() for l in sys.argv[2].splitlines())
theirs = dict(l.split() for l in sys.argv[3].splitlines())
rows = [
    ("face detection (whole 1280x720 frame)", "detection", "detection"),
    ("landmarks, tracking, models on every frame", "raw_landmarks_tracking", "landmarks_tracking"),
    ("landmarks + irises + every check, models on every frame", "raw_full_tracking", "landmarks_irises_tracking"),
    ("landmarks, tracking (as the kiosk runs: reused while nothing moved)", "landmarks_tracking", "landmarks_tracking"),
    ("landmarks + irises + every check (as the kiosk runs)", "full_tracking", "landmarks_irises_tracking"),
]
print(f"\n{sys.argv[1]}: median ms per 1280x720 frame, one core (taskset), 300 frames")
print(f"{'work':<70} {'capture-kiosk':>13} {'MediaPipe':>10} {'ratio':>6}")
for name, a, b in rows:
    x, y = float(ours[a]), float(theirs[b])
    print(f"{name:<70} {x:>13.2f} {y:>10.2f} {x / y:>6.2f}")
print("(MediaPipe: FaceDetection model 0; FaceMesh tracking; irises = refine_landmarks=True)")
PY
}
compare "demo camera (swaying)" tests/fixtures/astronaut/frame-*.jpg
compare "candidate holding still" "$still"/still-*.jpg
