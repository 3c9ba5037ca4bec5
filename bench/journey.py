"""Benchmark: many groups answer at once through their links, on gunicorn with PostgreSQL.

Starts a throwaway PostgreSQL on loopback (or uses --database-url), loads N
groups invited to a fresh round, serves the app with gunicorn, and has
--concurrency virtual respondents go through the whole journey (start page,
every section, consent, check answers, send, result) at the same time.
Prints pages per second, p50/p95/p99 latency, errors, and the answers stored
in the database against the answers sent; the baseline, measured in the same
run with the same concurrency, is the health check (/healthz, one query).
A benchmark, not a test: ``.venv/bin/python bench/journey.py [--respondents N]``.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like nothing it imports, but keep bench/ off the path all the same.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import requests  # noqa: E402

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
INSTRUMENT = "confidence"


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (CSRF token, version, submission key)."""
    found = {}
    for tag in HIDDEN.findall(page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return found


def answer_for(question, area_code: str, i: int):
    """A value the question accepts, varied by i."""
    kind = question.type
    if kind == "likert":
        return ["strongly_disagree", "disagree", "neither", "agree", "strongly_agree"][i % 5]
    if kind == "yesno":
        return "yes"  # keeps every follow-up question in, so every answer is stored
    if kind == "single":
        return question.options[i % len(question.options)].value
    if kind == "multiple":
        return [question.options[i % len(question.options)].value]
    if kind == "number":
        return str(int(question.min_value or 0) + 2)
    if kind == "text":
        return f"Answer {i}"
    if kind == "postcode":
        return "LA1 4YW"
    return area_code


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(respondents: int) -> tuple[list[str], str, int]:
    """Areas, groups and an open round with a link each: (tokens, area code, round id)."""
    import datetime as dt

    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db
    from survey.instruments_store import registry
    from survey.journey.invitations import ensure_invitations, live_invitations
    from survey.models import Area, Organisation, OrganisationArea, Round

    app = create_app()
    with app.app_context():
        upgrade()
        instrument = registry().latest(INSTRUMENT)
        ics = Area(code="BENCH-ICS", name="Bench ICS", type="ics")
        home = Area(code="BENCH-N1", name="Bench neighbourhood", type="neighbourhood", parent=ics)
        db.session.add_all([ics, home])
        db.session.flush()
        groups = [Organisation(name=f"Bench group {i}", area=home) for i in range(respondents)]
        db.session.add_all(groups)
        db.session.flush()
        db.session.add_all(OrganisationArea(organisation_id=g.id, area_id=home.id) for g in groups)
        today = dt.date.today()
        round_ = Round(
            slug=f"bench-{int(time.time())}",
            title="Bench round",
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=10),
            areas=[ics],
        )
        db.session.add(round_)
        db.session.commit()
        ensure_invitations(round_)
        tokens = [i.token for i in live_invitations(round_)]
        db.engine.dispose()
        return tokens, home.code, round_.id


class Respondent:
    """One group going through the journey; records each request's latency."""

    def __init__(self, base: str, token: str, instrument, area_code: str, n: int) -> None:
        self.base, self.token, self.instrument = base, token, instrument
        self.plan = {
            q.id: answer_for(q, area_code, n + i) for i, q in enumerate(instrument.questions)
        }
        self.http = requests.Session()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.sent = 0

    def _request(self, method: str, path: str, **kwargs):
        start = time.perf_counter()
        response = self.http.request(
            method, self.base + path, allow_redirects=False, timeout=60, **kwargs
        )
        self.latencies.append(time.perf_counter() - start)
        if response.status_code >= 400:
            problem = re.search(r'govuk-error-summary__list">(.*?)</ul>', response.text, re.S)
            detail = re.sub(r"<[^>]+>|\s+", " ", problem.group(1)).strip() if problem else ""
            self.errors.append(f"{method} {path.split('/')[-1]}: {response.status_code} {detail}")
        return response

    def _follow(self, response):
        while response.status_code in (301, 302, 303):
            response = self._request("GET", response.headers["Location"].replace(self.base, ""))
        return response

    def run(self) -> None:
        """Start, every section, consent, check answers, send, result."""
        url = f"/r/{self.token}"
        self._request("GET", url)
        page = self._follow(self._request("GET", f"{url}/continue"))
        for _ in range(len(self.instrument.sections) + 3):
            location = page.url.replace(self.base, "")
            if "/section/" in location:
                section_id = location.rsplit("/", 1)[1]
                section = next(s for s in self.instrument.sections if s.id == section_id)
                data = {q.id: self.plan[q.id] for q in section.questions}
                self.sent += len(data)
                data.update(hidden_fields(page.text), action="continue")
                page = self._follow(self._request("POST", location, data=data))
            elif location.endswith("/consent"):
                choices = dict.fromkeys(
                    ("consent_broker", "consent_area_lead", "consent_directory"), "no"
                )
                page = self._follow(
                    self._request("POST", location, data={**hidden_fields(page.text), **choices})
                )
            elif location.endswith("/check-answers"):
                page = self._follow(self._request("POST", location, data=hidden_fields(page.text)))
            else:
                break
        if not page.url.endswith("/result"):
            self.errors.append(f"ended on {page.url}")


