#!/usr/bin/env bash
# Vendor the files Strawberry's GraphiQL page loads from unpkg.com, from the npm packages
# themselves (`npm pack`), at the paths unpkg.com serves them under. Run from the repository
# root after Strawberry changes its page: `bash graph/static/graphiql/refresh.sh`, then
# `.venv/bin/pytest tests/graph/test_graphiql_page.py` checks every file against the page's
# integrity hashes. See README.md beside this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
page="$(.venv/bin/python -c 'from strawberry.http.ides import get_graphql_ide_html; print(get_graphql_ide_html("graphiql"))')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for url in $(grep -o 'https://unpkg.com/[^"]*' <<<"$page"); do
  path="${url#https://unpkg.com/}"  # react@18.2.0/umd/react.production.min.js
  spec="${path%%/*}"                # react@18.2.0
  if [[ $spec == @* ]]; then        # a scoped package: @graphiql/plugin-explorer@1.0.2
    rest="${path#*/}"
    spec="$spec/${rest%%/*}"
  fi
  file="${path#"$spec"/}"
  unpacked="$work/$spec"
  if [[ ! -d $unpacked ]]; then
    mkdir -p "$unpacked"
    (cd "$unpacked" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  fi
  mkdir -p "$here/$spec/$(dirname "$file")"
  cp "$unpacked/package/$file" "$here/$spec/$file"
  if [[ -f $unpacked/package/LICENSE ]]; then
    cp "$unpacked/package/LICENSE" "$here/$spec/LICENSE"
  elif [[ ! -f $here/$spec/LICENSE ]]; then
    echo "warning: $spec ships no LICENSE file: add its licence by hand (see README.md)" >&2
  fi
  echo "$spec/$file"
done
