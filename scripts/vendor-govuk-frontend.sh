#!/usr/bin/env bash
# Refresh the vendored GOV.UK Frontend assets in survey/static/govuk.
# The GDS Transport typeface and the crown are for GOV.UK services only, so the
# @font-face rules are stripped and the stack falls back to Arial; the app
# serves everything itself and nothing is fetched when a page loads.
set -euo pipefail
version=${1:-6.1.0}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
(cd "$tmp" && npm pack "govuk-frontend@$version" >/dev/null 2>&1 && tar xzf govuk-frontend-*.tgz)
dist="$tmp/package/dist/govuk"
out="$here/survey/static/govuk"
mkdir -p "$out"
python3 - "$dist/govuk-frontend.min.css" "$out/govuk-frontend.min.css" <<'PY'
import re, sys
css = open(sys.argv[1]).read()
css = re.sub(r"@font-face\{[^}]*\}", "", css)
css = css.replace("GDS Transport,", "").replace('"GDS Transport",', "")
css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", css)
open(sys.argv[2], "w").write(css)
PY
sed 's|//# sourceMappingURL=.*||' "$dist/govuk-frontend.min.js" > "$out/govuk-frontend.min.js"
cp "$tmp/package/LICENSE.txt" "$out/LICENSE.txt" 2>/dev/null || cp "$tmp/package/README.md" "$out/UPSTREAM-README.md"
echo "$version" > "$out/VERSION"
rm -rf "$tmp"
