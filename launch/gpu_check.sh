#!/usr/bin/env bash
# One prepared GPU check, for the device tool's machine: one (or more) CUDA
# GPU, PyTorch 2.x with CUDA and NCCL installed, no package registry.
#
#   here:  bash scripts/gpu_deps.sh              (Debian libraries -> .gpu-deps/)
#     or:  bash scripts/gpu_deps.sh --prebuilt   (and the check's binaries, built
#          here with CI's LibTorch 2.11 recipe: the machine then builds nothing;
#          building there took 457 s of the 8 minutes on 2026-11-30)
#   there: run(command="bash launch/gpu_check.sh", carry=[".gpu-deps"], timeout_s=540)
#
# Builds with the same recipe as CI's LibTorch 2.x flavour
# (scripts/setup-torch2.sh), pointed at the machine's installed PyTorch
# instead of a downloaded wheel and at the carried Debian libraries. Then, in
# one run meant to finish inside 8 minutes:
#   1. the GPU tests: CPU-vs-CUDA parity, graphed-vs-eager Langevin parity,
#      bf16 generator, and the NCCL timed-wait unit test;
#   2. the NCCL all-reduce on device memory with 1 rank, and 2 ranks when the
#      machine has 2 GPUs;
#   3. bench_iteration on the svhn preset (batch 100, L = 30): iteration time,
#      31 standalone generator passes, their ratio, the projected 100-epoch
#      SVHN schedule (73,257 images), for eager vs CUDA-graph chains and
#      fp32 vs tf32 vs bf16;
#   4. bench_iteration on the main job's preset (fashion-mnist-quick) with
#      langevin noise, for fp32 graphed / eager and tf32 graphed.
# Output, under $OUT (or gpu-check-out/ when run by hand):
#   gpu_check.log    everything printed
#   build.log        the configure + build output
#   bench.csv        one row per svhn benchmark run (bench_iteration --record)
#   bench-fashion.csv  the same for the main job's preset
#   gpu_figures.md   the same as a Markdown table, for docs/PERFORMANCE.md
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
D=$ROOT/.gpu-deps/root
OUTDIR=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu_check.log") 2>&1
T0=$SECONDS
stamp() { echo "== [$((SECONDS - T0)) s] $*"; }
[[ -d $D ]] || { echo "gpu_check: $D missing: run scripts/gpu_deps.sh here and carry .gpu-deps"; exit 2; }

stamp "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
GPUS=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | wc -l)
echo "cores $(nproc) | GPUs $GPUS"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count(), "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI)'
source launch/gpu_env.sh
# A GPU test that skips here fails instead (tests/support/gpu.h, issue 51).
export LATENTEBM_REQUIRE_GPU=$((GPUS > 1 ? GPUS : 1))

