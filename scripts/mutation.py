"""Mutation testing over the rules that protect groups and the numbers boards read.

Runs mutmut on a scratch copy of the checkout (so the work tree is never
touched), over the files named in ``scripts/mutation-targets.toml``, each
against the tests that cover it, then prints killed / survived / timeout per
file and overall. Mutants listed in ``scripts/mutation-equivalent.toml`` with a
reason are counted apart, never silently skipped.

    scripts/mutation                  every target file (slow: tens of minutes)
    scripts/mutation --changed [REF]  only target files changed since REF (default HEAD~1)
    scripts/mutation FILE ...         only these target files
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "scripts" / "mutation-targets.toml"
EQUIVALENT = ROOT / "scripts" / "mutation-equivalent.toml"
SCRATCH = ROOT / ".mutation"
SOURCE_PACKAGES = ["scoring", "survey", "exports", "instruments", "maps"]
COPIED = ["templates", "tests", "bench", "scripts", "pyproject.toml"]

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), folded into our columns.
STATUS = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", 24: "timeout", -24: "timeout"}
STATUS.update({152: "timeout", 255: "timeout", 5: "no tests", 33: "no tests", None: "not run"})


def load_targets() -> dict[str, list[str]]:
    """Target file -> the test paths that cover its rules."""
    return {
        path: entry["tests"] for path, entry in tomllib.loads(TARGETS.read_text())["file"].items()
    }


def load_equivalent() -> dict[str, str]:
    """Mutant name -> why it cannot be killed (it behaves exactly like the original)."""
    if not EQUIVALENT.exists():
        return {}
    return {name: entry["reason"] for name, entry in tomllib.loads(EQUIVALENT.read_text()).items()}


def changed_files(ref: str) -> set[str]:
    """Files changed between REF and the work tree."""
    out = subprocess.run(
        ["git", "diff", "--name-only", ref], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def prepare_scratch(files: list[str], tests: list[str]) -> None:
    """A copy of the checkout with mutmut configured for these files and tests."""
    if SCRATCH.exists():
        shutil.rmtree(SCRATCH)
    SCRATCH.mkdir()
    # mutmut runs the tests from SCRATCH/mutants, where the tests' "../shared" (the real
    # public files beside the checkout) is SCRATCH/shared.
    (SCRATCH / "shared").symlink_to(ROOT.parent / "shared")
    for name in SOURCE_PACKAGES + COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, SCRATCH / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        elif source.exists():
            shutil.copy2(source, SCRATCH / name)
    config = "\n".join(
        [
            "",
            "[tool.mutmut]",
            f"source_paths = {json.dumps(SOURCE_PACKAGES)}",
            f"only_mutate = {json.dumps(files)}",
            f"also_copy = {json.dumps(COPIED[:-1])}",
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x", "-m", "not browser"]',
            "",
        ]
    )
    with open(SCRATCH / "pyproject.toml", "a") as f:
        f.write(config)


def run_mutmut() -> int:
    """mutmut run in the scratch copy; its progress goes to the terminal.

    One PostgreSQL server serves every mutant's test run (starting one per run
    would cost more than most mutants' tests).
    """
    sys.path.insert(0, str(ROOT))
    from tests.postgres import PostgresServer

    server = PostgresServer()
    env = dict(os.environ, SURVEY_TEST_POSTGRES_URL=server.start())
    try:
        mutmut = Path(sys.executable).with_name("mutmut")
        return subprocess.run([str(mutmut), "run"], cwd=SCRATCH, env=env).returncode
    finally:
        server.stop()


def results(files: list[str]) -> dict[str, dict[str, str]]:
    """Target file -> {mutant name: status}, read from mutmut's per-file records."""
    found = {}
    for path in files:
        meta = SCRATCH / "mutants" / (path + ".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        found[path] = {name: STATUS.get(code, "suspicious") for name, code in codes.items()}
    return found


def report(found: dict[str, dict[str, str]], equivalent: dict[str, str]) -> tuple[int, int]:
    """Print the per-file table and the survivors; returns (killed, non-equivalent mutants)."""
    columns = ("killed", "survived", "timeout", "equivalent", "other")
    print(f"\n{'file':40} " + " ".join(f"{c:>10}" for c in columns) + f" {'score':>7}")
    total_killed = total_counted = 0
    survivors = []
    for path, statuses in found.items():
        counts: Counter[str] = Counter()
        for name, status in statuses.items():
            if name in equivalent:
                counts["equivalent"] += 1
            elif status in ("killed", "survived", "timeout"):
                counts[status] += 1
                if status == "survived":
                    survivors.append(name)
            else:
                counts["other"] += 1
        # A timeout counts as killed: the mutant made the tests hang, which they noticed.
        killed = counts["killed"] + counts["timeout"]
        counted = killed + counts["survived"]
        total_killed += killed
        total_counted += counted
        score = f"{100 * killed / counted:6.1f}%" if counted else "     -"
        print(f"{path:40} " + " ".join(f"{counts[c]:>10}" for c in columns) + f" {score}")
    overall = f"{100 * total_killed / total_counted:.1f}%" if total_counted else "-"
    print(f"\noverall: {total_killed} of {total_counted} non-equivalent mutants killed ({overall})")
    stale = sorted(set(equivalent) - {n for s in found.values() for n in s})
    if survivors:
        print("\nsurvivors (see one with: cd .mutation && ../.venv/bin/mutmut show NAME):")
        for name in sorted(survivors):
            print(f"  {name}")
    if stale and found:
        print("\nlisted as equivalent but not generated this run (a file changed?):")
        for name in stale:
            print(f"  {name}")
    return total_killed, total_counted


def main(argv: list[str] | None = None) -> int:
    """Pick the files, run mutmut, print the table; non-zero under --min-score."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="target files (default: all)")
    parser.add_argument("--changed", nargs="?", const="HEAD~1", metavar="REF")
    parser.add_argument("--min-score", type=float, default=90.0)
    parser.add_argument("--report-only", action="store_true", help="reread the last run")
    args = parser.parse_args(argv)
    targets = load_targets()
    files = args.files or list(targets)
    if args.changed:
        files = [f for f in files if f in changed_files(args.changed)]
    unknown = [f for f in files if f not in targets]
    if unknown:
        parser.error(f"not a mutation target (see {TARGETS.name}): {', '.join(unknown)}")
    if not files:
        print("mutation: no target file changed")
        return 0
    if not args.report_only:
        tests = sorted({t for f in files for t in targets[f]})
        prepare_scratch(files, tests)
        code = run_mutmut()
        if code not in (0, 1):
            print(f"mutation: mutmut stopped with exit code {code}", file=sys.stderr)
            return code
    killed, counted = report(results(files), load_equivalent())
    if counted and 100 * killed / counted < args.min_score:
        print(f"mutation: score under {args.min_score:.0f}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
