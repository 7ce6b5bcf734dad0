# Sourced by studies/gpu-study/run.sh and studies/fashion-7200-methods/train_on_gpu.sh on the device
# tool's GPU machine, from the repository root, with ROOT, D (.gpu-deps/root,
# left there by bench/gpu/check.sh earlier in the same lease), G (.gpu-data,
# carried: scripts/gpu_study_data.sh) and a stamp function set. Checks both
# trees, sources bench/gpu/env.sh, sets BIN (latentebm built here with CI's
# LibTorch 2.11 recipe) and DATA (data/fashion-mnist.h5, prepared from the
# carried idx files, with the pinned FD classifier beside it).
WHO=${WHO:-$(basename "$0")}
[[ -d $D ]] || { echo "$WHO: $D missing: run bench/gpu/check.sh (carrying .gpu-deps) first in the same lease"; exit 2; }
[[ -x $G/bin/latentebm ]] || { echo "$WHO: $G missing: run scripts/gpu_study_data.sh here and carry .gpu-data"; exit 2; }
stamp "machine: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1), $(nproc) cores; latentebm from $(tr '\n' ' ' <"$G/bin/COMMIT")"
source bench/gpu/env.sh
export LD_LIBRARY_PATH=$G/lib:$LD_LIBRARY_PATH
BIN=$G/bin/latentebm
ldd "$BIN" | grep 'not found' && { echo "$WHO: libraries missing for latentebm"; exit 2; }
stamp "Fashion-MNIST: unpack and prepare"
RAW=$ROOT/.gpu-raw
mkdir -p "$RAW" data
python3 -c 'import gzip, lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), gzip.open(sys.argv[2], "wb", 1))' \
  "$G/data/train-images-idx3-ubyte.xz" "$RAW/train-images-idx3-ubyte.gz"
cp "$G"/data/*.gz "$RAW/"
DATA=$ROOT/data/fashion-mnist.h5
"$BIN" prepare fashion-mnist --dir "$RAW" --out "$DATA" | tail -2 || { echo "$WHO: prepare failed"; exit 1; }
# The classifier cache's key names the data by content, so the CPU tables'
# classifier serves this freshly prepared copy; were the data different,
# eval would log "training the feature classifier" and FD would not be
# comparable with RESULTS.md's CPU tables.
cp "$G/data/fashion-mnist.h5.classifier.h5" "$DATA.classifier.h5"
