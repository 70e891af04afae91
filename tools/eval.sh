#!/usr/bin/env bash
# The checks against labelled photos, as a per-check confusion table.
#
#   tools/eval.sh                     the generated evaluation set: made from the public-domain
#                                     portraits (tests/fixtures/portraits, the demo frames) into
#                                     target/evalset, with controlled defects, then checked
#   tools/eval.sh DIR [PROFILE]       a folder of real photos with labels.json (for example
#                                     ../shared/portraits): per rule of the notices, how many
#                                     labelled defects its checks caught; per check, how many
#                                     photos labelled good it rejected; then every disagreement
#
# Exit status 1 when a required check misses the targets (rejects a good photo, or catches
# fewer than 95 % of its rule's defects); the table is printed either way.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -ge 1 && -f "$1/labels.json" ]]; then
    dir=$(cd "$1" && pwd)
    exec cargo run --locked -q -p capture-vision --example eval -- labelled "$dir" "${2:-bj-degree}"
elif [[ $# -ge 1 && -d "$1" ]]; then
    echo "$1 has no labels.json: give a folder of labelled photos (labels.json as in ../shared/portraits/README), or no argument for the generated set" >&2
    exit 2
elif [[ $# -ge 1 ]]; then
    echo "$1 does not exist (the labelled portraits are read from ../shared/portraits when that folder is there)" >&2
    exit 2
fi
dir=target/evalset
rm -rf "$dir"
cargo run --locked -q -p capture-vision --example eval -- generate "$dir"
cargo run --locked -q -p capture-vision --example eval -- table "$dir"
