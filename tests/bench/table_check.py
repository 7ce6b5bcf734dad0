"""Ties the tables bench/reproduce.sh writes (tables.md) to the run outputs
they summarise, for tests/bench/reproduce_*.sh, and checks that the settings
each table compares change the outputs.

usage: table_check.py ablation OUT SEEDS ADAPTIVE NON_ADAPTIVE
       table_check.py anomaly OUT SEEDS DIGIT RECIPE

ablation  Table 3 (stages used): every cell equals the mean +- sample std over
          the seeds of its runs' eval-stages-K.json, to the printed digits;
          for each run the 0-stage and the 4-stage evaluation differ (FD, and
          test MSE where the method samples its posterior under p_K), and so
          do the table's rows for 0 and 4 stages.
anomaly   the AUPRC row of DIGIT equals the mean +- std over seeds of each
          run's anomaly.json auprc_mean; the prior-share row equals the mean
          +- std of (AUPRC with the prior kept - dropped) from the score logs;
          each adaptive-ce run's per-image scores with the prior dropped
          (score-prior-0.csv) differ from those with it kept (-all.csv), on
          the same images.
Written in plain Python (no import of bench/), so it checks the tables
against their definition, not against the code that wrote them."""
import csv
import json
import math
import re
import sys

CELL = re.compile(r"^(-?[0-9.]+) \+- ([0-9.]+) \(n=(\d+)\)$")


def fail(msg):
    print(f"table_check: {msg}", file=sys.stderr)
    sys.exit(1)


def mean_std(xs):
    m = sum(xs) / len(xs)
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return m, s


def check_cell(cell, xs, digits, what):
    """The cell 'M +- S (n=N)' is xs' mean and sample std to `digits` places."""
    got = CELL.match(cell.strip())
    if not got:
        fail(f"{what}: cell '{cell}' is not 'mean +- std (n=N)'")
    m, s = mean_std(xs)
    tol = 0.5 * 10 ** -digits + 1e-12
    if int(got.group(3)) != len(xs) or abs(float(got.group(1)) - m) > tol or abs(float(got.group(2)) - s) > tol:
        fail(f"{what}: table says '{cell}', the outputs give {m:.{digits + 2}f} +- {s:.{digits + 2}f} (n={len(xs)}) from {xs}")


def table_rows(md, header):
    """The rows (lists of cells) of the table whose header line is `header`."""
    lines = md.splitlines()
    if header not in lines:
        fail(f"no table with header '{header}' in tables.md")
    rows = []
    for line in lines[lines.index(header) + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def value(path, key):
    with open(path) as f:
        return float(json.load(f)[key]["value"])


def ablation(out, seeds, adaptive, non_adaptive):
    md = open(f"{out}/tables.md").read()
    rows = {r[0]: r[1:] for r in table_rows(md, "| stages | adaptive FD | non-adaptive FD | adaptive MSE | non-adaptive MSE |")
            if r[0] in ("0", "1", "2", "4")}
    if sorted(rows) != ["0", "1", "2", "4"]:
        fail(f"Table 3 rows {sorted(rows)}, want 0 1 2 4")
    for k, cells in rows.items():
        for i, (key, digits) in enumerate((("fd_classifier", 2), ("reconstruction_mse", 5))):
            for j, m in enumerate((adaptive, non_adaptive)):
                xs = [value(f"{out}/{m}-s{s}/eval-stages-{k}.json", key) for s in seeds]
                check_cell(cells[2 * i + j], xs, digits, f"Table 3, {k} stage(s), {m} {key}")
    for m in (adaptive, non_adaptive):
        for s in seeds:
            e0, e4 = (f"{out}/{m}-s{s}/eval-stages-{k}.json" for k in (0, 4))
            if value(e0, "fd_classifier") == value(e4, "fd_classifier"):
                fail(f"{m} seed {s}: the same FD with 0 and 4 stages ({value(e0, 'fd_classifier')}): --stages ignored?")
            if m == adaptive and value(e0, "reconstruction_mse") == value(e4, "reconstruction_mse"):
                fail(f"{m} seed {s}: the same test MSE with 0 and 4 stages, though its posterior samples p_K")
    if rows["0"] == rows["4"]:
        fail(f"Table 3's rows for 0 and 4 stages are equal: {rows['0']}")
    print(f"ablation: Table 3 equals the eval-stages-K.json means over seeds {' '.join(seeds)}; 0 and 4 stages differ")


def auprc(log):
    for line in open(log):
        if line.startswith("auprc "):
            return float(line.split()[1])
    fail(f"{log} has no 'auprc' line")


def scores(path):
    with open(path) as f:
        return list(csv.reader(f))


def anomaly(out, seeds, digit, recipe):
    md = open(f"{out}/tables.md").read()
    run = lambda m, s: f"{out}/anomaly-{digit}-{m}{recipe}-s{s}"
    row = [r for r in table_rows(md, "| held-out digit | adaptive-ce | lebm | gaussian |") if r[0] == digit]
    if len(row) != 1:
        fail(f"no single AUPRC row for digit {digit}")
    for cell, m in zip(row[0][1:], ("adaptive-ce", "lebm", "gaussian")):
        if cell == "n/a":
            continue
        xs = [json.load(open(f"{run(m, s)}/anomaly.json"))["auprc_mean"] for s in seeds]
        check_cell(cell, xs, 3, f"AUPRC, digit {digit}, {m}")
    share = [r for r in table_rows(md, "| held-out digit | adaptive-ce: AUPRC gain | paired t | lebm: AUPRC gain | paired t |")
             if r[0] == digit]
    if len(share) != 1:
        fail(f"no single prior-share row for digit {digit}")
    gains = [auprc(f"{run('adaptive-ce', s)}/score-prior-all.log") - auprc(f"{run('adaptive-ce', s)}/score-prior-0.log")
             for s in seeds]
    check_cell(share[0][1], gains, 4, f"prior share, digit {digit}, adaptive-ce")
    for s in seeds:
        kept, dropped = scores(f"{run('adaptive-ce', s)}/score-prior-all.csv"), scores(f"{run('adaptive-ce', s)}/score-prior-0.csv")
        if len(kept) != len(dropped) or len(kept) < 2 or kept[0] != dropped[0]:
            fail(f"seed {s}: the two score files do not cover the same images ({len(kept)} / {len(dropped)} lines)")
        if kept == dropped:
            fail(f"seed {s}: the scores with the prior dropped equal those with it kept: --stages ignored?")
    print(f"anomaly: digit {digit}'s AUPRC and prior-share rows equal the runs' outputs; "
          f"prior-dropped and prior-kept scores differ for seeds {' '.join(seeds)}")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "ablation":
        ablation(sys.argv[2], sys.argv[3].split(), sys.argv[4], sys.argv[5])
    elif len(sys.argv) == 6 and sys.argv[1] == "anomaly":
        anomaly(sys.argv[2], sys.argv[3].split(), sys.argv[4], sys.argv[5])
    else:
        sys.exit(__doc__)
