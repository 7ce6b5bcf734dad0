#!/usr/bin/env bash
# Pack what studies/gpu-study/run.sh needs on the GPU machine into .gpu-data
# (git-ignored), next to the .gpu-deps that bench/gpu/check.sh carries (both
# together exceed the device tool's 64 MiB, so the study runs as the second
# call of the same lease, which finds .gpu-deps still there):
#   bin/latentebm        built here with CI's LibTorch 2.11 recipe
#                        (scripts/setup-torch2.sh), as gpu_deps.sh --prebuilt
#                        builds the check's binaries
#   lib/                 libprotobuf (TensorBoard events), not in .gpu-deps
#   data/                Fashion-MNIST's idx files (the training images raw
#                        and xz-compressed: 23 MB instead of gzip's 26), the
#                        FD classifier of data/fashion-mnist.h5 (its key
#                        names the data by content, so FD on the GPU uses
#                        the same classifier as docs/RESULTS.md's CPU tables)
set -euo pipefail
cd "$(dirname "$0")/.."
G=.gpu-data
SRC=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
[[ -f data/fashion-mnist.h5 && -f data/fashion-mnist.h5.classifier.h5 ]] ||
  { echo "gpu_study_data: needs data/fashion-mnist.h5 and its classifier (run an eval on it first)" >&2; exit 1; }
TORCH2_TARGETS=latentebm bash scripts/setup-torch2.sh
rm -rf "$G" && mkdir -p "$G/bin" "$G/lib" "$G/data"
cp build-torch2/latentebm "$G/bin/" && strip --strip-debug "$G/bin/latentebm"
cp -L "$(ldd build-torch2/latentebm | awk '/libprotobuf/ { print $3 }')" "$G/lib/"
zcat "$SRC/train-images-idx3-ubyte.gz" | xz -9 -T0 >"$G/data/train-images-idx3-ubyte.xz"
cp "$SRC/train-labels-idx1-ubyte.gz" "$SRC/t10k-images-idx3-ubyte.gz" "$SRC/t10k-labels-idx1-ubyte.gz" "$G/data/"
cp data/fashion-mnist.h5.classifier.h5 "$G/data/"
git rev-parse --short HEAD >"$G/bin/COMMIT"
git diff --quiet HEAD -- src CMakeLists.txt || echo "(with uncommitted changes)" >>"$G/bin/COMMIT"
du -sh "$G"
