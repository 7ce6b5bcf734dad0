#!/usr/bin/env bash
# The layer order of src/ holds (scripts/check_layers.sh), and the check
# catches an include against it, quoted or in angle brackets (checked by
# breaking: with the angle-bracket form left unparsed, as before issue 51,
# the angle steps fail); README's layout table names every header
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

step "the same include in angle brackets is caught (src/ is a public include root: it compiles)"
rm -rf "$WORK/src"
cp -r "$SRC/src" "$WORK/src"
printf '#include <vector>\n#include <torch/torch.h>\n#include <eval/metrics.h>\n' >>"$WORK/src/train/adam.cpp"
fails_with train-includes-eval-angle 'train/adam.cpp includes <eval/metrics.h>: train may not depend on eval' \
  bash "$SRC/scripts/check_layers.sh" "$WORK/src"
grep -qF "<vector>" "$WORK/train-includes-eval-angle.out" && fail "a standard header was taken for a project header"
grep -qF "<torch/torch.h>" "$WORK/train-includes-eval-angle.out" && fail "a library header was taken for a project header"
[[ $(grep -c ' may not depend on ' "$WORK/train-includes-eval-angle.out") == 1 ]] ||
  { cat "$WORK/train-includes-eval-angle.out" >&2; fail "expected exactly one finding"; }
rm -rf "$WORK/src"
cp -r "$SRC/src" "$WORK/src"
echo '#include <config.h>' >>"$WORK/src/io/h5.cpp"
fails_with io-includes-core-angle 'io/h5.cpp includes <config.h>: io may not depend on core' \
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
