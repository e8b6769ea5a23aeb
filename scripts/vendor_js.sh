#!/usr/bin/env bash
# Fetch the JavaScript the HTML book needs from the npm registry (npm pack), so pages
# render math and widgets with no internet: MathJax 3 (CHTML + fonts), require.js and
# the Jupyter widgets HTML manager. Output: _static/vendor/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=_static/vendor
stamp=$dest/.complete-v1
[ -f "$stamp" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mathjax@3.2.2 requirejs@2.3.4 @jupyter-widgets/html-manager@1.0.6 >/dev/null)
rm -rf "$dest" && mkdir -p "$dest/mathjax" "$dest/html-manager"
tar xzf "$tmp/mathjax-3.2.2.tgz" -C "$tmp" package/es5
cp -r "$tmp/package/es5/." "$dest/mathjax/"
rm -rf "$tmp/package"
tar xzf "$tmp/requirejs-2.3.4.tgz" -C "$tmp" package/require.js
cp "$tmp/package/require.js" "$dest/require.js"
rm -rf "$tmp/package"
tar xzf "$tmp/jupyter-widgets-html-manager-1.0.6.tgz" -C "$tmp" package/dist
cp "$tmp"/package/dist/*.js "$dest/html-manager/"
touch "$stamp"
echo "vendored MathJax, require.js and the widgets HTML manager into $dest"
