#!/usr/bin/env bash
# The layer order of src/ (docs/DESIGN.md, "Layers"): a folder may include
# headers of the folders listed for it, and its own, nothing else.
#   cli -> app -> train | eval | report -> model | data | distributed -> core -> io
# "core" is src/config.* and src/log.*. Both include forms count: "eval/metrics.h"
# and <eval/metrics.h> (src/ is a public include root, so the second compiles
# too); an angle-bracket name is a project header when that file exists under
# SRC_DIR (<torch/torch.h>, <vector> are not). Prints every include that
# breaks the order and exits 1 if there is one. Usage: scripts/check_layers.sh [SRC_DIR]
set -euo pipefail
src=${1:-"$(dirname "$0")/../src"}

allowed() {  # allowed <folder>: the folders (and "core") it may include
  case $1 in
    io) echo "" ;;
    core) echo "io" ;;
    model) echo "core io" ;;
    data) echo "core io" ;;
    distributed) echo "core io" ;;
    train) echo "model data distributed core io" ;;
    eval) echo "model data distributed core io" ;;
    report) echo "model data distributed core io" ;;
    app) echo "train eval report model data distributed core io" ;;
    cli) echo "app train eval report model data distributed core io" ;;
    *) echo "UNKNOWN" ;;
  esac
}

bad=0
while IFS= read -r file; do
  rel=${file#"$src"/}
  if [[ $rel == */* ]]; then layer=${rel%%/*}; else layer=core; fi
  ok=$(allowed "$layer")
  if [[ $ok == UNKNOWN ]]; then
    echo "$rel: folder '$layer' has no place in the layer order (add it to scripts/check_layers.sh and docs/DESIGN.md)"
    bad=1
    continue
  fi
  while IFS= read -r inc; do
    name=${inc:1:${#inc}-2}  # without the quotes or brackets
    [[ ${inc:0:1} == '<' && ! -f $src/$name ]] && continue  # a system or library header
    if [[ $name == */* ]]; then dep=${name%%/*}; else dep=core; fi
    [[ $dep == "$layer" ]] && continue
    if [[ " $ok " != *" $dep "* ]]; then
      echo "$rel includes $inc: $layer may not depend on $dep"
      bad=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\("[^"]*"\|<[^>]*>\).*/\1/p' "$file")
done < <(find "$src" -name '*.h' -o -name '*.cpp' | sort)
if ((bad)); then
  echo "check_layers: the include graph breaks the layer order" >&2
  exit 1
fi
echo "check_layers: every include follows the layer order"
