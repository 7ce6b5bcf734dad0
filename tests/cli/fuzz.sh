#!/usr/bin/env bash
# The CI fuzz pass (issue 48): builds every libFuzzer harness of fuzz/ (clang,
# ASan + UBSan) and runs each for FUZZ_SECONDS (default 5) from its committed
# seed corpus, fuzz/corpus/<harness>/ (which holds the regression inputs of
# past findings: each runs first). Fails on any finding (crash, sanitizer
# report, leak, timeout, out-of-memory, a broken promise of docs/DATA.md).
# Skips (77) where clang or its libFuzzer runtime is not installed; the matio
# and stb harnesses (cifar, svhn, image) only where libmatio-dev and
# libstb-dev are. Long runs: bash fuzz/run.sh 3600 (docs/FUZZING.md).
# usage: bash fuzz.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

CXX=${CXX_FUZZ:-clang++}
if ! command -v "$CXX" >/dev/null ||
  ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
  "$CXX" -x c++ -fsanitize=fuzzer,address,undefined - -o "$WORK/probe" 2>/dev/null; then
  echo "SKIP: no clang++ with libFuzzer (apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
HARNESSES=(idx mnist_json config dataset)
if pkg-config --exists matio && [[ -f /usr/include/stb/stb_image.h ]]; then
  HARNESSES+=(cifar svhn image)
else
  echo "   (cifar, svhn, image not run: libmatio-dev or libstb-dev missing)"
fi
cd "$SRC"
FUZZ_OUT="$WORK/fuzz" bash fuzz/run.sh "${FUZZ_SECONDS:-5}" "${HARNESSES[@]}" || {
  for h in "${HARNESSES[@]}"; do
    ls "$WORK/fuzz/$h/findings" 2>/dev/null | grep -q . && { echo "--- $h"; tail -40 "$WORK/fuzz/$h.log"; }
  done
  fail "a fuzz harness found something (its log above; the input is not kept: rerun bash fuzz/run.sh 60 <harness>)"
}
echo "fuzz pass: ${HARNESSES[*]} ran ${FUZZ_SECONDS:-5} s each without a finding"
