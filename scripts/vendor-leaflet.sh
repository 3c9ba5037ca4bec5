#!/usr/bin/env bash
# Refresh the vendored Leaflet in survey/static/leaflet (the map pages load
# nothing from the internet: no CDN, no tiles).
set -euo pipefail
version=${1:-1.9.4}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
(cd "$tmp" && npm pack "leaflet@$version" >/dev/null 2>&1 && tar xzf leaflet-*.tgz)
out="$here/survey/static/leaflet"
mkdir -p "$out"
sed 's|//# sourceMappingURL=.*||' "$tmp/package/dist/leaflet.js" > "$out/leaflet.js"
cp "$tmp/package/dist/leaflet.css" "$out/leaflet.css"
cp "$tmp/package/LICENSE" "$out/LICENSE"
echo "$version" > "$out/VERSION"
rm -rf "$tmp"
