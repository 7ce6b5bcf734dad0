# Compare the uncapped adaptive schedule (schedule-adaptive) with the capped one (schedule-adaptive-langevin),
# seed by seed: every row of metrics.jsonl, by iteration. usage: python3 THIS [OUT of bench/reproduce.sh]
# (the last row logged for an iteration wins: a resumed run appends to metrics.jsonl), timings aside.
# Recorded for RESULTS.md A.12; its output is the .txt file beside it.
import json, os, sys
skip = {"elapsed_s", "it_per_s", "time_allreduce_s", "time_langevin_s", "time_update_s"}
R = (sys.argv[1] if len(sys.argv) > 1 else "runs/reproduce-7200").rstrip("/") + "/"
def rows(path):
    d = {}
    for l in open(path):
        r = json.loads(l)
        d[(r.get("iteration"), tuple(sorted(k for k in r if k not in skip)))] = {k: v for k, v in r.items() if k not in skip}
    return d
for s in (1, 2, 3):
    p = f"{R}schedule-adaptive-s{s}/metrics.jsonl"
    if not os.path.exists(p) or os.path.islink(f"{R}schedule-adaptive-s{s}"):
        print(f"seed {s}: no run of its own"); continue
    a, b = rows(p), rows(f"{R}schedule-adaptive-langevin-s{s}/metrics.jsonl")
    last = max(k[0] for k in a)
    common = [k for k in a if k in b]
    bad = [k for k in common if a[k] != b[k]]
    onlya = [k for k in a if k not in b]
    starts = [v["stage_starts"] for k, v in sorted(a.items(), key=lambda kv: kv[0][0]) if "stage_starts" in v]
    for k in sorted(bad, key=lambda k: k[0]):
        print(f"seed {s}: iteration {k[0]} differs in", sorted(f for f in a[k] if a[k][f] != b[k].get(f)))
    print(f"seed {s}: uncapped run logged up to iteration {last}; {len(common)} rows in both, {len(bad)} differ; "
          f"{len(onlya)} rows only in the uncapped run {sorted(k[0] for k in onlya)[:5]}; stage starts {starts[-1] if starts else None}")
