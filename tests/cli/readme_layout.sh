#!/usr/bin/env bash
# README's layout table names every header of src/ (scripts/check_readme_layout.sh),
# and that check catches a new one. Usage: readme_layout.sh <latentebm binary> <source dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

step "README's layout table names every header of src/"
ok readme-layout bash "$SRC/scripts/check_readme_layout.sh" "$SRC"

step "a header missing from the table is caught"
rm -rf "$WORK/repo" && mkdir -p "$WORK/repo"
cp -r "$SRC/src" "$SRC/README.md" "$WORK/repo/"
echo '#pragma once' >"$WORK/repo/src/model/new_idea.h"
fails_with readme-missing "README.md's layout table does not name src/model/new_idea.h" \
  bash "$SRC/scripts/check_readme_layout.sh" "$WORK/repo"
echo "readme_layout: ok"
