"""Support plans from the database: a group's or a broker's portfolio, consent respected."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import IO, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import defer, joinedload, selectinload

from exports.support_plans import (
    MODERATED,
    SELF_ASSESSED,
    GroupLevel,
    GroupResult,
    NotResponded,
    Tracked,
    plan_lines,
    shown_level,
    write_support_plans,
)

from .. import audit
from ..access import ADMIN, group_answers_rule
from ..extensions import db
from ..help_requests import visible_requests
from ..instruments_store import instrument_for, registry
from ..journey.invitations import NOT_STARTED, WITHHELD, InvitationRow, invitation_rows
from ..journey.links import group_link
from ..models import (
    Area,
    Broker,
    DomainScore,
    HelpRequest,
    HelpStatus,
    Organisation,
    Response,
    Round,
    current_submissions,
)
from ..publication_token import change_token
from ..sql import ids_in, pivoted
from .method import method_lines

DEFAULT_TARGET = 3


def current_responses(round_: Round, org_ids: Sequence[int]) -> dict[int, Response]:
    """Organisation id -> its current submitted response in the round, scores loaded."""
    if not org_ids:
        return {}
    responses = db.session.scalars(
        sa.select(Response)
        .options(selectinload(Response.scores))
        .where(
            *current_submissions(round_.id),
            Response.organisation_id.in_(list(org_ids)),
        )
    )
    return {r.organisation_id: r for r in responses}


def group_result(round_: Round, org: Organisation, response: Response) -> GroupResult:
    """A group's levels per domain (self-assessed and moderated) from its response."""
    scores = [
        (s.domain_id, s.level, s.moderated_level, s.moderation_note, s.ambition)
        for s in response.scores
    ]
    return _result(instrument_for(round_), org, response.submitted_at, scores)


def _result(
    instrument, org: Organisation | GroupRow, submitted_at, scores, names=None
) -> GroupResult:
    """scores: (domain, level, moderated level, note, ambition) in any order; the result's
    levels are the instrument's domains in its order (not overall, nor a domain it lacks).
    names: the instrument's domain names by id, when the caller has them (many groups)."""
    by_domain = {s[0]: s[1:] for s in scores}  # one score a domain (a unique key)
    levels = tuple(
        GroupLevel(domain_id, name, *by_domain[domain_id])
        for domain_id, name in (names or _domain_names(instrument)).items()
        if domain_id in by_domain
    )
    area = org.area
    return GroupResult(
        org_id=org.id,
        name=org.name,
        area_code=area.code if area else "",
        area_name=area.name if area else "no area",
        submitted_on=submitted_at.date() if submitted_at else None,
        levels=levels,
    )


def _domain_names(instrument) -> dict[str, str]:
    return {d.id: d.name for d in instrument.domains}


def _score_rows(round_: Round, org_ids: Sequence[int] | sa.Select, *columns):
    """(organisation id, *columns) for each score row of these groups' current submissions
    in the round, and one row with the score columns None for a submission with none."""
    return db.session.execute(_score_query(round_, org_ids, *columns))


def _score_query(round_: Round, org_ids: Collection[int] | sa.Select, *columns) -> sa.Select:
    """_score_rows' query (group it by organisation for one row a group)."""
    return (
        sa.select(Response.organisation_id, *columns)
        .outerjoin(
            DomainScore,
            sa.and_(DomainScore.response_id == Response.id, DomainScore.round_id == round_.id),
        )
        .where(*current_submissions(round_.id), ids_in(Response.organisation_id, org_ids))
    )


def group_results(round_: Round, orgs: Sequence[Organisation | GroupRow]) -> dict[int, GroupResult]:
    """Organisation id -> its result, for each of the groups with a current submission.

    The same as group_result over current_responses, read as plain rows: for a portfolio
    of 20,000 groups (14,479 answered) the response and score objects were 138 MB."""
    ids = [o.id for o in orgs]
    if not ids:
        return {}
    rows = _score_rows(
        round_,
        ids,
        Response.submitted_at,
        DomainScore.domain_id,
        DomainScore.level,
        DomainScore.moderated_level,
        DomainScore.moderation_note,
        DomainScore.ambition,
    )
    submitted: dict[int, object] = {}
    scores: dict[int, list[tuple]] = defaultdict(list)
    for org_id, at, *score in rows:
        submitted[org_id] = at
        if score[0] is not None:  # a submission with no score rows still has a result
            scores[org_id].append(tuple(score))
    instrument = instrument_for(round_)
    names = _domain_names(instrument)
    by_id = {o.id: o for o in orgs}
    return {
        org_id: _result(instrument, by_id[org_id], at, scores[org_id], names)
        for org_id, at in submitted.items()
    }


