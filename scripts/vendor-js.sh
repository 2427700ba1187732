#!/usr/bin/env bash
# Refresh the JavaScript libreach ships, from npm at pinned versions. Never loaded from a
# CDN: a closed library's network may reach nothing, and the Content-Security-Policy
# allows scripts from our own origin only.
#   htmx             pages that answer in place      -> static/libreach/vendor/
#   @zxing/library   camera barcode scanning where the browser has no BarcodeDetector
#                                                    -> static/libreach/vendor/
#   axe-core         accessibility checks in the browser tests -> testing/vendor/
# Run it by hand when a version changes here, then commit what it wrote.
set -euo pipefail
HTMX=2.0.11
ZXING=0.21.3
AXE=4.14.1
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "htmx.org@$HTMX" "@zxing/library@$ZXING" "axe-core@$AXE" >/dev/null
static="$root/src/libreach/static/libreach/vendor"
testing="$root/src/libreach/testing/vendor"
mkdir -p "$static" "$testing"
cp node_modules/htmx.org/dist/htmx.min.js "$static/htmx.min.js"
cp node_modules/htmx.org/LICENSE "$static/htmx.LICENSE.txt"
cp node_modules/@zxing/library/umd/index.min.js "$static/zxing.min.js"
cp node_modules/@zxing/library/LICENSE "$static/zxing.LICENSE.txt"
cp node_modules/axe-core/axe.min.js "$testing/axe.min.js"
cp node_modules/axe-core/LICENSE "$testing/axe.LICENSE.txt"
printf 'htmx.org %s\n@zxing/library %s\n' "$HTMX" "$ZXING" > "$static/VERSIONS.txt"
printf 'axe-core %s\n' "$AXE" > "$testing/VERSIONS.txt"
echo "vendored: htmx $HTMX, @zxing/library $ZXING (static), axe-core $AXE (testing)"
