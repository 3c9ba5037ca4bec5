"""The directory entry a group keeps, from its own link: one thing per page, a check page
that shows the listing as the public will see it, and "still right" in one click.

The pages and their rules are in exports/listing_entry.py; what is published is decided
by survey.directory (the listing the consent question shows).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from exports.listing_entry import CATEGORIES, STEP_BY_SLUG, read_step, steps_for
from exports.oruk import listing_rows

from .. import directory, directory_entries
from ..models import utcnow
from .forms import ButtonForm
from .respondent import find_respondent
from .views import bp

SAVED = "Your listing is saved. It shows in the directory if you agreed to be listed."
CONFIRMED = "Thank you: your listing is marked as still right today."


def _group(token: str):
    """The respondent and its group, for a group's own link (404 for an area's)."""
    respondent = find_respondent(token)
    organisation = respondent.invitation.organisation
    if respondent.is_locality or organisation is None:
        abort(404)
    draft = respondent.draft()
    in_journey = respondent.round.is_open() and (
        draft is not None or respondent.submitted() is None
    )
    if not in_journey and not respondent.via_private:
        abort(404)  # an invitation link that has done its work: the group's own link only
    return respondent, organisation


def _categories_text(values) -> str:
    labels = dict(CATEGORIES)
    return ", ".join(labels[v] for v in values or () if v in labels)


def _next(values: dict, slug: str) -> str | None:
    steps = [s.slug for s in steps_for(values)]
    later = steps[steps.index(slug) + 1 :] if slug in steps else []
    return later[0] if later else None


@bp.route("/r/<token>/listing/<slug>", methods=["GET", "POST"])
def listing_step(token: str, slug: str):
    """One page of the group's directory entry."""
    respondent, organisation = _group(token)
    step = STEP_BY_SLUG.get(slug)
    if step is None:
        abort(404)
    values = directory_entries.working_values(organisation)
    if step.slug == "venue" and values.get("venue_public") != "yes":
        return redirect(url_for("journey.listing_step", token=token, slug="where"))
    changing = request.args.get("change") == "1"
    errors = {}
    shown = {f.name: values.get(f.name, [] if f.kind == "categories" else "") for f in step.fields}
    if request.method == "POST":
        if not ButtonForm().validate():
            abort(400)
        posted = {
            f.name: request.form.getlist(f.name)
            if f.kind == "categories"
            else request.form.get(f.name)
            for f in step.fields
        }
        stored, errors = read_step(step, posted)
        if not errors:
            values = directory_entries.save_step(organisation, stored)
            following = _next(values, slug)
            if step.slug == "where" and stored.get("venue_public") == "yes":
                following = "venue"  # a new public venue needs its address, even when changing
            elif changing or following is None:
                following = None
            if following:
                args = {"change": "1"} if changing else {}
                return redirect(
                    url_for("journey.listing_step", token=token, slug=following, **args)
                )
            return redirect(url_for("journey.listing", token=token))
        shown = {name: posted[name] or ("" if name != "categories" else []) for name in posted}
    steps = steps_for(values)
    number = next((i for i, s in enumerate(steps, 1) if s.slug == slug), len(steps))
    before = steps[number - 2].slug if number > 1 else None
    back = (
        url_for("journey.listing", token=token)
        if changing or before is None
        else url_for("journey.listing_step", token=token, slug=before)
    )
    return render_template(
        "views/journey/listing_step.html",
        r=respondent,
        step=step,
        shown=shown,
        errors=errors,
        number=number,
        total=len(steps),
        back=back,
        categories=CATEGORIES,
        errors_list=[{"text": text, "href": f"#{name}"} for name, text in errors.items()],
        form=ButtonForm(formdata=None),
    ), (400 if errors else 200)


@bp.route("/r/<token>/listing", methods=["GET", "POST"])
def listing(token: str):
    """The check page: the listing as the directory will show it, with a change link for
    each page; saving publishes it (if the group agreed to be listed)."""
    respondent, organisation = _group(token)
    values = directory_entries.working_values(organisation)
    if request.method == "POST":
        if not ButtonForm().validate():
            abort(400)
        if not values.get("offers"):
            return redirect(url_for("journey.listing_step", token=token, slug="offers"))
        directory_entries.publish(organisation)
        flash(SAVED)
        return redirect(url_for("journey.listing", token=token))
    if not values:
        return redirect(url_for("journey.listing_step", token=token, slug="offers"))
    entry = directory_entries.entry_of(organisation)
    rows = listing_rows(directory.listing_of(organisation, values))
    return render_template(
        "views/journey/listing_check.html",
        r=respondent,
        rows=rows,
        steps=steps_for(values),
        values=values,
        unsaved=directory_entries.has_changes(organisation) or entry.details is None,
        entry=entry,
        stale=directory_entries.is_stale(entry, utcnow()),
        listed=organisation.consent_directory,
        categories_text=_categories_text,
        form=ButtonForm(formdata=None),
    )


@bp.post("/r/<token>/listing/still-right")
def listing_still_right(token: str):
    """One click: the saved entry is still right (confirmed today)."""
    respondent, organisation = _group(token)
    if not ButtonForm().validate():
        abort(400)
    entry = directory_entries.entry_of(organisation)
    if entry is None or entry.details is None:
        return redirect(url_for("journey.listing", token=token))
    directory_entries.confirm(organisation)
    flash(CONFIRMED)
    return redirect(url_for("journey.listing", token=token))
