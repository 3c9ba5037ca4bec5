"""Every domain describes each of its five levels in its own words; the checker insists."""

from __future__ import annotations

import shutil

import yaml
from click.testing import CliRunner

from instruments import DEFINITIONS_DIR, load_registry
from survey.commands.main import main


def test_the_checker_rejects_a_shipped_instrument_missing_one_descriptor(tmp_path):
    shutil.copy(DEFINITIONS_DIR / "support-offers.yaml", tmp_path)
    name = "dmi-locality-2025.1.yaml"
    text = (DEFINITIONS_DIR / name).read_text()
    doc = yaml.safe_load(text)
    privacy = [d["id"] for d in doc["domains"]].index("privacy_consent")
    # Remove exactly one line: privacy and consent's level 2 descriptor.
    lines = text.splitlines(keepends=True)
    domains = lines.index("domains:\n")
    start = next(
        i for i in range(domains, len(lines)) if lines[i].startswith("  - id: privacy_consent")
    )
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == "- level: 2")
    assert lines[at + 1].strip().startswith("descriptor:")
    del lines[at + 1]
    (tmp_path / name).write_text("".join(lines))

    result = CliRunner().invoke(main, ["instruments", "check", str(tmp_path / name)])

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"{name}: domains[{privacy}].levels[1]: domain 'privacy_consent' level 2 has no "
        "descriptor (what this level means in this domain)"
    ]


def test_every_shipped_domain_has_five_descriptors_of_its_own():
    for instrument in load_registry(DEFINITIONS_DIR).all():
        shared = {lv.description for lv in instrument.levels}
        for domain in instrument.domains:
            words = [lv.descriptor for lv in domain.levels]
            assert len(words) == 5 and all(w.strip() for w in words), domain.id
            assert len(set(words)) == 5, (instrument.id, domain.id)  # one per level
            # never the whole-survey meaning repeated under a domain
            assert not shared & set(words), (instrument.id, domain.id)


def test_level_words_under_a_domain_are_the_domains_own():
    readiness = load_registry(DEFINITIONS_DIR).latest("vcse-readiness")
    name, meaning = readiness.level_words("digital_barriers", 5)
    assert meaning == readiness.domain("digital_barriers").level(5).descriptor
    assert meaning != readiness.level(5).description
    # barriers read as barriers: a high level is few barriers, not "Leading"
    assert "barrier" in name.lower() and name != readiness.level(5).name
    overall_name, overall_meaning = readiness.level_words("overall", 5)
    assert (overall_name, overall_meaning) == (
        readiness.level(5).name,
        readiness.level(5).description,
    )
