"""Pages for brokers: the portfolio, moderating a group's levels, support plans, paper answers."""

from __future__ import annotations

import datetime as dt
import tempfile

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from exports.paper import PaperFileError
from exports.support_plans import plan_lines, shown_level, with_tracking
from instruments.answers import written

from .. import audit
from ..access import ADMIN, BROKER, group_answers_rule, may_see_group_answers, signed_in_user
from ..extensions import db
from ..instruments_store import instrument_for, registry
from ..journey.invitations import invitation_rows
from ..mail import stopped_part_way
from ..models import OVERALL, Broker, Organisation, Round
from ..paging import Page
from ..reminders import due_reminders, send_reminders
from .paper_import import import_paper, paper_template
from .plans_data import (
    DEFAULT_TARGET,
    chase_list,
    current_responses,
    group_result,
    offers_needed,
    portfolio_ids,
    portfolio_levels,
    portfolio_rows,
    tracked_actions,
)
from .plans_data import support_plans_workbook as plans_workbook
from .views import actor, bp, round_by_slug, xlsx_download

NOTE_LIMIT = 2000
# Rows per page of the portfolio's two lists: a broker with 20,000 groups had them all on
# one 17.5 MB page, which took 3 of its 9.6 seconds to render
PORTFOLIO_PAGE = 100
REMINDER_INTERVAL = dt.timedelta(days=7)  # a group gets at most one reminder a week


def group_rounds() -> list[Round]:
    """Rounds answered by groups (not localities), newest first."""
    rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc())).all()
    return [r for r in rounds if instrument_for(r).kind == "organisation"]


def broker_for_viewer() -> Broker:
    """A broker's own organisation; an admin names one with ?broker=ID (404 otherwise)."""
    if current_user.role == BROKER:
        broker = current_user.broker
    else:
        chosen = request.args.get("broker", "")
        broker = db.session.get(Broker, int(chosen)) if chosen.isdigit() else None
    if broker is None:
        abort(404)
    return broker


@bp.get("/portfolio")
def portfolio_home():
    """Pick a round (and, for an admin, a broker) to see a portfolio."""
    brokers = (
        [current_user.broker]
        if current_user.role == BROKER
        else db.session.scalars(sa.select(Broker).order_by(Broker.name)).all()
    )
    return render_template(
        "views/reports/portfolio_home.html",
        brokers=[b for b in brokers if b is not None],
        rounds=group_rounds(),
        is_admin=current_user.role == ADMIN,
    )


@bp.get("/portfolio/<slug>")
def portfolio_page(slug: str):
    """Who has responded, who to chase, each group's gaps, links to moderate."""
    round_ = round_by_slug(slug)
    if instrument_for(round_).kind != "organisation":
        abort(404)
    broker = broker_for_viewer()
    groups = portfolio_rows(broker)  # plain rows: the page shows a hundred of them
    # every group's, one row each, kept while unchanged
    levels = portfolio_levels(round_, broker, frozenset(g.id for g in groups))
    target = round_.target_level or DEFAULT_TARGET
    viewer = signed_in_user()  # checked for each of 20,000 groups
    sees = group_answers_rule(viewer)  # the consent rule, the viewer read once
    visible = {g.id: sees(g) for g in groups}
    groups_page = Page(len(groups), request.args.get("page"), PORTFOLIO_PAGE)
    on_page = groups[groups_page.start : groups_page.end]
    responses = current_responses(round_, [g.id for g in on_page])  # this page's, for its rows
    rows = []
    for g in on_page:
        response = responses.get(g.id)
        overall = None
        gaps = None
        if response is not None and visible[g.id]:
            scores = {s.domain_id: s for s in response.scores}
            overall = scores.get(OVERALL).level if OVERALL in scores else None
            shown = [
                shown_level(s.level, s.moderated_level) for d, s in scores.items() if d != OVERALL
            ]
            gaps = sum(1 for level in shown if level is not None and level < target)
        rows.append({"org": g, "response": response, "visible": visible[g.id],
                     "overall": overall, "gaps": gaps})  # fmt: skip
    broker_arg = broker.id if current_user.role == ADMIN else None
    not_answered = [g for g in groups if g.id not in levels]  # the chase list's groups
    waiting = (  # none asked for reads none (no ids at all would read the whole round's)
        invitation_rows(round_, {g.id for g in not_answered}, not_answered=True)
        if not_answered
        else []
    )
    due = due_reminders(round_, interval=REMINDER_INTERVAL, rows=waiting)  # rows read once
    needed = offers_needed(  # every group's that shares its answers, not this page's
        instrument_for(round_),
        registry().offers,
        (levels[g.id] for g in groups if visible[g.id] and g.id in levels),
        target,
    )
    chase_page = Page(len(not_answered), request.args.get("chase_page"), PORTFOLIO_PAGE)
    chase = chase_list(  # this page's lines: one a group not answered, in the same order
        round_,
        not_answered[chase_page.start : chase_page.end],
        set(levels),
        current_user,
        rows=waiting,
    )

    def page_url(anchor: str, **asked: int) -> str:  # each list's links keep the other's page
        chosen = {"page": groups_page.number, "chase_page": chase_page.number} | asked
        pages = {k: v for k, v in chosen.items() if v != 1}
        return (
            url_for("reports.portfolio_page", slug=round_.slug, broker=broker_arg, **pages) + anchor
        )

    return render_template(
        "views/reports/portfolio.html",
        offers_needed=sorted(needed.items(), key=lambda item: (-item[1], item[0])),
        round=round_,
        broker=broker,
        rows=rows,
        groups_total=len(groups),
        groups_page=groups_page,
        chase=chase,
        chase_total=len(not_answered),
        chase_page=chase_page,
        groups_url=lambda n: page_url("#portfolio-groups", page=n),
        chase_url=lambda n: page_url("#portfolio-chase", chase_page=n),
        due=due,
        stopped={g.id for g in groups if g.reminders_stopped_at is not None},
        responded=len(levels),
        target=target,
        broker_arg=broker_arg,
    )


