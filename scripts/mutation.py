"""Mutation testing over the rules that protect groups and the numbers boards read.

Runs mutmut on a scratch copy of the checkout (so the work tree is never touched), over
the files named in ``scripts/mutation-targets.toml``, each against the tests that cover
it, then prints killed / survived / timeout per file and overall. Mutants listed in
``scripts/mutation-equivalent.toml`` with a reason are counted apart, never silently
skipped. Mutants run on SQLite (``--both-engines`` adds PostgreSQL): the rules mutated
are Python, and the suite runs every database test on both engines anyway.

A full run takes hours on a small machine, so runs resume. Each mutant's result is
kept (in the scratch copy, and in ``scripts/mutation-results.json`` for a fresh
checkout) with the hash of its function, and mutmut tests again only the mutants of
functions that changed and those never run; the report says how many are not run yet.

    scripts/mutation                  every target file, resuming (a first run: hours)
    scripts/mutation --changed [REF]  all mutants of the target files changed since REF
    scripts/mutation FILE ...         all mutants of these target files, again
    scripts/mutation --rerun-survivors  the survivors not judged equivalent, again (after new tests)
    scripts/mutation --report-only    the table from the kept results
    scripts/mutation --fresh          forget every kept result first
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
RESULTS = ROOT / "scripts" / "mutation-results.json"
SCRATCH = ROOT / ".mutation"
SOURCE_PACKAGES = ["scoring", "survey", "exports", "instruments", "maps"]
COPIED = ["templates", "tests", "bench", "scripts", "pyproject.toml"]

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), folded into our columns.
STATUS = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", 24: "timeout", -24: "timeout"}
STATUS.update({152: "timeout", 255: "timeout", 5: "no tests", 33: "no tests", None: "not run"})
# -9: the test run was killed (SIGKILL: out of memory). Seen for a mutant that turns a loop
# guard off (up_the_tree's seen set), whose test then grows a list without end: the tests
# never pass, so it counts as a timeout does.
STATUS[-9] = "timeout"


def load_targets() -> dict[str, list[str]]:
    """Target file -> the test paths that cover its rules."""
    return {
        path: entry["tests"] for path, entry in tomllib.loads(TARGETS.read_text())["file"].items()
    }


def load_equivalent() -> dict[str, dict]:
    """Mutant name -> {"reason": why it cannot be killed (it behaves exactly like the
    original), "function_hash": mutmut's hash of its function when it was judged}."""
    if not EQUIVALENT.exists():
        return {}
    return tomllib.loads(EQUIVALENT.read_text())


def function_of(mutant: str) -> str:
    """The function a mutant belongs to, as "module.x_name" (mutmut's mangled name)."""
    return mutant.rsplit("__mutmut_", 1)[0]


def still_equivalent(mutant: str, entry: dict, hashes: dict[str, str]) -> bool:
    """An entry holds while its function is the one judged: mutmut numbers a function's
    mutants afresh when the function changes, so the same name may then be another
    mutation, which must be judged again."""
    judged = entry.get("function_hash")
    return judged is not None and judged == hashes.get(function_of(mutant))


def to_run_again(
    found: dict[str, dict[str, str]], equivalent: dict[str, dict], hashes: dict[str, str]
) -> list[str]:
    """The survivors to run again after new tests: not those judged equivalent, which no
    test can kill, unless their function changed since (then judged again). With them,
    the mutants that ran with no test mapped to them ("no tests": mutmut's map of which
    tests reach a function can miss one, and is made afresh for this run) or whose run
    ended oddly: none of these has been tested."""
    untested = {"survived", "no tests", "suspicious"}
    return [
        name
        for statuses in found.values()
        for name, status in statuses.items()
        if status in untested
        and not (name in equivalent and still_equivalent(name, equivalent[name], hashes))
    ]


def changed_files(ref: str) -> set[str]:
    """Files changed between REF and the work tree."""
    out = subprocess.run(
        ["git", "diff", "--name-only", ref], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def mutant_glob(path: str) -> str:
    """mutmut's names for a file's mutants: "survey/journey/links.py" -> "survey.journey.links.*"."""
    return path.removesuffix(".py").replace("/", ".") + ".*"


def prepare_scratch(files: list[str], tests: list[str], both_engines: bool) -> None:
    """A copy of the checkout with mutmut configured for these files and tests, keeping
    mutmut's results from earlier runs (SCRATCH/mutants), or seeding them from RESULTS."""
    SCRATCH.mkdir(exist_ok=True)
    # mutmut runs the tests from SCRATCH/mutants, where the tests' "../shared" (the real
    # public files beside the checkout) is SCRATCH/shared.
    if not (SCRATCH / "shared").exists():
        (SCRATCH / "shared").symlink_to(ROOT.parent / "shared")
    for name in SOURCE_PACKAGES + COPIED:
        source, copy = ROOT / name, SCRATCH / name
        if copy.is_dir():
            shutil.rmtree(copy)
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, copy)
    engines = [] if both_engines else ["-k", "not postgresql"]
    config = "\n".join(
        [
            "",
            "[tool.mutmut]",
            f"source_paths = {json.dumps(SOURCE_PACKAGES)}",
            f"only_mutate = {json.dumps(files)}",
            f"also_copy = {json.dumps(COPIED[:-1])}",
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
            "pytest_add_cli_args = "
            + json.dumps(["-p", "no:cacheprovider", "-q", "-x", "-m", "not browser", *engines]),
            "",
        ]
    )
    with open(SCRATCH / "pyproject.toml", "a") as f:
        f.write(config)
    # mutmut drops every kept result when its test configuration changes; with the old
    # test map gone it maps the tests afresh instead and keeps the results.
    seen = SCRATCH / "config.toml"
    if not seen.exists() or seen.read_text() != config:
        (SCRATCH / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
        seen.write_text(config)
    seed_results(files)


def seed_results(files: list[str]) -> None:
    """Put the recorded results of files the scratch copy has none for where mutmut reads them."""
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for path in files:
        meta = SCRATCH / "mutants" / (path + ".meta")
        if meta.exists() or path not in recorded:
            continue
        meta.parent.mkdir(parents=True, exist_ok=True)
        kept = recorded[path]
        meta.write_text(
            json.dumps(
                {
                    "exit_code_by_key": kept["exit_codes"],
                    "hash_by_function_name": kept["function_hashes"],
                    "durations_by_key": {},
                    "estimated_durations_by_key": {},
                }
            )
        )


def record_results(files: list[str]) -> None:
    """Keep each file's results (exit code by mutant, hash by function) in RESULTS."""
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for path in files:
        meta = SCRATCH / "mutants" / (path + ".meta")
        if meta.exists():
            found = json.loads(meta.read_text())
            recorded[path] = {
                "generated": len(found["exit_code_by_key"]),
                "function_hashes": dict(sorted(found["hash_by_function_name"].items())),
                "exit_codes": {  # mutants not run yet are left out (mutmut reads them as None)
                    name: code
                    for name, code in sorted(found["exit_code_by_key"].items())
                    if code is not None
                },
            }
    RESULTS.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")


def run_mutmut(names: list[str]) -> int:
    """mutmut run in the scratch copy (these mutants again, or else every one without a
    result); its progress goes to the terminal.

    One PostgreSQL server serves every mutant's test run (starting one per run
    would cost more than most mutants' tests).
    """
    sys.path.insert(0, str(ROOT))
    from tests.postgres import PostgresServer

    server = PostgresServer()
    env = dict(os.environ, SURVEY_TEST_POSTGRES_URL=server.start())
    try:
        mutmut = Path(sys.executable).with_name("mutmut")
        return subprocess.run([str(mutmut), "run", *names], cwd=SCRATCH, env=env).returncode
    finally:
        server.stop()


def module_of(path: str) -> str:
    """A target file's module, as mutmut names mutants: "survey/aggregates.py" ->
    "survey.aggregates"."""
    return path.removesuffix(".py").replace("/", ".")


def kept_record(path: str, recorded: dict) -> dict:
    """A target file's results as mutmut keeps them (exit code by mutant, hash by function):
    the scratch copy's, else as last recorded in RESULTS (mutants recorded only as a
    number come back as "not run")."""
    meta = SCRATCH / "mutants" / (path + ".meta")
    if meta.exists():
        return json.loads(meta.read_text())
    kept = recorded.get(path, {})
    codes = dict(kept.get("exit_codes", {}))
    for i in range(kept.get("generated", 0) - len(codes)):
        codes[f"{path} (not run {i + 1})"] = None
    return {"exit_code_by_key": codes, "hash_by_function_name": kept.get("function_hashes", {})}


def function_hashes(files: list[str]) -> dict[str, str]:
    """ "module.x_name" -> mutmut's hash of that function."""
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    return {
        f"{module_of(path)}.{name}": digest
        for path in files
        for name, digest in kept_record(path, recorded)["hash_by_function_name"].items()
    }


def results(files: list[str]) -> dict[str, dict[str, str]]:
    """Target file -> {mutant name: status}."""
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    return {
        path: {
            name: STATUS.get(code, "suspicious")
            for name, code in kept_record(path, recorded)["exit_code_by_key"].items()
        }
        for path in files
    }


def report(
    found: dict[str, dict[str, str]], equivalent: dict[str, dict], hashes: dict[str, str]
) -> tuple[int, int]:
    """Print the per-file table and the survivors; returns (killed, non-equivalent mutants).
    An equivalent entry whose function has changed since it was judged counts as what the
    run found, and is listed to be judged again."""
    columns = ("killed", "survived", "timeout", "equivalent", "not run", "other")
    print(f"\n{'file':40} " + " ".join(f"{c:>10}" for c in columns) + f" {'score':>7}")
    total_killed = total_counted = 0
    survivors, rejudge = [], []
    for path, statuses in found.items():
        counts: Counter[str] = Counter()
        for name, status in statuses.items():
            judged = name in equivalent
            if judged and not still_equivalent(name, equivalent[name], hashes):
                rejudge.append(name)
                judged = False
            if judged:
                counts["equivalent"] += 1
            elif status in ("killed", "survived", "timeout", "not run"):
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
    not_run = sum(1 for s in found.values() for status in s.values() if status == "not run")
    if not_run:
        print(f"not run yet: {not_run} mutants (run scripts/mutation again to go on)")
    modules = {module_of(path) for path in found}
    stale = sorted(
        name
        for name in set(equivalent) - {n for s in found.values() for n in s}
        if function_of(name).rsplit(".", 1)[0] in modules  # of the files reported on
    )
    if survivors:
        print("\nsurvivors (see one with: cd .mutation && ../.venv/bin/mutmut show NAME;")
        print("an equivalent entry records the function_hash shown):")
        for name in sorted(survivors):
            print(f"  {name}  function_hash = {hashes.get(function_of(name), '?')!r}")
    if rejudge:
        print("\nlisted as equivalent, but the function changed since it was judged (or no")
        print("function_hash is recorded): the name may now be another mutation; judge again:")
        for name in sorted(rejudge):
            print(f"  {name}")
    if stale and found:
        print("\nlisted as equivalent but not generated this run (a file changed?):")
        for name in stale:
            print(f"  {name}")
    return total_killed, total_counted


def main(argv: list[str] | None = None) -> int:
    """Pick the files, run mutmut, record and print the table; non-zero under --min-score."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="target files, all their mutants again")
    parser.add_argument("--changed", nargs="?", const="HEAD~1", metavar="REF")
    parser.add_argument("--min-score", type=float, default=90.0)
    parser.add_argument("--report-only", action="store_true", help="reread the kept results")
    parser.add_argument("--rerun-survivors", action="store_true")
    parser.add_argument("--both-engines", action="store_true", help="PostgreSQL as well")
    parser.add_argument("--fresh", action="store_true", help="forget every kept result")
    args = parser.parse_args(argv)
    targets = load_targets()
    chosen = args.files
    if args.changed:
        chosen = [f for f in args.files or targets if f in changed_files(args.changed)]
        if not chosen:
            print("mutation: no target file changed")
            return 0
    unknown = [f for f in chosen if f not in targets]
    if unknown:
        parser.error(f"not a mutation target (see {TARGETS.name}): {', '.join(unknown)}")
    files = list(targets)  # mutmut is always set up for every target (its results stay valid)
    shown = chosen or files
    if not args.report_only:
        if args.fresh:
            shutil.rmtree(SCRATCH, ignore_errors=True)
            RESULTS.unlink(missing_ok=True)
        tests = sorted({t for f in files for t in targets[f]})
        prepare_scratch(files, tests, args.both_engines)
        names = [mutant_glob(f) for f in chosen]
        if args.rerun_survivors:
            # mutmut keeps which tests reach which function from its first run: a test
            # changed since to reach a survivor's function would not be run for it (seen:
            # a survivor "survived" a test that fails on it). Mapping afresh costs one run
            # of the target tests; the results stay.
            (SCRATCH / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
            survivors = to_run_again(results(shown), load_equivalent(), function_hashes(files))
            if not survivors:
                print("mutation: no survivors to run again")
                return 0
            names = survivors
        code = run_mutmut(names)
        record_results(files)
        if code not in (0, 1):
            print(f"mutation: mutmut stopped with exit code {code}", file=sys.stderr)
            return code
    else:
        record_results(files)  # what a run stopped part-way had done
    killed, counted = report(results(shown), load_equivalent(), function_hashes(files))
    if counted and 100 * killed / counted < args.min_score:
        print(f"mutation: score under {args.min_score:.0f}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
