"""The command line every study's summarize.py shares.

    python3 studies/<study>/summarize.py RUNS     runs -> runs.csv, then the tables
    python3 studies/<study>/summarize.py          the tables again from the committed runs.csv
    python3 studies/<study>/summarize.py --check  exit 1 if a committed table differs from
                                                  what runs.csv gives (ctest studies_tables)

A study gives main() its folder, a function that turns RUNS into rows
(run_reader.row for each run directory) and its tables: (file name,
function of the rows read back from runs.csv -> text). The tables are
always computed from runs.csv as read back, so the same file comes out
whether the rows were just extracted or committed long ago."""
import contextlib
import io
import os
import sys

import summary


def printed(fn, *args):
    """What fn(*args) prints, as a string (for table scripts written with print)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(*args)
    return buf.getvalue()


def sync(path, text, check):
    """A generated file: with check, whether the committed one differs from
    text (a missing one does); else writes text there. Returns True when
    the file is stale (check) or was rewritten."""
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    if not check:
        with open(path, "w") as f:
            f.write(text)
        print(f"{path}: written")
    return True


def main(study_dir, extract, tables, argv=None):
    argv = sys.argv[1:] if argv is None else argv
    csv_path = os.path.join(study_dir, "runs.csv")
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) > 1 or (check and args):
        sys.exit(f"usage: {os.path.join(study_dir, 'summarize.py')} [RUNS | --check]")
    if args:
        if not os.path.isdir(args[0]):
            sys.exit(f"summarize: {args[0]} is not a directory of runs (run.sh writes them to runs/studies/<study>)")
        rows = extract(args[0])
        if not rows:
            sys.exit(f"summarize: no finished runs under {args[0]}")
        summary.write_csv(csv_path, rows)
        print(f"{csv_path}: {len(rows)} runs")
    if not os.path.exists(csv_path):
        sys.exit(f"summarize: {csv_path} is missing: run the study (bash {os.path.join(study_dir, 'run.sh')})")
    rows = summary.read_csv(csv_path)
    stale = [path for path, fn in ((os.path.join(study_dir, name), fn) for name, fn in tables)
             if sync(path, fn(rows), check)]
    if check and stale:
        sys.exit("summarize --check: " + ", ".join(stale) + " differ from what runs.csv gives: regenerate them with "
                 f"python3 {os.path.join(study_dir, 'summarize.py')}")
