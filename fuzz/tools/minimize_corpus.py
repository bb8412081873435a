#!/usr/bin/env python3
"""Shrinks a corpus to a small set that keeps its coverage (fuzz/run.sh --minimize).

libFuzzer's -merge=1 adds inputs greedily in size order and keeps every input that brings a
new feature (edge hit-count buckets included), which leaves thousands of files. This keeps:
  - every hand-written or minted seed (a descriptive name, not a 40-hex sha1), then
  - a greedy set cover of the edges the corpus covers (the input covering most uncovered
    edges first, smaller first on ties), capped at --max-files (a warning says how many
    edges the cap leaves out).
Candidates are the inputs an edges-only merge (-use_counters=0) selects; each candidate's
full edge set comes from a one-file merge control file (clang 14's control file lists only
the edges new to each input, so one process per candidate).

usage: minimize_corpus.py FUZZER CORPUS_DIR [--max-files N] [--jobs N]
The corpus directory is rewritten in place.
"""
import argparse
import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

SHA1 = re.compile(r"^[0-9a-f]{40}$")
FLAGS = ["-timeout=5", "-rss_limit_mb=2048"]


def env():
    e = dict(os.environ)
    e.pop("STEPGATE_FUZZ_KNOWN", None)
    return e


def sha1(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def edges_of(fuzzer, path):
    if os.path.getsize(path) == 0:
        return set()  # libFuzzer's merge skips empty files (it runs the empty input anyway)
    with tempfile.TemporaryDirectory() as tmp:
        one = os.path.join(tmp, "in")
        out = os.path.join(tmp, "out")
        os.mkdir(one)
        os.mkdir(out)
        shutil.copy(path, os.path.join(one, "x"))
        control = os.path.join(tmp, "control")
        subprocess.run([fuzzer, "-merge=1", *FLAGS, "-merge_control_file=" + control, out, one],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(),
                       check=False)
        if os.path.exists(control):
            with open(control) as f:
                for line in f:
                    if line.startswith("COV "):
                        return set(int(x) for x in line.split()[2:])
    print(f"minimize: no coverage for {path}", file=sys.stderr)
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("fuzzer")
    parser.add_argument("corpus")
    parser.add_argument("--max-files", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    corpus = args.corpus.rstrip("/")
    before = [os.path.join(corpus, n) for n in os.listdir(corpus)]
    named = [p for p in before if not SHA1.match(os.path.basename(p))]
    named_hashes = set(sha1(p) for p in named)

    with tempfile.TemporaryDirectory() as tmp:
        merged = os.path.join(tmp, "merged")
        os.mkdir(merged)
        subprocess.run([args.fuzzer, "-merge=1", "-use_counters=0", *FLAGS, merged, corpus],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(),
                       check=False)
        candidates = [os.path.join(merged, n) for n in os.listdir(merged)
                      if n not in named_hashes]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            named_cov = list(pool.map(lambda p: edges_of(args.fuzzer, p), named))
            cand_cov = list(pool.map(lambda p: edges_of(args.fuzzer, p), candidates))
        if any(c is None for c in named_cov + cand_cov):
            print("minimize: an input gave no coverage (it crashed?); corpus left as it is",
                  file=sys.stderr)
            return 1
        covered = set().union(*named_cov) if named_cov else set()
        all_edges = covered.union(*cand_cov) if cand_cov else set(covered)
        sizes = [os.path.getsize(p) for p in candidates]
        chosen = []
        rest = set(range(len(candidates)))
        while len(named) + len(chosen) < args.max_files:
            best, gain = None, 0
            for i in rest:
                g = len(cand_cov[i] - covered)
                if g > gain or (g == gain and g > 0 and sizes[i] < sizes[best]):
                    best, gain = i, g
            if best is None:
                break
            chosen.append(best)
            covered |= cand_cov[best]
            rest.discard(best)
        for p in before:
            if SHA1.match(os.path.basename(p)):
                os.remove(p)
        for i in chosen:
            shutil.copy(candidates[i], os.path.join(corpus, os.path.basename(candidates[i])))
    after = os.listdir(corpus)
    size = sum(os.path.getsize(os.path.join(corpus, n)) for n in after)
    missing = len(all_edges - covered)
    print(f"minimize: {os.path.basename(corpus)}: {len(before)} -> {len(after)} files "
          f"({size // 1024} KiB; {len(named)} named seeds kept), "
          f"{len(covered)}/{len(all_edges)} edges"
          + (f" ({missing} left out by --max-files)" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