class Named(NamedTuple):
    """An area's code and name, or a broker's name, as a portfolio row carries them."""

    code: str
    name: str


class GroupRow(NamedTuple):
    """What a broker's lists show and check of a group, read as a plain row with
    Organisation's attribute names (so access.may_see_group_answers, the lists and
    the templates take either): 20,000 Organisation objects with their areas took 0.5 s
    to load, the same rows 0.05 s."""

    id: int
    name: str
    email: str | None
    area_id: int | None
    area: Named | None
    broker_id: int | None
    broker: Named | None
    consent_broker: bool
    consent_area_lead: bool
    reminders_stopped_at: dt.datetime | None


def portfolio_rows(broker: Broker) -> list[GroupRow]:
    """A broker's groups, by name, as plain rows (see GroupRow)."""
    query = (
        sa.select(
            Organisation.id,
            Organisation.name,
            Organisation.email,
            Organisation.area_id,
            Area.code,
            Area.name,
            Organisation.consent_broker,
            Organisation.consent_area_lead,
            Organisation.reminders_stopped_at,
        )
        .outerjoin(Area, Area.id == Organisation.area_id)
        .where(Organisation.broker_id == broker.id)
        .order_by(Organisation.name, Organisation.id)
    )
    # Core rows, fetched at once: for 20,000 groups the ORM's rows added 0.04 s, and
    # fetching them one at a time took as long as the query
    rows = db.session.connection().execute(query).all()
    broker_id, named = broker.id, Named("", broker.name)  # a broker has no code
    areas: dict[int | None, Named | None] = {None: None}  # one Named an area, not a group
    out = []
    for org_id, name, email, area_id, code, area_name, *consents_and_stop in rows:
        area = areas.get(area_id)
        if area is None and area_id is not None:
            area = areas[area_id] = Named(code, area_name)
        out.append(
            GroupRow(org_id, name, email, area_id, area, broker_id, named, *consents_and_stop)
        )
    return out


def portfolio_query(broker: Broker) -> sa.Select:
    """A broker's groups' ids, as a query (for ids_in: the database reads them itself)."""
    return sa.select(Organisation.id).where(Organisation.broker_id == broker.id)


def portfolio_ids(broker: Broker) -> set[int]:
    """A broker's groups' ids."""
    return set(db.session.scalars(portfolio_query(broker)))


# (database, round id, broker id) -> (the round's change token, the broker's groups, their
# levels shown), for a few portfolios
_LEVELS: dict[tuple[str, int, int], tuple[tuple, frozenset[int], dict[int, tuple]]] = {}
_LEVELS_KEPT = 8
_LEVELS_LOCK = threading.Lock()  # a threaded server's requests share them


def portfolio_levels(round_: Round, broker: Broker, group_ids: frozenset[int]) -> dict[int, tuple]:
    """shown_levels of a broker's groups (``group_ids``: all of them, as the page read
    them), kept while nothing they are made from changes: the round's change token
    (survey.publication_token) is renewed in the same transaction as any write to its
    current submissions or their scores, whoever writes, and the broker's groups must
    be the same ones. A portfolio's page shows a hundred groups of 20,000 but counts
    them all, on each of its pages: the levels of 14,479 answered groups took 0.25 s."""
    token = change_token(round_)
    key = (str(db.engine.url), round_.id, broker.id)
    kept = _LEVELS.get(key)
    if token is not None and kept is not None and kept[0] == token and kept[1] == group_ids:
        return kept[2]
    levels = shown_levels(round_, group_ids)  # these ids: read together with the groups
    if token is not None:
        with _LEVELS_LOCK:
            if key not in _LEVELS and len(_LEVELS) >= _LEVELS_KEPT:
                _LEVELS.pop(next(iter(_LEVELS)))  # the oldest
            _LEVELS[key] = (token, group_ids, levels)
    return levels


