"""The bounded memo the exports keep work on repeated values in."""

from __future__ import annotations

from exports.kept import Kept


def test_each_key_is_worked_out_once_for_the_first_keys_met_and_each_time_after():
    calls = []

    def work(key: str) -> bool:
        calls.append(key)
        return key.startswith("=")  # False is kept as an answer too, not taken for "none"

    kept = Kept(work, limit=2)
    assert [kept[k] for k in ("a", "=b", "a", "=b", "c", "c", "a")] == [
        False, True, False, True, False, False, False,
    ]  # fmt: skip
    assert calls == ["a", "=b", "c", "c"]  # "c" came after the limit: worked out each time
    assert dict(kept) == {"a": False, "=b": True}
    assert Kept(work, limit=0)["x"] is False and "x" not in Kept(work, limit=0)
