#!/usr/bin/env bash
# README's layout table names every header of src/ (src/cli/ is one row: the
# binary). Prints each header it lacks and exits 1 if there is one.
# Usage: scripts/check_readme_layout.sh [REPO_DIR]
set -euo pipefail
repo=${1:-"$(dirname "$0")/.."}
missing=0
while IFS= read -r h; do
  rel=${h#"$repo"/}
  [[ $rel == src/cli/* ]] && continue
  grep -qF "\`$rel\`" "$repo/README.md" || { echo "README.md's layout table does not name $rel"; missing=1; }
done < <(find "$repo/src" -name '*.h' | sort)
if ((missing)); then
  echo "check_readme_layout: add a row (or the header to a row) in README.md's 'Layout' table" >&2
  exit 1
fi
echo "check_readme_layout: every header of src/ is in README.md's layout table"