def shown_levels(round_: Round, org_ids: Collection[int] | sa.Select) -> dict[int, tuple]:
    """Organisation id -> ((domain, level shown), ...) in the instrument's domain order, for
    each group with a current submission (what its plan's actions follow from; the rest of
    group_results, for a portfolio's page that shows a hundred groups of 20,000).
    ``org_ids``: the groups' ids, or a query of them (portfolio_query).

    One row a group, each domain's score row in three columns of it (has one, its level,
    its moderated level): 14,479 rows for a portfolio of 20,000 groups, where one row a
    score was 100,000 for Python to gather."""
    if not isinstance(org_ids, sa.Select) and not org_ids:
        return {}
    domains = [d.id for d in instrument_for(round_).domains]
    columns = pivoted(  # not overall, nor a domain the instrument lacks
        DomainScore.domain_id,
        domains,
        DomainScore.level,
        DomainScore.moderated_level,
        present=True,
    )
    rows = db.session.execute(
        _score_query(round_, org_ids, *columns).group_by(Response.organisation_id)
    )
    shown: dict[tuple, tuple] = {}  # each distinct row's levels worked out once
    out = {}
    for org_id, *found in rows:
        key = tuple(found)
        if key not in shown:
            shown[key] = tuple(
                (domain_id, shown_level(level, moderated_level))
                for domain_id, has, level, moderated_level in zip(
                    domains, key[0::3], key[1::3], key[2::3], strict=True
                )
                if has
            )
        out[org_id] = shown[key]
    return out


def offers_needed(instrument, offers, levels: Iterable[tuple], target: int) -> Counter[str]:
    """Support offer -> how many of these groups' plans name it. ``levels``: each group's
    levels shown (shown_levels).

    A plan's lines are its domains' lines, each following from that domain's level
    alone (plan_lines; only their priorities depend on the others), so a plan names
    the offers its domains' levels name. Those are planned once a domain and level
    (a few dozen), where planning each distinct set of levels took 0.1 s for the
    1,268 sets of a portfolio of 20,000 groups."""
    names = _domain_names(instrument)
    named: dict[tuple, frozenset[str]] = {}  # (domain, level) -> the offers its lines name

    def offers_of(domain_id: str, level: int) -> frozenset[str]:
        if (domain_id, level) not in named:
            alone = GroupResult(
                0, "", "", "", None, (GroupLevel(domain_id, names[domain_id], level),)
            )
            lines = plan_lines(instrument, offers, alone, target)
            named[domain_id, level] = frozenset(line.offer for line in lines if line.offer)
        return named[domain_id, level]

    needed: Counter[str] = Counter()
    for shown, groups in Counter(levels).items():
        for offer in frozenset().union(*(offers_of(d, level) for d, level in shown)):
            needed[offer] += groups
    return needed


