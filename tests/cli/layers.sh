#!/usr/bin/env bash
# The layer order of src/ holds (scripts/check_layers.sh), and the check
# catches an include against it; README's layout table names every header
# (scripts/check_readme_layout.sh), and that check catches a new one. Usage: layers.sh <latentebm binary> <source dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

step "the tree follows the layer order"
ok layers bash "$SRC/scripts/check_layers.sh" "$SRC/src"

step "an include from train/ into eval/ is caught"
cp -r "$SRC/src" "$WORK/src"
echo '#include "eval/metrics.h"' >>"$WORK/src/train/adam.cpp"
fails_with train-includes-eval 'train/adam.cpp includes "eval/metrics.h": train may not depend on eval' \
  bash "$SRC/scripts/check_layers.sh" "$WORK/src"

step "a folder outside the layer map is caught"
rm -rf "$WORK/src"
cp -r "$SRC/src" "$WORK/src"
mkdir -p "$WORK/src/extra" && echo '#include "io/h5.h"' >"$WORK/src/extra/x.cpp"
fails_with unknown-folder "folder 'extra' has no place in the layer order" bash "$SRC/scripts/check_layers.sh" "$WORK/src"
step "README's layout table names every header of src/"
ok readme-layout bash "$SRC/scripts/check_readme_layout.sh" "$SRC"

step "a header missing from the table is caught"
rm -rf "$WORK/repo" && mkdir -p "$WORK/repo"
cp -r "$SRC/src" "$SRC/README.md" "$WORK/repo/"
echo '#pragma once' >"$WORK/repo/src/model/new_idea.h"
fails_with readme-missing "README.md's layout table does not name src/model/new_idea.h" \
  bash "$SRC/scripts/check_readme_layout.sh" "$WORK/repo"
echo "layers: ok"
