#!/usr/bin/env python3
"""Every study's committed tables are what its runs.csv gives: for each
studies/<study>/summarize.py beside a committed runs.csv, `summarize.py
--check` (studies/lib/study.py) regenerates the tables in memory and
compares them with the committed files. A table edited by hand, or a
runs.csv changed without regenerating the tables, fails here; so does a
summarize.py that no longer runs. (Tried once: appending a line to
studies/mnist-1600/steering.txt fails test_every_study.)

usage: test_tables_current.py [SOURCE_DIR]"""
import glob
import os
import subprocess
import sys
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")


class CommittedTables(unittest.TestCase):
    def test_every_study(self):
        studies = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(SOURCE, "studies", "*", "runs.csv")))
        self.assertGreaterEqual(len(studies), 5, "the studies with a runs.csv: at least the four of issue 46 and "
                                "paper-protocol")
        for study in studies:
            with self.subTest(study=os.path.basename(study)):
                res = subprocess.run([sys.executable, os.path.join(study, "summarize.py"), "--check"],
                                     capture_output=True, text=True)
                self.assertEqual(res.returncode, 0, res.stdout + res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