def portfolio(broker: Broker) -> list[Organisation]:
    """A broker's groups, by name (their profiles, which no plan or list shows, not read:
    a JSON document each, for some 20,000 groups)."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .options(joinedload(Organisation.area), defer(Organisation.profile))
            .where(Organisation.broker_id == broker.id)
            .order_by(Organisation.name, Organisation.id)
        )
    )


def chase_list(
    round_: Round,
    orgs: Sequence[Organisation | GroupRow],
    responded: set[int],
    viewer=None,
    rows: list[InvitationRow] | None = None,
) -> list[NotResponded]:
    """Groups with no submitted answer yet: status, last reminder, broker and journey link.

    Status and last reminder are the invitations list's (invitation_rows, as
    `survey invitations` writes them; ``rows``: the groups' rows not answered, when the
    caller has read them). A viewer who is not an admin gets no link for a group that
    answered before and does not share with them (the rule of
    journey.invitations.withheld_links).
    """
    waiting = [o for o in orgs if o.id not in responded]
    answered_before = set(
        db.session.scalars(
            sa.select(Response.organisation_id)
            .where(ids_in(Response.organisation_id, [o.id for o in waiting]))
            .distinct()
        )
    )
    sees = group_answers_rule(viewer) if viewer is not None else None
    withheld = {
        o.id
        for o in waiting
        if sees is not None and viewer.role != ADMIN and o.id in answered_before and not sees(o)
    }
    if rows is None:
        rows = invitation_rows(round_, {o.id for o in waiting}, not_answered=True)
    invited = {row.org_id: row for row in rows}
    chase = []
    for o in waiting:
        row = invited.get(o.id)  # None: no link made yet, so nothing started or sent
        if o.id in withheld:
            link = WITHHELD
        else:
            link = group_link(row.invitation.token) if row is not None else None
        chase.append(
            NotResponded(
                org_id=o.id,
                name=o.name,
                area_name=o.area.name if o.area else "no area",
                email=o.email,
                link=link,
                status=row.status if row is not None else NOT_STARTED,
                last_reminded=row.last_reminded.date()
                if row is not None and row.last_reminded
                else None,
                broker=o.broker.name if o.broker else "",
            )
        )
    return chase


def tracked_actions(
    round_: Round, orgs: Sequence[Organisation | GroupRow], viewer
) -> list[Tracked]:
    """The groups' help requests in the round that the viewer's caseload holds (all: CLI)."""
    if not orgs:
        return []
    query = (sa.select(HelpRequest) if viewer is None else visible_requests(viewer)).where(
        HelpRequest.round_id == round_.id,
        ids_in(HelpRequest.organisation_id, [o.id for o in orgs]),
    )
    names = {o.id: o for o in orgs}
    found = db.session.scalars(query.options(selectinload(HelpRequest.owner)))
    return [
        Tracked(
            number=h.id,
            version=h.version,
            status=h.status_label,
            owner=h.owner.email if h.owner else "",
            due_on=h.due_on,
            is_open=h.is_open,
            org_id=h.organisation_id,
            group=names[h.organisation_id].name,
            area_name=names[h.organisation_id].area.name
            if names[h.organisation_id].area
            else "no area",
            key=h.subject_key,
            subject=h.subject,
        )
        for h in found
    ]


def support_plans_workbook(
    round_: Round,
    orgs: Sequence[Organisation] | None,
    out: IO[bytes],
    *,
    viewer,
    actor: str,
    broker: Broker | None = None,
) -> None:
    """Write the support plans workbook for some groups, or a broker's whole portfolio.

    ``out``: a file, not bytes in memory (for a portfolio of 14,000 groups, 12 MB). A
    route writes to a temporary file and sends it from there; the command line writes
    to its output. ``viewer`` None is the command line (an administrator): every group.
    A signed-in viewer only gets the plans of groups whose answers they may see.
    """
    instrument = instrument_for(round_)
    everyone = portfolio_rows(broker) if broker is not None else list(orgs or [])
    sees = group_answers_rule(viewer) if viewer is not None else None
    visible = [o for o in everyone if sees is None or sees(o)]
    results = group_results(round_, everyone)
    groups = [results[o.id] for o in visible if o.id in results]
    target = round_.target_level or DEFAULT_TARGET
    chase = chase_list(round_, everyone, set(results), viewer) if broker is not None else None
    hidden = len(everyone) - len(visible)
    extra = [("Groups", f"{len(groups)} with a plan; {hidden} left out (no consent to share)")]
    if broker is not None:
        extra.insert(0, ("Broker", broker.name))
    method = method_lines(
        instrument,
        actor=actor,
        shown=f"{MODERATED} where a broker has moderated a domain, else {SELF_ASSESSED} "
        "(column 'Level shown')",
        round_title=round_.title,
        target=target,
        extra=extra,
    )
    write_support_plans(
        out,
        instrument=instrument,
        offers=registry().offers,
        groups=groups,
        target=target,
        method=method,
        not_responded=chase,
        round_slug=round_.slug,
        tracked=tracked_actions(round_, everyone, viewer),
        statuses=[s.label for s in HelpStatus],
    )
    audit.record(
        actor,
        "export-support-plans",
        f"{round_.slug}:" + (f"broker {broker.id}" if broker else "groups"),
        {"groups": len(groups)},
    )
    db.session.commit()
