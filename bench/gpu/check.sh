#!/usr/bin/env bash
# One prepared GPU check, for the device tool's machine: one (or more) CUDA
# GPU, PyTorch 2.x with CUDA and NCCL installed, no package registry.
#
#   here:  bash scripts/gpu_deps.sh              (Debian libraries -> .gpu-deps/)
#     or:  bash scripts/gpu_deps.sh --prebuilt   (and the check's binaries, built
#          here with CI's LibTorch 2.11 recipe: the machine then builds nothing;
#          building there took 457 s of the 8 minutes on 2026-11-30)
#   there: run(command="bash bench/gpu/check.sh", carry=[".gpu-deps"], timeout_s=540)
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
#      langevin noise, for fp32 graphed / eager and tf32 graphed;
#   5. the PyTorch peer (bench/peer/latentebm_peer.py, the machine's PyTorch)
#      beside latentebm's training loop, one after the other in this call, for
#      quick (fp32), svhn (bf16) and celebahq128 (bf16): both time the loop
#      back to back at stage 1 (PEER_ITERS iterations after a warm-up); the peer
#      eager and with its whole iteration in one CUDA graph; the table gives
#      peer / latentebm (issue 45's goal: >= 1.25 against the faster peer);
#   6. celebahq128 (synthetic 128x128 images made on the machine, batch 64,
#      L = 30) with bench_iteration in fp32, tf32 and bf16 (graphed chains):
#      iteration, 31 passes, the loop, the device memory in use at its peak
#      (nvidia-smi, sampled every 0.2 s, CUDA context included), the projected
#      100-epoch schedule (27,000 images); then the largest batch that fits:
#      the peak at batch 64 and 256 fitted by a line, the batch it projects
#      for an 80 GB H100 (81,559 MiB, or the card, if smaller) tried, and
#      10 % more.
# Steps 5 and 6 are skipped, saying so, when less of BUDGET_S (default 450 s
# from the start) is left than each needs, so a run and a rerun fit in the
# device tool's 15 minutes.
# Output, under $OUT (or gpu-check-out/ when run by hand):
#   gpu_check.log    everything printed
#   build.log        the configure + build output
#   bench.csv        one row per svhn benchmark run (bench_iteration --record)
#   bench-fashion.csv  the same for the main job's preset
#   bench-celebahq128.csv  the same for celebahq128, with peak memory beside it (memory.csv)
#   peer.csv         step 5's times, one row per preset
#   batch.csv        step 6's batch search
#   gpu_figures.md   the same as Markdown tables, for docs/PERFORMANCE.md
#
# Dry run on a CPU machine (no GPU, no .gpu-deps; control flow and tables
# only, tiny batches and chains, so no figure means anything):
#   GPU_CHECK_LOCAL=1 [BUILD=build] [PEER_PYTHON=python-with-torch-2] bash bench/gpu/check.sh
# It skips the GPU tests, NCCL, the peer's CUDA-graph mode and the memory
# figures, runs every benchmark on the CPU and prints every table.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
D=$ROOT/.gpu-deps/root
OUTDIR=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu_check.log") 2>&1
T0=$SECONDS
BUDGET_S=${BUDGET_S:-450}
LOCAL=${GPU_CHECK_LOCAL:-0}
stamp() { echo "== [$((SECONDS - T0)) s] $*"; }
left() { echo $((BUDGET_S - (SECONDS - T0))); }
# a step's time limit: at most $1 s, and no more than the budget has left (10 s at least)
cap() { local l; l=$(left); echo $((l < $1 ? (l > 10 ? l : 10) : $1)); }
# dry run (CPU): every benchmark shrunk to a few small steps
if [[ $LOCAL == 1 ]]; then
  DEV=(runtime.device=cpu train.batch_size=4 train.langevin_steps=2 train.prior_langevin_steps=2)
  PEER_DEV=(--device cpu --threads 1 --batch 4 --langevin-steps 2 --prior-steps 2)
else
  DEV=(runtime.device=cuda)
  PEER_DEV=(--device cuda)