def hammer_health(base: str, count: int, concurrency: int) -> tuple[float, list[float]]:
    """The baseline: /healthz requests at the same concurrency, (per second, latencies)."""
    latencies: list[float] = []

    def one(_):
        with requests.Session() as http:
            for _ in range(count // concurrency):
                start = time.perf_counter()
                http.get(base + "/healthz", timeout=30)
                latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(concurrency)))
    return len(latencies) / (time.perf_counter() - start), latencies


def percentile(values: list[float], share: float) -> float:
    """The value at this share of the sorted list (nearest rank), in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--database-url", help="an existing PostgreSQL (default: a throwaway)")
    args = parser.parse_args()

    server = None
    if args.database_url:
        url = args.database_url
    else:
        from tests.postgres import PostgresServer

        server = PostgresServer()
        url = server.start()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-" + os.urandom(8).hex())
    os.environ["SURVEY_SECURE_COOKIES"] = "0"  # plain http on loopback
    gunicorn = None
    try:
        tokens, area_code, round_id = seed(args.respondents)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),  # beside this Python
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "survey:create_app()",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
        )
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")

        from instruments import load_registry

        instrument = load_registry().latest(INSTRUMENT)
        baseline_rate, baseline_latencies = hammer_health(base, 2000, args.concurrency)
        people = [
            Respondent(base, token, instrument, area_code, n) for n, token in enumerate(tokens)
        ]
        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda r: r.run(), people))
        elapsed = time.perf_counter() - start

        latencies = [t for r in people for t in r.latencies]
        errors = [e for r in people for e in r.errors]
        sent = sum(r.sent for r in people)
        stored, submitted = count_stored(round_id)
        rate = len(latencies) / elapsed
        print(
            f"{args.respondents} respondents, {args.concurrency} at once, "
            f"gunicorn {args.workers} workers, PostgreSQL on loopback"
        )
        print(
            f"journey: {len(latencies)} requests in {elapsed:.1f} s = {rate:.0f} pages/s; "
            f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
            f"p99 {percentile(latencies, 0.99):.0f} ms"
        )
        print(
            f"baseline /healthz: {baseline_rate:.0f} requests/s, "
            f"p50 {statistics.median(baseline_latencies) * 1000:.1f} ms; "
            f"journey pages/s is {rate / baseline_rate:.2f} x the baseline"
        )
        print(f"errors: {len(errors)}" + (f" (first: {errors[:3]})" if errors else ""))
        print(
            f"answers in the database {stored} / sent {sent}; "
            f"submitted responses {submitted} / {args.respondents}"
        )
        if errors or stored != sent or submitted != args.respondents:
            sys.exit(1)
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if server is not None:
            server.stop()


def count_stored(round_id: int) -> tuple[int, int]:
    """(answers stored, responses submitted) for the bench round."""
    import sqlalchemy as sa

    from survey import create_app
    from survey.extensions import db
    from survey.models import Answer, Response

    app = create_app()
    with app.app_context():
        stored = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Answer)
            .join(Response)
            .where(Response.round_id == round_id, Response.status == "submitted")
        )
        submitted = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .where(Response.round_id == round_id, Response.status == "submitted")
        )
        db.engine.dispose()
        return stored, submitted


if __name__ == "__main__":
    main()
