#!/usr/bin/env bash
# The CI fuzz pass (issue 48): builds every libFuzzer harness of fuzz/ (clang,
# ASan + UBSan) and runs each on FUZZ_RUNS inputs (default 1000, from the fixed
# seed 1) after its committed seed corpus, fuzz/corpus/<harness>/ (which holds the regression inputs of
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
HARNESSES=(idx mnist_json config dataset manifest model_file memory_file)
if pkg-config --exists matio && [[ -f /usr/include/stb/stb_image.h ]]; then
  HARNESSES+=(cifar svhn image)
else
  echo "   (cifar, svhn, image not run: libmatio-dev or libstb-dev missing)"
fi
cd "$SRC"
# A fixed number of inputs from a fixed seed (FUZZ_RUNS, default 1000), so the
# pass does not depend on the machine's speed; a crash inside libhdf5 goes on
# with the next seed (fuzz/run.sh). Two halves side by side, one per core (the
# compiles are most of the time): the harnesses on the data and HDF5 layer,
# which share its objects, and the rest.
DATA_HALF=() OTHER_HALF=()
for h in "${HARNESSES[@]}"; do
  case $h in idx | mnist_json | dataset | manifest | model_file | memory_file) DATA_HALF+=("$h") ;; *) OTHER_HALF+=("$h") ;; esac
done
FUZZ_OUT="$WORK/fuzz" FUZZ_RUNS=${FUZZ_RUNS:-1000} bash fuzz/run.sh 0 "${DATA_HALF[@]}" >"$WORK/fuzz-data.out" 2>&1 &
data_pid=$!
rc_other=0
FUZZ_OUT="$WORK/fuzz-other" FUZZ_RUNS=${FUZZ_RUNS:-1000} bash fuzz/run.sh 0 "${OTHER_HALF[@]}" >"$WORK/fuzz-other.out" 2>&1 || rc_other=$?
rc_data=0
wait "$data_pid" || rc_data=$?
cat "$WORK/fuzz-data.out" "$WORK/fuzz-other.out"
if ((rc_data || rc_other)); then
  for h in "${HARNESSES[@]}"; do
    for out in "$WORK/fuzz" "$WORK/fuzz-other"; do
      ls "$out/$h/findings" 2>/dev/null | grep -q . && { echo "--- $h"; tail -40 "$out/$h.log"; }
    done
  done
  fail "a fuzz harness found something (its log above; the input is not kept: rerun bash fuzz/run.sh 60 <harness>)"
fi
echo "fuzz pass: ${HARNESSES[*]} ran ${FUZZ_RUNS:-1000} inputs each without a finding"