fi
PY=${PEER_PYTHON:-python3}
# JSON value KEY of the line "TAG {...}" in FILE (empty when absent)
jget() { sed -n "s/^$2 //p" "$1" | tail -1 | "$PY" -c 'import json, sys
t = sys.stdin.read().strip()
v = json.loads(t).get(sys.argv[1]) if t else None
print("" if v is None else v)' "$3" 2>/dev/null; }

if [[ $LOCAL == 1 ]]; then
  stamp "dry run on the CPU (GPU_CHECK_LOCAL=1): no GPU tests, tiny shapes; the figures mean nothing"
  B=${BUILD:-$ROOT/build}
  [[ -x $B/bench/bench_iteration ]] || { echo "gpu_check: no $B/bench/bench_iteration (build the bench targets, or set BUILD)"; exit 2; }
  GPUS=0
  echo "cores $(nproc) | peer Python: $("$PY" -c 'import torch; print("torch", torch.__version__)' 2>&1 | tail -1)"
else
[[ -d $D ]] || { echo "gpu_check: $D missing: run scripts/gpu_deps.sh here and carry .gpu-deps"; exit 2; }

stamp "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
GPUS=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | wc -l)
echo "cores $(nproc) | GPUs $GPUS"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count(), "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI)'
source bench/gpu/env.sh
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
fi  # GPU_CHECK_LOCAL

CSV=$OUTDIR/bench.csv
rm -f "$CSV"
bench() {  # label, then overrides
  local label=$1
  shift
  stamp "bench_iteration svhn, batch 100, L = 30: $label"
  timeout 60 "$B/bench/bench_iteration" configs/svhn.yaml $((LOCAL ? 2 : 20)) --schedule-images=73257 --record="$CSV" \
    "${DEV[@]}" "$@" 2>&1 | tail -6 | grep -v '^LATENTEBM_RESULT'
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
  timeout 60 "$B/bench/bench_iteration" configs/fashion-mnist-quick.yaml $((LOCAL ? 2 : 50)) --record="$CSVF" \
    "${DEV[@]}" train.prior_samples=langevin "$@" 2>&1 | tail -5 | grep -v '^LATENTEBM_RESULT'
}
benchf "fp32, CUDA-graph chains" runtime.precision=fp32 runtime.cuda_graph=on
benchf "fp32, eager chains" runtime.precision=fp32 runtime.cuda_graph=off
benchf "tf32, CUDA-graph chains" runtime.precision=tf32 runtime.cuda_graph=on

# Device memory in use (MiB, nvidia-smi) at its highest while "$@" runs,
# sampled every 0.2 s, into PEAK_MIB; the command's status is returned. On
# the dry run: no figure.
with_peak_memory() {
  PEAK_MIB=""
  if [[ $LOCAL == 1 ]]; then "$@"; return; fi
  "$@" &
  local pid=$! peak=0 m
  while kill -0 "$pid" 2>/dev/null; do
    m=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 2>/dev/null | head -1 | tr -dc 0-9)
    [[ -n $m ]] && ((m > peak)) && peak=$m
    sleep 0.2
  done
  wait "$pid"
  local rc=$?
  PEAK_MIB=$peak
  return $rc
}

# 5. The peer beside latentebm: the training loop back to back, stage 1,
# same preset, shapes, precision; latentebm with graphed chains, the peer
# eager and (CUDA) with its whole iteration in one CUDA graph.
PEER=bench/peer/latentebm_peer.py
PEERCSV=$OUTDIR/peer.csv
rm -f "$PEERCSV"
PEER_ITERS=${PEER_ITERS:-200}
if ! "$PY" -c 'import sys, torch; sys.exit(0 if int(torch.__version__.split(".")[0]) >= 2 else 1)' 2>/dev/null; then
  stamp "peer: skipped, $PY cannot import PyTorch 2.x"