@bp.post("/portfolio/<slug>/reminders")
def portfolio_reminders(slug: str):
    """Email the portfolio's non-responders their own links (at most one a week each)."""
    round_ = round_by_slug(slug)
    if instrument_for(round_).kind != "organisation":
        abort(404)
    broker = broker_for_viewer()
    if not FlaskForm().validate():
        abort(400)
    group_ids = portfolio_ids(broker)
    outcome = send_reminders(
        round_, actor=current_user, interval=REMINDER_INTERVAL, organisation_ids=group_ids
    )
    if outcome.failure:
        stopped = stopped_part_way(
            outcome.failure, outcome.sent, len(outcome.due) - outcome.sent, "reminder"
        )
        flash(f"Reminders could not all be sent: {stopped}; try again later to send the rest.")
    else:
        flash(f"Reminders sent to {outcome.sent} {'group' if outcome.sent == 1 else 'groups'}.")
    args = {"broker": broker.id} if current_user.role == ADMIN else {}
    return redirect(url_for("reports.portfolio_page", slug=slug, **args))


@bp.get("/portfolio/<slug>/support-plans.xlsx")
def portfolio_plans(slug: str):
    """The portfolio's support plans workbook (plans only for groups that consented)."""
    round_ = round_by_slug(slug)
    broker = broker_for_viewer()
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed once sent: xlsx_download)
    plans_workbook(round_, None, out, viewer=signed_in_user(), actor=actor(), broker=broker)
    return xlsx_download(out, f"support-plans-{round_.slug}.xlsx")


def _answered_group(slug: str, org_id: int):
    """(round, group, its current submission) for a member of staff who may see the group's
    answers: 404 for no such group or no submission, 403 for one that does not share."""
    round_ = round_by_slug(slug)
    org = db.session.get(Organisation, org_id)
    if org is None:
        abort(404)
    if not may_see_group_answers(current_user, org):
        abort(403)
    response = current_responses(round_, [org.id]).get(org.id)
    if response is None:
        abort(404)
    return round_, org, response


@bp.route("/portfolio/<slug>/groups/<int:org_id>", methods=["GET", "POST"])
def moderate(slug: str, org_id: int):
    """A group's answers and levels; the broker records a moderated level and note per domain."""
    round_, org, response = _answered_group(slug, org_id)
    instrument = instrument_for(round_)
    scores = {s.domain_id: s for s in response.scores}
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _save_moderation(instrument, scores, org, round_)
        if not errors:
            flash("Moderated levels saved. The self-assessed levels are kept too.")
            return redirect(request.full_path.rstrip("?"))
    answers = response.answer_map()
    return render_template(
        "views/reports/moderate.html",
        round=round_,
        org=org,
        instrument=instrument,
        scores=scores,
        answers=answers,
        errors=errors,
        form=request.form if request.method == "POST" else None,
        labels=_answer_labels(instrument, answers),
    ), (400 if errors else 200)


