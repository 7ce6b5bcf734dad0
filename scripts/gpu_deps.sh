#!/usr/bin/env bash
# Prepare the Debian libraries latentebm builds against for the GPU machine,
# which has CUDA, NCCL and a CUDA LibTorch (its PyTorch install) but no
# package registry: download the .debs here (Debian 12, package registry
# reachable), extract them into .gpu-deps/root (git-ignored) and prune what a
# build does not need, to stay well inside the 64 MiB the device tool carries.
# Then: run(command="bash bench/gpu/check.sh", carry=[".gpu-deps"]).
# With --prebuilt it also builds the check's binaries here (see the end).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.gpu-deps
PKGS=(
  # MPI (headers, libraries, mpirun and its plugins)
  libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common libpmix2 libhwloc15 libevent-2.1-7 libevent-core-2.1-7
  libevent-pthreads-2.1-7 libfabric1 libucx0 libibverbs1 librdmacm1 libpsm2-2 libpsm-infinipath1 libnl-3-200
  libnl-route-3-200
  # HDF5 and what it links
  libhdf5-dev libhdf5-103-1 libsz2 libaec0 libaec-dev libcurl4
  # logging, config, JSON, tests
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libyaml-cpp-dev libyaml-cpp0.7 nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
  # images, npz, SVHN
  libzip-dev libzip4 libmatio-dev libmatio11 libstb-dev libstb0 libpng-dev libpng16-16 zlib1g-dev
  # what HDF5's libcurl links that an Ubuntu-based GPU image may lack or
  # carries under another soname (bench_iteration failed on libssh2.so.1 there)
  libssh2-1 libldap-2.5-0 libsasl2-2 librtmp1 libnghttp2-14 libpsl5 libbrotli1 libgssapi-krb5-2 libkrb5-3
  libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2 libidn2-0 libunistring2 libgnutls30 libnettle8 libhogweed6
  libp11-kit0 libtasn1-6 libgmp10
)
rm -rf "$DEST" && mkdir -p "$DEST/debs" "$DEST/root"
(cd "$DEST/debs" && apt-get download "${PKGS[@]}" >/dev/null)
for f in "$DEST"/debs/*.deb; do dpkg -x "$f" "$DEST/root"; done
rm -rf "$DEST/debs"
R=$DEST/root
rm -rf "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/lintian" "$R/usr/lib/x86_64-linux-gnu/fortran" \
  "$R/usr/include/hdf5/serial/"*.mod "$R/usr/lib/x86_64-linux-gnu/openmpi/lib/"*mpifh* "$R/usr/lib/x86_64-linux-gnu/openmpi/lib/"*usempi*
find "$R" -name '*.a' ! -name 'libgtest*.a' ! -name 'libgmock*.a' -delete
find "$R" -name '*fortran*' -prune -exec rm -rf {} +
du -sh "$R"
echo "gpu_deps: $R ready; carry .gpu-deps with bench/gpu/check.sh"

# --prebuilt: also build the GPU check's binaries here with CI's recipe
# (scripts/setup-torch2.sh: PyPI's torch 2.11 wheel, the CUDA 13 toolkit) and
# put them in .gpu-deps/bin, so the GPU machine runs them against its own
# PyTorch 2.11 instead of spending its minutes compiling.
if [[ ${1:-} == --prebuilt ]]; then
  TARGETS="model_test_cuda_parity model_test_cuda_graph_langevin model_test_precision distributed_test_collective_wait distributed_nccl_backend bench_iteration"
  TORCH2_TARGETS="$TARGETS" bash scripts/setup-torch2.sh
  mkdir -p "$DEST/bin"
  for t in $TARGETS; do
    f=$(find build-torch2/tests build-torch2/bench -maxdepth 1 -name "$t" -type f | head -1)
    [[ -n $f ]] || { echo "gpu_deps: $t was not built" >&2; exit 1; }
    cp "$f" "$DEST/bin/" && strip --strip-debug "$DEST/bin/$t"
  done
  # The machine then compiles nothing: without the headers and static
  # libraries the carried tree (with the working tree) stays inside 64 MiB.
  rm -rf "$R/usr/include"
  find "$R" -name '*.a' -delete
  git rev-parse --short HEAD >"$DEST/bin/COMMIT"
  git diff --quiet HEAD -- src tests bench CMakeLists.txt || echo "(with uncommitted changes)" >>"$DEST/bin/COMMIT"
  du -sh "$DEST/bin"
fi