else
  echo "preset,precision,batch,L,iterations,latentebm_ms,peer_eager_ms,peer_graph_ms,peer_eager_over_latentebm,peer_graph_over_latentebm,peer_eager_fwd_per_it,peer_eager_peak_mib,peer_graph_peak_mib" >"$PEERCSV"
  for spec in quick:configs/fashion-mnist-quick.yaml:fp32:$PEER_ITERS svhn:configs/svhn.yaml:bf16:$PEER_ITERS \
              celebahq128:configs/celebahq128.yaml:bf16:$((PEER_ITERS / 2)); do
    IFS=: read -r preset cfg prec iters <<<"$spec"
    ((LOCAL)) && iters=2 prec=fp32  # (CPU bf16 is slow enough to time the dry run out)
    if (($(left) < 90)); then stamp "peer $preset: skipped, $(left) s of the budget left"; continue; fi
    stamp "peer vs latentebm, $preset ($prec), $iters iterations back to back after 5 warm-up"
    L_OUT=$OUTDIR/peer-$preset-latentebm.txt
    # the quick preset's own noise (langevin), as the peer's quick preset
    timeout "$(cap 120)" "$B/bench/bench_iteration" "$cfg" "$iters" --loop-only --warmup=5 "${DEV[@]}" runtime.precision="$prec" \
      runtime.cuda_graph=on log.noise_reference_samples=0 >"$L_OUT" 2>&1
    grep -E "^training loop|^bench_iteration:" "$L_OUT"
    lat=$(jget "$L_OUT" LATENTEBM_RESULT ms_per_iteration)
    declare -A PMS=() PFWD=() PMEM=()
    for mode in eager cudagraph; do
      if [[ $mode == cudagraph && $LOCAL == 1 ]]; then PMS[$mode]=""; continue; fi
      P_OUT=$OUTDIR/peer-$preset-$mode.txt
      timeout "$(cap 180)" "$PY" "$PEER" --preset "$preset" "${PEER_DEV[@]}" --precision "$prec" --mode "$mode" \
        --iterations "$iters" --warmup 5 >"$P_OUT" 2>&1
      tail -3 "$P_OUT" | grep -v '^PEER_RESULT'
      PMS[$mode]=$(jget "$P_OUT" PEER_RESULT ms_per_iteration)
      PFWD[$mode]=$(jget "$P_OUT" PEER_RESULT generator_forwards_per_iteration)
      PMEM[$mode]=$(jget "$P_OUT" PEER_RESULT peak_memory_mib)
      echo "   peer $mode: ${PMS[$mode]:-failed} ms per iteration"
    done
    echo "   latentebm: ${lat:-failed} ms per iteration"
    ratio() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
    echo "$preset,$prec,$(jget "$L_OUT" LATENTEBM_RESULT batch),$(jget "$L_OUT" LATENTEBM_RESULT L),$iters,$lat,${PMS[eager]:-},${PMS[cudagraph]:-},$(ratio "${PMS[eager]:-}" "$lat"),$(ratio "${PMS[cudagraph]:-}" "$lat"),${PFWD[eager]:-},${PMEM[eager]:-},${PMEM[cudagraph]:-}" >>"$PEERCSV"
  done
fi

# 6. celebahq128 on the device: fp32 / tf32 / bf16, graphed chains, peak memory.
CSVC=$OUTDIR/bench-celebahq128.csv
MEMC=$OUTDIR/memory.csv
rm -f "$CSVC" "$MEMC"
for prec in fp32 tf32 bf16; do
  if (($(left) < 60)); then stamp "celebahq128 $prec: skipped, $(left) s of the budget left"; continue; fi
  stamp "bench_iteration celebahq128, batch 64, L = 30: $prec, CUDA-graph chains"
  with_peak_memory timeout "$(cap 150)" "$B/bench/bench_iteration" configs/celebahq128.yaml $((LOCAL ? 2 : 10)) \
    --schedule-images=27000 --record="$CSVC" "${DEV[@]}" runtime.precision="$prec" runtime.cuda_graph=on \
    log.noise_reference_samples=0 >"$OUTDIR/celebahq128-$prec.txt" 2>&1
  grep -v '^LATENTEBM_RESULT' "$OUTDIR/celebahq128-$prec.txt" | tail -5
  echo "   peak device memory in use: ${PEAK_MIB:-n/a} MiB"
  echo "$prec,${PEAK_MIB}" >>"$MEMC"
done

# The largest celebahq128 batch (bf16, graphed chains) that fits: the loop
# at batch 64 and 256, peak memory fitted by a line in the batch, the batch
# it projects for min(80 GB H100, the card) tried, and 10 % more. Data: one
# batch of synthetic images (--images).
BATCHCSV=$OUTDIR/batch.csv
rm -f "$BATCHCSV"
probe() {  # batch: runs 2 iterations, sets PEAK_MIB and PROBE_OK
  local b=$1
  PROBE_OK=0
  with_peak_memory timeout "$(cap 150)" "$B/bench/bench_iteration" configs/celebahq128.yaml 1 --loop-only --warmup=1 \
    --images="$b" "${DEV[@]}" train.batch_size="$b" runtime.precision=bf16 runtime.cuda_graph=on \
    log.noise_reference_samples=0 >"$OUTDIR/batch-$b.txt" 2>&1 && PROBE_OK=1
  local ms
  ms=$(jget "$OUTDIR/batch-$b.txt" LATENTEBM_RESULT ms_per_iteration)
  ((PROBE_OK)) || tail -2 "$OUTDIR/batch-$b.txt"
  echo "   batch $b: $( ((PROBE_OK)) && echo "ran, ${ms} ms per iteration" || echo "failed"), peak ${PEAK_MIB:-n/a} MiB"
  echo "$b,$PROBE_OK,${ms},${PEAK_MIB}" >>"$BATCHCSV"
}
if (($(left) < 150)); then
  stamp "celebahq128 largest batch: skipped, $(left) s of the budget left"
