#!/usr/bin/env bash
# No file of src/ includes by a relative path ("../app/app.h", "model/../app/app.h"):
# the compiler resolves such a name beside the including file or through a
# layer's link to its folder, around the include roots that enforce the layer
# order (CMakeLists.txt). Checks the tree, then that a planted one is caught.
# Usage: relative_includes.sh <src dir>
set -euo pipefail
src=${1:?usage: relative_includes.sh <src dir>}

relative_includes() {  # prints file:line:include for each relative include under $1
  grep -rnE --include='*.h' --include='*.cpp' '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][^">]*\.\.[/\\">]' "$1" || true
}

found=$(relative_includes "$src")
if [[ -n $found ]]; then
  echo "$found"
  echo "relative_includes: include these by their layer's path (\"app/app.h\", \"config.h\"), never by ../" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/model"
printf '#include "model/x.h"\n#include "../app/app.h"\n' >"$scratch/model/a.cpp"
printf '#include <vector>\n  #  include <model/../eval/metrics.h>\n' >"$scratch/model/b.h"
printf '#include "io/run_dir.h"  // a ../ in a comment is no include\n' >"$scratch/model/c.cpp"
planted=$(relative_includes "$scratch")
if [[ $(grep -c . <<<"$planted") != 2 || $planted != *'a.cpp:2:'* || $planted != *'b.h:2:'* ]]; then
  echo "relative_includes: the check missed a planted relative include or took a plain one for one:" >&2
  echo "$planted" >&2
  exit 1
fi
echo "relative_includes: no file of $src includes by a relative path"