if [[ -x $ROOT/.gpu-deps/bin/bench_iteration ]]; then
  # Built here by `bash scripts/gpu_deps.sh --prebuilt` with CI's recipe
  # against PyPI's torch of the same version: run them on this machine's
  # LibTorch (same version, ABI) and CUDA libraries.
  stamp "prebuilt binaries (scripts/gpu_deps.sh --prebuilt) from $(tr '\n' ' ' <"$ROOT/.gpu-deps/bin/COMMIT")"
  B=$ROOT/build-gpu
  mkdir -p "$B/tests" "$B/bench"
  for f in "$ROOT"/.gpu-deps/bin/*; do
    case $(basename "$f") in bench_*) cp "$f" "$B/bench/" ;; COMMIT) ;; *) cp "$f" "$B/tests/" ;; esac
  done
  chmod +x "$B"/tests/* "$B"/bench/*
  for f in "$B"/tests/* "$B"/bench/*; do ldd "$f" | grep 'not found' | sed "s|^|  $(basename "$f"): |"; done
else
stamp "configure + build (scripts/setup-torch2.sh against the installed PyTorch)"
B=build-gpu
TORCH2_SITE=$TORCH_SITE TORCH2_NO_APT=1 TORCH2_BUILD_DIR=$B JOBS=$(nproc) \
  TORCH2_TARGETS="model_test_cuda_parity model_test_cuda_graph_langevin model_test_precision distributed_test_collective_wait distributed_nccl_backend bench_iteration" \
  TORCH2_PREFIX_PATH="$D/usr" TORCH2_CMAKE_ARGS="-DMPI_CXX_COMPILER=$D/usr/bin/mpicxx.openmpi -DMPI_C_COMPILER=$D/usr/bin/mpicc.openmpi -DHDF5_C_INCLUDE_DIR=$D/usr/include/hdf5/serial -DHDF5_C_LIBRARY_hdf5=$LIBD/hdf5/serial/libhdf5.so" \
  bash scripts/setup-torch2.sh >"$OUTDIR/build.log" 2>&1
grep -E "error|Error|setup-torch2|FAILED|latentebm:" "$OUTDIR/build.log" | head -60
[[ -x $B/bench/bench_iteration ]] || { echo "gpu_check: build failed"; exit 1; }
fi

stamp "GPU tests: CPU vs CUDA parity, graphed vs eager Langevin, bf16 generator, NCCL timed wait"
for t in model_test_cuda_parity model_test_cuda_graph_langevin model_test_precision distributed_test_collective_wait; do
  timeout 120 "$B/tests/$t" 2>&1 | grep -E "^\[ +(OK|FAILED|SKIPPED|PASSED) |Failure|error|Expected|Which is|actual" | head -30
done
stamp "NCCL all-reduce on device memory, 1 rank"
timeout 120 "$MPIRUN" -np 1 "$B/tests/distributed_nccl_backend" 2>&1 | tail -8
if ((GPUS >= 2)); then
  stamp "NCCL all-reduce on device memory, 2 ranks"
  timeout 120 "$MPIRUN" -np 2 --oversubscribe "$B/tests/distributed_nccl_backend" 2>&1 | tail -8
fi

CSV=$OUTDIR/bench.csv
rm -f "$CSV"
bench() {  # label, then overrides
  local label=$1
  shift
  stamp "bench_iteration svhn, batch 100, L = 30: $label"
  timeout 60 "$B/bench/bench_iteration" configs/svhn.yaml 20 --schedule-images=73257 --record="$CSV" \
    runtime.device=cuda "$@" 2>&1 | tail -5
}
bench "fp32, eager chains" runtime.precision=fp32 runtime.cuda_graph=off
bench "fp32, CUDA-graph chains" runtime.precision=fp32 runtime.cuda_graph=on
bench "tf32, CUDA-graph chains" runtime.precision=tf32 runtime.cuda_graph=on
bench "bf16, CUDA-graph chains" runtime.precision=bf16 runtime.cuda_graph=on
bench "bf16, eager chains" runtime.precision=bf16 runtime.cuda_graph=off

# The main job's preset (mnist28, ngf 16, nz 32, batch 64, L = 20) with the
# noise RESULTS.md recommends (prior_samples=langevin): what a longer
# Fashion-MNIST budget costs on a GPU (issue 12's convergence question).
CSVF=$OUTDIR/bench-fashion.csv
rm -f "$CSVF"
benchf() {  # label, then overrides
  local label=$1
  shift
  stamp "bench_iteration fashion-mnist-quick, batch 64, L = 20, langevin noise: $label"
  timeout 60 "$B/bench/bench_iteration" configs/fashion-mnist-quick.yaml 50 --record="$CSVF" \
    runtime.device=cuda train.prior_samples=langevin "$@" 2>&1 | tail -4
}
benchf "fp32, CUDA-graph chains" runtime.precision=fp32 runtime.cuda_graph=on
benchf "fp32, eager chains" runtime.precision=fp32 runtime.cuda_graph=off
benchf "tf32, CUDA-graph chains" runtime.precision=tf32 runtime.cuda_graph=on

stamp "figures"
if [[ -f $CSV ]]; then
  GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  awk -F, -v gpu="$GPU_NAME" 'NR == 1 { next }
    NR == 2 { print "| GPU | LibTorch | precision | Langevin chains | iteration | 31 generator passes | ratio | gen loss | projected 100-epoch SVHN | training loop, back to back | projected from the loop |";
              print "|---|---|---|---|---|---|---|---|---|---|---|" }
    { printf "| %s | %s | %s | %s | %.2f ms | %.2f ms | %.3f | %s | %.1f min (%s it) | %.2f ms | %.1f min |\n", gpu, $2, $4,
             ($6 == 1 ? "CUDA graph" : "eager"), $11 * 1000, $12 * 1000, $13, $16, $15, $14, $19 * 1000, $14 * $19 / 60 }' "$CSV" |
    tee "$OUTDIR/gpu_figures.md"
fi
if [[ -f $CSVF ]]; then
  awk -F, 'NR == 1 { next }
    NR == 2 { print "";
              print "| fashion-mnist-quick, langevin noise: LibTorch | precision | Langevin chains | iteration | L+1 generator passes | ratio | training loop, back to back | 24,000 iterations from the loop |";
              print "|---|---|---|---|---|---|---|---|" }
    { printf "| %s | %s | %s | %.2f ms | %.2f ms | %.3f | %.2f ms | %.1f min |\n", $2, $4,
             ($6 == 1 ? "CUDA graph" : "eager"), $11 * 1000, $12 * 1000, $13, $19 * 1000, 24000 * $19 / 60 }' "$CSVF" |
    tee -a "$OUTDIR/gpu_figures.md"
fi
stamp "done"
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader || true
