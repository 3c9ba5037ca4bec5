"""A group's "no more reminders" link: a page that asks, and the one-click form mail
programs send (RFC 8058). The signed token in the address is the key, so the POST
needs no session or CSRF token: nobody without the link can make it.
"""

from __future__ import annotations

from flask import abort, render_template, request

from ..extensions import csrf
from ..reminders import organisation_for_token, stop_reminders
from .views import bp


@bp.route("/reminders/stop/<stop_token>", methods=["GET", "POST"])
@csrf.exempt
def stop_reminders_page(stop_token: str):
    """Ask the group to confirm (GET), then stop its reminder emails (POST)."""
    organisation = organisation_for_token(stop_token)
    if organisation is None:
        abort(404)
    if request.method == "POST":
        stop_reminders(organisation)
        return render_template("views/journey/reminders_stopped.html", org=organisation)
    return render_template(
        "views/journey/stop_reminders.html",
        org=organisation,
        already=organisation.reminders_stopped_at is not None,
    )
