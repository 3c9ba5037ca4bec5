"""scripts/mutation's report: equivalent mutants count apart only while their function is
the one that was judged."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mutation.py"


def _tool():
    spec = importlib.util.spec_from_file_location("mutation_tool", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_equivalent_entry_stops_counting_once_its_function_changes(capsys):
    """f is unchanged since its mutant 1 was judged equivalent; g changed since (mutmut
    renumbers a changed function's mutants, so g's mutant 1 may now be another mutation)
    and h's entry has no hash. Only f's entry counts as equivalent: g's and h's count as
    the survivors they are, and both are listed to be judged again. An entry for a mutant
    of this file that was not made is listed; one for a file not reported on is not."""
    tool = _tool()
    found = {
        "pkg/rules.py": {
            "pkg.rules.x_f__mutmut_1": "survived",
            "pkg.rules.x_f__mutmut_2": "killed",
            "pkg.rules.x_g__mutmut_1": "survived",
            "pkg.rules.x_h__mutmut_3": "survived",
        }
    }
    equivalent = {
        "pkg.rules.x_f__mutmut_1": {"reason": "same", "function_hash": "f0"},
        "pkg.rules.x_g__mutmut_1": {"reason": "same", "function_hash": "g-old"},
        "pkg.rules.x_h__mutmut_3": {"reason": "same"},
        "pkg.rules.x_f__mutmut_9": {"reason": "same", "function_hash": "f0"},  # not made now
        "other.file.x_k__mutmut_1": {"reason": "same", "function_hash": "k0"},  # not reported
    }
    hashes = {"pkg.rules.x_f": "f0", "pkg.rules.x_g": "g-new", "pkg.rules.x_h": "h0"}
    assert tool.report(found, equivalent, hashes) == (1, 3)
    out = capsys.readouterr().out
    rejudge = out.split("judge again:")[1].split("\n\n")[0].split()
    assert rejudge == ["pkg.rules.x_g__mutmut_1", "pkg.rules.x_h__mutmut_3"]
    assert "pkg.rules.x_g__mutmut_1  function_hash = 'g-new'" in out
    assert "pkg.rules.x_f__mutmut_1" not in out
    assert out.split("not generated this run (a file changed?):")[1].split() == [
        "pkg.rules.x_f__mutmut_9"
    ]


def test_running_survivors_again_leaves_out_those_judged_equivalent():
    """After new tests, the survivors run again are those a test might now kill: not f's
    mutant 1, judged equivalent on the f still there; but g's, judged on an older g; and
    those no test was run for (no tests mapped, or an odd exit), not those killed, timed
    out or not run yet (a plain run takes those)."""
    tool = _tool()
    found = {
        "pkg/rules.py": {
            "pkg.rules.x_f__mutmut_1": "survived",
            "pkg.rules.x_f__mutmut_2": "killed",
            "pkg.rules.x_f__mutmut_3": "survived",
            "pkg.rules.x_g__mutmut_1": "survived",
            "pkg.rules.x_g__mutmut_2": "not run",
            "pkg.rules.x_g__mutmut_3": "no tests",
            "pkg.rules.x_g__mutmut_4": "timeout",
            "pkg.rules.x_g__mutmut_5": "suspicious",
        }
    }
    equivalent = {
        "pkg.rules.x_f__mutmut_1": {"reason": "same", "function_hash": "f0"},
        "pkg.rules.x_g__mutmut_1": {"reason": "same", "function_hash": "g-old"},
    }
    hashes = {"pkg.rules.x_f": "f0", "pkg.rules.x_g": "g-new"}
    assert tool.to_run_again(found, equivalent, hashes) == [
        "pkg.rules.x_f__mutmut_3",
        "pkg.rules.x_g__mutmut_1",
        "pkg.rules.x_g__mutmut_3",  # no test was mapped to it: never tested
        "pkg.rules.x_g__mutmut_5",
    ]
