#!/usr/bin/python3
"""Adds up meson testlog.json files and prints the closing line CI reads.

usage: summarize-tests.py LOG.json [LOG.json ...]
Prints a line per log, the failures by name, then "N passed, N failed" (with
", N skipped" when any were). Exits 1 on any failure, or on any skip when
EARSHOT_TEST_STRICT=1 (CI, where every suite's needs are met).
"""
import json
import os
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main():
    total = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    for path in sys.argv[1:]:
        label = os.path.splitext(os.path.basename(path))[0]
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        if not os.path.exists(path):
            failures.append(f"{label}: no results (the run did not happen)")
            counts["failed"] += 1
        else:
            with open(path) as log:
                for line in log:
                    if not line.strip():
                        continue
                    entry = json.loads(line)
                    result = entry.get("result", "FAIL")
                    if result in PASSED:
                        counts["passed"] += 1
                    elif result in SKIPPED:
                        counts["skipped"] += 1
                        failures.append(f"{label}: {entry['name']} skipped")
                    else:
                        counts["failed"] += 1
                        failures.append(f"{label}: {entry['name']} {result}")
        print(f"{label}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped")
        for key in total:
            total[key] += counts[key]

    for line in failures:
        print(f"  {line}")
    strict = os.environ.get("EARSHOT_TEST_STRICT") == "1"
    closing = f"{total['passed']} passed, {total['failed']} failed"
    if total["skipped"]:
        closing += f", {total['skipped']} skipped"
    print(closing)
    if total["failed"] or (strict and total["skipped"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