else
  stamp "celebahq128 largest batch (bf16, graphed chains)"
  echo "batch,ran,ms_per_iteration,peak_mib" >"$BATCHCSV"
  if [[ $LOCAL == 1 ]]; then
    probe 4
    probe 8
    echo "   (dry run: no memory figures, no projection)"
  else
    probe 64
    m64=$PEAK_MIB
    probe 256
    m256=$PEAK_MIB
    total=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0 | head -1 | tr -dc 0-9)
    limit=$((total < 81559 ? total : 81559))  # an 80 GB H100's 81,559 MiB (an H200 answers for it too)
    bmax=$(awk -v a="$m64" -v b="$m256" -v cap="$limit" 'BEGIN { s = (b - a) / 192; if (a == "" || s <= 0) { print 0; exit }
      printf "%d", int((64 + (cap - a) / s) / 64) * 64 }')
    echo "   fitted: $(awk -v a="$m64" -v b="$m256" 'BEGIN { printf "%.1f MiB per example", (b - a) / 192 }') above $m64 MiB at 64;" \
      "projected largest batch for $limit MiB: $bmax"
    if ((bmax > 256)) && (($(left) > 100)); then
      probe "$bmax"
      (($(left) > 60)) && probe $((bmax * 11 / 10 / 64 * 64))
    fi
  fi
fi

stamp "figures"
if [[ -f $CSV ]]; then
  GPU_NAME=$( ((LOCAL)) && echo "CPU (dry run)" || nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
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
if [[ -s $PEERCSV ]]; then
  awk -F, 'NR == 1 { next }
    NR == 2 { print "";
              print "| peer beside latentebm: preset | precision | batch | L | iterations | latentebm loop | peer eager | peer CUDA graph | peer eager / latentebm | peer graph / latentebm | peer generator forwards per iteration | peer peak MiB (eager / graph) |";
              print "|---|---|---|---|---|---|---|---|---|---|---|---|" }
    function f(x, d, unit) { return x == "" ? "-" : sprintf("%." d "f", x) unit }
    { printf "| %s | %s | %s | %s | %s | %s | %s | %s | **%s** | **%s** | %s | %s / %s |\n",
             $1, $2, $3, $4, $5, f($6, 2, " ms"), f($7, 2, " ms"), f($8, 2, " ms"), f($9, 3, ""), f($10, 3, ""), f($11, 0, ""),
             f($12, 0, ""), f($13, 0, "") }' "$PEERCSV" |
    tee -a "$OUTDIR/gpu_figures.md"
fi
if [[ -f $CSVC ]]; then
  awk -F, 'NR == FNR { mem[$1] = $2; next }
    FNR == 1 { next }
    FNR == 2 { print "";
               printf "| celebahq128 (batch %s, L = %s): precision | iteration | %s generator passes | ratio | training loop, back to back | peak device memory | projected 100 epochs of 27,000 images, from the loop |\n", $7, $8, $8 + 1;
               print "|---|---|---|---|---|---|---|" }
    { printf "| %s | %.2f ms | %.2f ms | %.3f | %.2f ms | %s MiB | %.1f min (%s it) |\n", $4, $11 * 1000, $12 * 1000, $13,
             $19 * 1000, (mem[$4] == "" ? "n/a" : mem[$4]), $14 * $19 / 60, $14 }' "$MEMC" "$CSVC" |
    tee -a "$OUTDIR/gpu_figures.md"
fi
if [[ -s $BATCHCSV ]]; then
  awk -F, 'NR == 1 { next }
    NR == 2 { print ""; print "| celebahq128 bf16, graphed: batch | ran | loop, ms per iteration | peak device memory |"; print "|---|---|---|---|" }
    { printf "| %s | %s | %s | %s MiB |\n", $1, ($2 == 1 ? "yes" : "no (out of memory or time)"), ($3 == "" ? "-" : sprintf("%.1f", $3)),
             ($4 == "" ? "n/a" : $4) }' "$BATCHCSV" |
    tee -a "$OUTDIR/gpu_figures.md"
fi
stamp "done"
((LOCAL)) || nvidia-smi --query-gpu=name,memory.used --format=csv,noheader || true
