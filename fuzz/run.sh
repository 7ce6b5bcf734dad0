#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan + UBSan) for the binary readers
# and run each for a bounded time. Needs Debian's clang (14) and its
# libclang-rt-14-dev runtime, libmatio-dev and libstb-dev; the normal build
# never needs any of this.
#
#   bash fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS...]   (default 60; cifar svhn image)
#
# Findings (crash-*, leak-*, timeout-*, oom-*) land in fuzz/out/<harness>/;
# the log of each run in fuzz/out/<harness>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
HARNESSES=("$@")
((${#HARNESSES[@]})) || HARNESSES=(cifar svhn image)

CXX=${CXX_FUZZ:-clang++}
CC=${CC_FUZZ:-clang}
OUT=fuzz/out
mkdir -p "$OUT/bin"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1"
CXXFLAGS="-std=c++17 $SAN -Isrc -I/usr/include/stb $(pkg-config --cflags matio)"
LIBS="$(pkg-config --libs matio)"

echo "building harnesses with $($CXX --version | head -1)"
$CC -fsanitize=fuzzer-no-link,address,undefined -g -O1 -I/usr/include/stb -c fuzz/stb_impl.c -o "$OUT/bin/stb_impl.o"
$CXX $CXXFLAGS fuzz/fuzz_cifar.cpp src/data/readers.cpp -o "$OUT/bin/fuzz_cifar" $LIBS
$CXX $CXXFLAGS fuzz/fuzz_svhn.cpp src/data/readers.cpp -o "$OUT/bin/fuzz_svhn" $LIBS
$CXX $CXXFLAGS fuzz/fuzz_image.cpp src/data/images.cpp src/data/readers.cpp "$OUT/bin/stb_impl.o" \
  -o "$OUT/bin/fuzz_image" $LIBS
# Seeds: valid files of each format, written through matio and stb_image_write.
$CXX -std=c++17 -O1 -I/usr/include/stb $(pkg-config --cflags matio) fuzz/make_seeds.cpp -o "$OUT/bin/make_seeds" \
  $LIBS -lstb
"$OUT/bin/make_seeds" "$OUT/seeds"

declare -A MAXLEN=([cifar]=12400 [svhn]=16384 [image]=16384)
# matio sizes some allocations from header fields inside compressed elements
# before our checks can see them (a 332-byte file made it calloc 4.7 GB, see
# docs/FUZZING.md); allow large single allocations there so fuzzing goes on,
# while the RSS limit still catches memory that is really used.
declare -A EXTRA=([cifar]="" [svhn]="-malloc_limit_mb=16384" [image]="")
for h in "${HARNESSES[@]}"; do
  mkdir -p "$OUT/$h/corpus" "$OUT/$h/findings"
  echo "== $h: ${SECONDS_EACH}s"
  # Exit status is non-zero when a finding stops the run; report and go on.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  "$OUT/bin/fuzz_$h" "$OUT/$h/corpus" "$OUT/seeds/$h" -max_total_time="$SECONDS_EACH" \
    -max_len="${MAXLEN[$h]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$OUT/$h/findings/" ${EXTRA[$h]} > "$OUT/$h.log" 2>&1 || echo "   $h stopped with a finding (see $OUT/$h.log)"
  grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$OUT/$h.log" | tail -4
  ls "$OUT/$h/findings"
done
