#!/usr/bin/env bash
# The evaluation set and its per-check confusion table: makes the set from the
# public-domain portraits (tests/fixtures/portraits, the demo frames) into DIR (default
# target/evalset), then checks every image and prints how many images of each class every
# check rejected. Exit status 1 if a compliant reference is rejected or a defect slips through.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/evalset}
rm -rf "$dir"
cargo run --locked -q -p capture-vision --example eval -- generate "$dir"
cargo run --locked -q -p capture-vision --example eval -- table "$dir"
