#!/usr/bin/env bash
# Per-rank I/O of start-up and resume, and checkpoint size, at 2, 8 and 32
# ranks (oversubscribed on one machine): docs/CLUSTER.md's rank-count table.
#
#   bash bench/cluster_io.sh [BIN] [WORK]      (BIN default build/latentebm)
#   RANKS="2 8 32" RESUMES="7 32" bash bench/cluster_io.sh
#
# Each rank count W trains the quick preset's model, shrunk (ngf 4, 2
# Langevin steps) so 32 ranks fit 2 cores, on the full Fashion-MNIST training
# split (60,000 images, a per-rank batch of 8) for 2 iterations with a
# checkpoint, then resumes on W ranks for one more. The largest W's run is
# then resumed on each of RESUMES (7, then 32 again). Every start-up, resume
# and rollback writes an "io" row to metrics.jsonl (src/train/trainer.cpp,
# report_io): the most file opens and bytes read (/proc/self/io rchar) of any
# rank, rank 0's, and the job's total. TRACE=1 also counts opens and bytes
# per rank with strace for the W = 8 start-up and resume (any binary, e.g. an
# older build without train.batch_per_rank or the "io" rows:
#   TRACE=1 RANKS=8 RESUMES= BATCH_ARG=train.batch_size=64 bash bench/cluster_io.sh OLD_BIN
# for a before/after figure).
# Prints one markdown table. Needs data/fashion-mnist.h5 (scripts/fashion-mnist.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN=$(readlink -f "${1:-$ROOT/build/latentebm}")
WORK=${2:-$(mktemp -d "${TMPDIR:-/tmp}/latentebm_cluster_io.XXXXXX")}
RANKS=${RANKS:-2 8 32}
RESUMES=${RESUMES:-7 32}
DATA=${DATA:-$ROOT/data/fashion-mnist.h5}
[[ -x $BIN ]] || { echo "cluster_io: $BIN is not an executable" >&2; exit 2; }
[[ -f $DATA ]] || { echo "cluster_io: $DATA missing: bash scripts/fashion-mnist.sh" >&2; exit 2; }
mkdir -p "$WORK"
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=(mpirun --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
TRAIN=(train --config "$ROOT/configs/fashion-mnist-quick.yaml" "data.path=$DATA" data.train_limit=0 train.iterations=40
  "${BATCH_ARG:-train.batch_per_rank=8}" model.ngf=4 train.langevin_steps=2 train.prior_langevin_steps=2 log.log_every=1
  log.checkpoint_every=100 log.noise_reference_samples=0 log.tensorboard=off runtime.collective_timeout_s=1800)

# traced NAME W ARGS...: the training under strace, one trace file per process.
traced() {
  local name=$1 w=$2
  shift 2
  mkdir -p "$WORK/trace-$name"
  "${MPIRUN[@]}" -np "$w" strace -ff -qq -e trace=openat,read,pread64,close -o "$WORK/trace-$name/t" "$BIN" "$@"
}
run() {  # run NAME W ARGS...
  local name=$1 w=$2
  shift 2
  local t0=$SECONDS
  if [[ ${TRACE:-0} == 1 && $w == 8 ]]; then
    traced "$name" "$w" "$@" >"$WORK/$name.log" 2>&1
  else
    "${MPIRUN[@]}" -np "$w" "$BIN" "$@" >"$WORK/$name.log" 2>&1
  fi || { tail -30 "$WORK/$name.log" >&2; echo "cluster_io: $name failed" >&2; exit 1; }
  echo "cluster_io: $name on $w ranks: $((SECONDS - t0)) s" >&2
}

last=""
for w in $RANKS; do
  run "fresh-$w" "$w" "${TRAIN[@]}" --run-dir "$WORK/run-$w" --max-iterations 2 --no-pictures
  run "resume-$w" "$w" "${TRAIN[@]}" --run-dir "$WORK/run-$w" --max-iterations 1 --no-pictures
  last=$w
done
for w in $RESUMES; do
  run "resume-$last-on-$w" "$w" "${TRAIN[@]}" --run-dir "$WORK/run-$last" --max-iterations 1 --no-pictures
done

python3 - "$WORK" $RANKS -- $RESUMES <<'EOF'
import glob, json, os, re, sys
work = sys.argv[1]
args = sys.argv[2:]
cut = args.index("--")
ranks, resumes = [int(a) for a in args[:cut]], [int(a) for a in args[cut + 1:]]

def io_rows(run):
    rows = []
    for line in open(os.path.join(run, "metrics.jsonl")):
        j = json.loads(line)
        if "io" in j:
            rows.append(j)
    return rows

def mb(b):
    return "n/a" if b is None or b < 0 else f"{b / 1e6:.2f}"

print("| event | ranks | opens, most of any rank | opens, rank 0 | MB read, most of any rank | MB read, rank 0 | MB read, whole job |")
print("|---|---|---|---|---|---|---|")
def row(label, r):
    if r is None:
        return
    print(f"| {label} | {r['ranks']} | {r['opens_max']} | {r['opens_rank0']} | {mb(r['bytes_read_max'])} | "
          f"{mb(r['bytes_read_rank0'])} | {mb(r['bytes_read_total'])} |")
for w in ranks:
    rows = io_rows(os.path.join(work, f"run-{w}"))
    row("start-up", next((r for r in rows if r["io"] == "start-up"), None))
    row(f"resume ({w} -> {w})", next((r for r in rows if r["io"] == "resume"), None))
if resumes:
    w = ranks[-1]
    rows = [r for r in io_rows(os.path.join(work, f"run-{w}")) if r["io"] == "resume"][1:]
    prev = w
    for r in rows:
        row(f"resume ({prev} -> {r['ranks']})", r)
        prev = r["ranks"]
print()
print("| ranks | files per checkpoint | checkpoint MB | of which memory.h5 MB |")
print("|---|---|---|---|")
for w in ranks:
    ck = sorted(glob.glob(os.path.join(work, f"run-{w}", "checkpoints", "ckpt-*")))[0]
    files = os.listdir(ck)
    size = sum(os.path.getsize(os.path.join(ck, f)) for f in files)
    mem = os.path.getsize(os.path.join(ck, "memory.h5")) if "memory.h5" in files else sum(
        os.path.getsize(os.path.join(ck, f)) for f in files if f.startswith("shard-"))
    print(f"| {w} | {len(files)} | {size / 1e6:.2f} | {mem / 1e6:.2f} |")

# strace counts (TRACE=1): per process, files opened for reading that are
# not libraries, devices or /proc, and bytes read from them.
traces = sorted(glob.glob(os.path.join(work, "trace-*")))
if traces:
    print()
    print("| traced run (strace) | processes | data/checkpoint opens, most of any process | MB read from them, most | MB read, all processes |")
    print("|---|---|---|---|---|")
    skip = re.compile(r"^/(proc|sys|dev|usr|lib|etc)/|\.so(\.|$)|/\.deps/|site-packages|pyenv|\.py$")
    for d in traces:
        per = {}
        for path in glob.glob(os.path.join(d, "t.*")):
            fds, opens, nbytes = {}, 0, 0
            for line in open(path, errors="replace"):
                m = re.match(r'\s*openat\([^,]+, "([^"]+)", [^)]*\) = (\d+)', line)
                if m:
                    if not skip.search(m.group(1)):
                        fds[m.group(2)] = m.group(1)
                        opens += 1
                    continue
                m = re.match(r"\s*(read|pread64)\((\d+),.*\) = (\d+)", line)
                if m and m.group(2) in fds:
                    nbytes += int(m.group(3))
                    continue
                m = re.match(r"\s*close\((\d+)\)", line)
                if m:
                    fds.pop(m.group(1), None)
            if opens or nbytes:
                per[path] = (opens, nbytes)
        if per:
            print(f"| {os.path.basename(d)[6:]} | {len(per)} | {max(o for o, _ in per.values())} | "
                  f"{max(b for _, b in per.values()) / 1e6:.2f} | {sum(b for _, b in per.values()) / 1e6:.2f} |")
EOF
