#!/usr/bin/python3
"""Runs every libFuzzer target of a fuzzing build for a bounded time.

Each target fuzz-NAME runs on a temporary copy of tests/fuzz/corpus/NAME, so
the repository's corpus only changes when a person adds an input to it. Writes
one JSON line per target in the format of meson's testlog.json.

usage: run-fuzzers.py BUILD_DIR CORPUS_DIR SECONDS RESULTS_JSON
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def is_program(path):
    # meson keeps each target's objects in a "fuzz-NAME.p" directory, which is
    # executable too: only regular files are fuzzers.
    return os.path.isfile(path) and os.access(path, os.X_OK)


def main():
    build_dir, corpus_root, seconds, results_path = sys.argv[1:5]
    fuzz_dir = os.path.join(build_dir, "tests", "fuzz")
    targets = sorted(n for n in os.listdir(fuzz_dir)
                     if n.startswith("fuzz-") and is_program(os.path.join(fuzz_dir, n)))
    if not targets:
        print("no fuzz targets were built", file=sys.stderr)
        return 1

    with open(results_path, "w") as results:
        for target in targets:
            name = target[len("fuzz-"):]
            seeds = os.path.join(corpus_root, name)
            if not os.path.isdir(seeds):
                print(f"fuzz {name}: FAIL no seed corpus in {seeds}")
                results.write(json.dumps({"name": f"fuzz-{name}", "result": "FAIL"}) + "\n")
                continue
            with tempfile.TemporaryDirectory() as work:
                corpus = os.path.join(work, "corpus")
                shutil.copytree(seeds, corpus)
                command = [os.path.join(fuzz_dir, target), f"-max_total_time={seconds}",
                           "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
                           f"-artifact_prefix={work}/", corpus]
                run = subprocess.run(command, capture_output=True, text=True,
                                     timeout=int(seconds) + 120)
                stats = [l for l in run.stderr.splitlines() if l.startswith("stat::number_of_executed_units")]
                ok = run.returncode == 0
                print(f"fuzz {name}: {'OK' if ok else 'FAIL'} {stats[0] if stats else ''}")
                if not ok:
                    print(run.stderr[-4000:], file=sys.stderr)
                    for artifact in os.listdir(work):
                        if artifact != "corpus":
                            print(f"crashing input: {artifact}", file=sys.stderr)
                            with open(os.path.join(work, artifact), "rb") as f:
                                print(f.read()[:512].hex(), file=sys.stderr)
                results.write(json.dumps({"name": f"fuzz-{name}",
                                          "result": "OK" if ok else "FAIL"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
