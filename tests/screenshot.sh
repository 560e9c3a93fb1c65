#!/usr/bin/env bash
# Opens Kith in a real X window (Xvfb, software GL) on a catalog scanned from the shared test photos,
# takes a screenshot of the people view and fails if it is blank.
# Needs: apt-get install xvfb imagemagick libxkbcommon-x11-0 libxcursor1 libxi6 libxrandr2 libegl1 libgl1-mesa-dri
# Usage: tests/screenshot.sh [OUT.png]   (default assets/screenshots/people.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-assets/screenshots/people.png}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --locked
kith=target/debug/kith
lib="$work/lib.sqlite"
"$kith" scan ../shared/testdata/faces --library "$lib" >/dev/null
"$kith" scan ../shared/testdata/scenes --library "$lib" >/dev/null

Xvfb :97 -screen 0 1280x800x24 >/dev/null 2>&1 &
sleep 2
DISPLAY=:97 LIBGL_ALWAYS_SOFTWARE=1 "$kith" --library "$lib" >"$work/gui.log" 2>&1 &
sleep 12
DISPLAY=:97 import -window root "$out"
# A blank or single-colour window has (almost) no variation in its pixels.
spread=$(convert "$out" -colorspace Gray -format '%[fx:standard_deviation]' info:)
echo "screenshot $out, grey-level standard deviation $spread"
awk -v s="$spread" 'BEGIN { exit !(s > 0.05) }' || { echo "the window looks blank"; exit 1; }
