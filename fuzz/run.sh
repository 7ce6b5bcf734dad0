#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan + UBSan) for the binary readers
# and run each for a bounded time. Needs Debian's clang (14) and its
# libclang-rt-14-dev runtime, libmatio-dev and libstb-dev; the normal build
# never needs any of this.
#
#   bash fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS...]   (default 60; all: cifar svhn image idx mnist_json config dataset
#                                                         manifest model_file memory_file)
#   FUZZ_OUT=DIR puts the binaries, corpora and findings there (default fuzz/out). Exit status 1 on a finding.
#
# Findings (crash-*, leak-*, timeout-*, oom-*) land in fuzz/out/<harness>/;
# the log of each run in fuzz/out/<harness>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
HARNESSES=("$@")
((${#HARNESSES[@]})) || HARNESSES=(cifar svhn image idx mnist_json config dataset manifest model_file memory_file)

CXX=${CXX_FUZZ:-clang++}
CC=${CC_FUZZ:-clang}
OUT=${FUZZ_OUT:-fuzz/out}
mkdir -p "$OUT/bin"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1"
CXXFLAGS="-std=c++17 $SAN -Isrc"
HDF5_CFLAGS="-I/usr/include/hdf5/serial"
HDF5_LIBS="-L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5"

echo "building harnesses with $($CXX --version | head -1)"
need_seeds=0
for h in "${HARNESSES[@]}"; do
  case $h in
    cifar) $CXX $CXXFLAGS fuzz/fuzz_cifar.cpp src/data/readers.cpp -o "$OUT/bin/fuzz_cifar" $(pkg-config --cflags --libs matio)
      need_seeds=1 ;;
    svhn) $CXX $CXXFLAGS fuzz/fuzz_svhn.cpp src/data/readers.cpp -o "$OUT/bin/fuzz_svhn" $(pkg-config --cflags --libs matio)
      need_seeds=1 ;;
    image)
      $CC -fsanitize=fuzzer-no-link,address,undefined -g -O1 -I/usr/include/stb -c fuzz/stb_impl.c -o "$OUT/bin/stb_impl.o"
      $CXX $CXXFLAGS -I/usr/include/stb fuzz/fuzz_image.cpp src/data/images.cpp src/data/readers.cpp "$OUT/bin/stb_impl.o" \
        -o "$OUT/bin/fuzz_image" $(pkg-config --cflags --libs matio)
      need_seeds=1 ;;
    # The readers of issue 48; seeds committed in fuzz/corpus/<harness>/.
    idx | mnist_json | dataset | manifest | model_file | memory_file)
      # The data and HDF5 layer (and the checkpoint files' readers, which
      # need no LibTorch), compiled once for these harnesses.
      if [[ -z ${DATA_OBJECTS_BUILT:-} ]]; then
        mkdir -p "$OUT/bin/data"
        for src in src/data/mnist_readers.cpp src/data/dataset.cpp src/data/dataset_writer.cpp src/io/h5.cpp src/io/io_stats.cpp \
          src/io/write_fault.cpp src/train/checkpoint_files.cpp; do
          $CXX -std=c++17 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1 -Isrc \
            $HDF5_CFLAGS -c "$src" -o "$OUT/bin/data/$(basename "$src" .cpp).o"
        done
        DATA_OBJECTS_BUILT=1
      fi
      $CXX $CXXFLAGS $HDF5_CFLAGS "fuzz/fuzz_$h.cpp" "$OUT"/bin/data/*.o -o "$OUT/bin/fuzz_$h" $HDF5_LIBS -lz
      if [[ $h != idx && $h != mnist_json && $h != dataset && ! -x $OUT/bin/make_checkpoint_seeds ]]; then
        # The checkpoint seeds' writer (its output is committed in fuzz/corpus/).
        $CXX $CXXFLAGS $HDF5_CFLAGS -fno-sanitize=fuzzer fuzz/make_checkpoint_seeds.cpp "$OUT"/bin/data/*.o \
          -o "$OUT/bin/make_checkpoint_seeds" $HDF5_LIBS -lz
      fi ;;
    config) $CXX $CXXFLAGS fuzz/fuzz_config.cpp src/config.cpp src/method.cpp src/generator_kind.cpp -o "$OUT/bin/fuzz_config" -lyaml-cpp -lfmt ;;
    *) echo "unknown harness '$h' (cifar svhn image idx mnist_json config dataset manifest model_file memory_file)" >&2; exit 2 ;;
  esac
done
if ((need_seeds)); then
  # Seeds: valid files of each format, written through matio and stb_image_write.
  $CXX -std=c++17 -O1 -I/usr/include/stb $(pkg-config --cflags matio) fuzz/make_seeds.cpp -o "$OUT/bin/make_seeds" \
    $(pkg-config --libs matio) -lstb
  "$OUT/bin/make_seeds" "$OUT/seeds"
fi

declare -A MAXLEN=([cifar]=12400 [svhn]=16384 [image]=16384 [idx]=8192 [mnist_json]=65536 [config]=8192 [dataset]=65536
  [manifest]=16384 [model_file]=65536 [memory_file]=65536)
# matio sizes some allocations from header fields inside compressed elements
# before our checks can see them (a 332-byte file made it calloc 4.7 GB, see
# docs/FUZZING.md); allow large single allocations there so fuzzing goes on,
# while the RSS limit still catches memory that is really used.
declare -A EXTRA=([svhn]="-malloc_limit_mb=16384")
# libhdf5 (uninstrumented) leaks a few bytes on some corrupt files (docs/FUZZING.md):
# LeakSanitizer ignores allocations whose stack ends in libhdf5; leaks in our code still stop the run.
declare -A LSAN=([dataset]="suppressions=$PWD/fuzz/lsan-hdf5.supp" [model_file]="suppressions=$PWD/fuzz/lsan-hdf5.supp"
  [memory_file]="suppressions=$PWD/fuzz/lsan-hdf5.supp")
# libhdf5 1.10.8, uninstrumented, has its own bugs on crafted files
# (docs/FUZZING.md): it reads past its heap blocks inside its memcpy calls, and
# it sizes allocations from header fields (a 4 GB malloc in H5C_protect under
# H5Lexists in fuzz_model_file's first minute; under ASan each such block
# costs a 512 MB shadow write, 5 executions a second). For the HDF5 harnesses
# ASan ignores errors in interceptors called from libhdf5, and an allocation
# above 1 GB fails (returns NULL, which HDF5 reports as an error) as on a
# machine without overcommit, so fuzzing goes on past HDF5's bugs to ours.
# Our readers bound every allocation by the sizes they expect; one of ours
# above 1 GB (operator new) is reported by ASan as out of memory: a finding.
HDF5_ASAN=":suppressions=$PWD/fuzz/asan-hdf5.supp:max_allocation_size_mb=1024"
declare -A ASAN_EXTRA=([dataset]=$HDF5_ASAN [model_file]=$HDF5_ASAN [memory_file]=$HDF5_ASAN)
# FUZZ_RUNS=N: N inputs from the fixed seed FUZZ_SEED (default 1) instead of a
# time, so a CI pass does not depend on the machine's speed (the loop below
# passes -runs and -seed).
# FUZZ_GO_ON=1: a long campaign that goes on past crashes (libFuzzer's fork
# mode, one job: -ignore_crashes=1; out-of-memory and timeouts still stop it),
# each crash kept in findings/ and triaged at the end: rerun alone, it is
# "libhdf5" when the first frame of its report outside the sanitizer, libc
# and libFuzzer lies in libhdf5, else "ours" (or "no sanitizer report").
# Only "ours" fails the run.
GO_ON=""
[[ ${FUZZ_GO_ON:-0} == 1 ]] && GO_ON="-fork=1 -ignore_crashes=1 -ignore_ooms=0 -ignore_timeouts=0"
triage_report() {  # the verdict on the first sanitizer report of the text on stdin
  local first
  first=$(sed -n '/^==[0-9]*==ERROR/,$p' | grep -E '^ +#[0-9]+ ' |
    grep -vE '__interceptor_|__asan|__sanitizer|libclang_rt|libc\.so|/sysdeps/|fuzzer::|LLVMFuzzerTestOneInput|_start|__libc' | head -1 || true)
  if [[ -z $first ]]; then echo "no sanitizer report"
  elif [[ $first == *libhdf5* ]]; then echo "libhdf5: ${first##* in }"
  else echo "ours: ${first##* in }"; fi
}
triage() {  # triage HARNESS FILE: rerun the input alone (it is expected to fail: no set -e exit)
  { ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1${ASAN_EXTRA[$1]:-} "$OUT/bin/fuzz_$1" "$2" 2>&1 || true; } | triage_report
}
status=0
for h in "${HARNESSES[@]}"; do
  mkdir -p "$OUT/$h/corpus" "$OUT/$h/findings"
  seeds="$OUT/seeds/$h"
  [[ -d fuzz/corpus/$h ]] && seeds="fuzz/corpus/$h"
  if [[ -n ${FUZZ_RUNS:-} ]]; then echo "== $h: $FUZZ_RUNS runs, seed ${FUZZ_SEED:-1}"; else echo "== $h: ${SECONDS_EACH}s"; fi
  # A run that stops on a crash inside libhdf5 (triage above) goes on from the
  # corpus it grew, with the next seed, for the inputs it had left: up to 5
  # such restarts. (libhdf5's NULL read in H5F__accum_read does not crash on
  # every machine at the same input, so a fixed seed alone cannot keep the CI
  # pass off it.) Any other finding stops the harness and fails the run.
  seed=${FUZZ_SEED:-1} left=${FUZZ_RUNS:-0} restarts=0
  : >"$OUT/$h.log"
  while :; do
    length="-max_total_time=$SECONDS_EACH"
    [[ -n ${FUZZ_RUNS:-} ]] && length="-runs=$left -seed=$seed"
    rc=0
    # Exit status is non-zero when a finding stops the run.
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1${ASAN_EXTRA[$h]:-} LSAN_OPTIONS=${LSAN[$h]:-} \
    "$OUT/bin/fuzz_$h" "$OUT/$h/corpus" "$seeds" $length \
      -max_len="${MAXLEN[$h]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$OUT/$h/findings/" ${EXTRA[$h]:-} $GO_ON > "$OUT/$h.run.log" 2>&1 || rc=$?
    cat "$OUT/$h.run.log" >> "$OUT/$h.log"
    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$OUT/$h.run.log" | tail -4
    if [[ -n $GO_ON ]]; then
      ours=0
      for f in "$OUT/$h/findings"/*; do
        [[ -f $f ]] || continue
        verdict=$(triage "$h" "$f")
        echo "   $(basename "$f"): $verdict"
        [[ $verdict == ours* ]] && ours=1
      done
      ((ours)) && status=1
      break
    fi
    ((rc == 0)) && break
    # the input this run stopped on, as libFuzzer names it
    new=$(grep -o "Test unit written to .*" "$OUT/$h.run.log" | tail -1 | sed 's/^Test unit written to //')
    # judged by the report the run itself printed (libhdf5's NULL read does
    # not always recur when the input is rerun alone)
    verdict=$(triage_report <"$OUT/$h.run.log")
    new=$(basename "${new:-?}")
    executed=$(grep -E "stat::number_of_executed_units" "$OUT/$h.run.log" | tail -1 | awk '{print $2}')
    if [[ -n ${FUZZ_RUNS:-} && $verdict == libhdf5* && $restarts -lt 5 && -n $executed ]] && ((executed < left)); then
      echo "   $new: $verdict (libhdf5's own bug, docs/FUZZING.md); going on with seed $((seed + 1)) for $((left - executed)) more inputs"
      left=$((left - executed)) seed=$((seed + 1)) restarts=$((restarts + 1))
      continue
    fi
    echo "   $h stopped with a finding (see $OUT/$h.log): $new: $verdict"
    status=1
    break
  done
done
exit $status