@bp.get("/portfolio/<slug>/groups/<int:org_id>/plan")
def group_plan(slug: str, org_id: int):
    """A group's plan on one printable page: levels, ambition, actions, owners, dates."""
    round_, org, response = _answered_group(slug, org_id)
    instrument = instrument_for(round_)
    target = round_.target_level or DEFAULT_TARGET
    lines = plan_lines(instrument, registry().offers, group_result(round_, org, response), target)
    actions, others = with_tracking(lines, tracked_actions(round_, [org], current_user))
    return render_template(
        "views/reports/group_plan.html",
        round=round_,
        org=org,
        instrument=instrument,
        scores={s.domain_id: s for s in response.scores},
        target=target,
        actions=actions,
        others=others,
        today=dt.date.today(),
    )


def _save_moderation(instrument, scores, org, round_) -> dict[str, str]:
    """Validate the whole form first; write nothing unless every domain is fine."""
    errors, changes = {}, []
    for domain in instrument.domains:
        score = scores.get(domain.id)
        if score is None:
            continue
        raw = request.form.get(f"level-{domain.id}", "").strip()
        note = request.form.get(f"note-{domain.id}", "").strip()
        if raw and raw not in {"1", "2", "3", "4", "5"}:
            errors[domain.id] = f"{domain.name}: choose a level from 1 to 5, or none"
        elif raw and not note:
            errors[domain.id] = f"{domain.name}: say why the level is moderated"
        elif len(note) > NOTE_LIMIT:
            errors[domain.id] = f"{domain.name}: the note must be {NOTE_LIMIT} characters or fewer"
        else:
            changes.append((score, int(raw) if raw else None, note or None))
    if errors:
        return errors
    for score, level, note in changes:
        score.moderated_level, score.moderation_note = level, note
    audit.record(
        actor(),
        "moderate",
        f"{round_.slug}:org {org.id}",
        {s.domain_id: lv for s, lv, _ in changes},
    )
    db.session.commit()
    return {}


def _answer_labels(instrument, answers: dict) -> dict[str, str]:
    """Question id -> the answer as the group saw it (labels, not ids)."""
    shown = {}
    for q in instrument.questions:
        text = written(q, answers.get(q.id))
        if text is not None:
            shown[q.id] = text
    return shown


@bp.route("/paper", methods=["GET", "POST"])
def paper():
    """Upload a filled paper template: every row checked, all imported or none."""
    rounds = group_rounds()
    outcome, problem = None, None
    if request.method == "POST":
        round_ = next((r for r in rounds if r.slug == request.form.get("round")), None)
        upload = request.files.get("file")
        if round_ is None:
            problem = "Choose the round the answers belong to"
        elif upload is None or not upload.filename:
            problem = "Choose the filled workbook to upload"
        else:
            group_ids = None
            if current_user.role == BROKER:
                group_ids = portfolio_ids(current_user.broker) if (current_user.broker) else set()
            try:
                outcome = import_paper(
                    upload.read(),
                    upload.filename,
                    round_,
                    actor=actor(),
                    group_ids=group_ids,
                    closed_allowed=current_user.role == ADMIN,
                )
            except PaperFileError as error:
                problem = str(error)
    status = 400 if problem or (outcome and outcome.errors) else 200
    return render_template(
        "views/reports/paper.html", rounds=rounds, outcome=outcome, problem=problem
    ), status


@bp.get("/paper/<slug>/template.xlsx")
def paper_template_download(slug: str):
    """The paper template for a round's questionnaire (a broker's: its own groups)."""
    round_ = round_by_slug(slug)
    instrument = registry().get(round_.instrument_id, round_.instrument_version)
    if instrument.kind != "organisation":
        abort(404)
    broker_id = None
    if current_user.role == BROKER:
        if current_user.broker_id is None:
            abort(404)
        broker_id = current_user.broker_id
    return xlsx_download(paper_template(instrument, broker_id), f"paper-{round_.slug}.xlsx")
