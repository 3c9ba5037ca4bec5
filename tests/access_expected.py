"""Who should get each page, written by hand from the brief, apart from survey/access.py.

The route-by-role walk checks the app against this matrix, so a wrong line in the
permission table fails it (a walk that read its expectations from the table itself
could not). Columns: anonymous, admin, broker, area lead, board; "y" opens the
page, "-" is refused (a trip to sign in for anonymous visitors, 403 for staff).
Adding a route means adding a line here as well as in the permission table.
"""

from __future__ import annotations

COLUMNS = ("anonymous", "admin", "broker", "area-lead", "board")

# fmt: off
MATRIX: dict[str, str] = {
    # Public: the home page, health check, static files, signing in.
    "static":                           "yyyyy",
    "views.home":                       "yyyyy",
    "views.healthz":                    "yyyyy",
    "accounts.login":                   "yyyyy",
    # Any member of staff: their home page and signing out.
    "accounts.logout":                  "-yyyy",
    "accounts.dashboard":               "-yyyy",
    # Admins only: staff accounts, the audit log, a group's data (export, erase).
    "accounts.users":                   "-y---",
    "accounts.add_user":                "-y---",
    "accounts.change_user":             "-y---",
    "accounts.audit_log":               "-y---",
    "accounts.audit_log_csv":           "-y---",
    "accounts.groups":                  "-y---",
    "accounts.group_privacy":           "-y---",
    "accounts.group_data":              "-y---",
    "accounts.erase":                   "-y---",
    "accounts.group_links":             "-y---",
    # A group's own pages: the link in the address is the key, so anyone may ask;
    # the view answers 404 for a bad link and refuses staff without the group's consent.
    "journey.start":                    "yyyyy",
    "journey.resume":                   "yyyyy",
    "journey.section":                  "yyyyy",
    "journey.consent":                  "yyyyy",
    "journey.listing":                  "yyyyy",
    "journey.listing_step":             "yyyyy",
    "journey.listing_still_right":      "yyyyy",
    "journey.check_answers":            "yyyyy",
    "journey.amend":                    "yyyyy",
    "journey.saved":                    "yyyyy",
    "journey.result":                   "yyyyy",
    "journey.result_download":          "yyyyy",
    "journey.email_link":               "yyyyy",
    "journey.paper_answers":            "yyyyy",
    "journey.stop_reminders_page":      "yyyyy",
    "journey.ask_for_help":             "yyyyy",
    # Rounds and invitations: admins run rounds; brokers chase their own groups.
    "rounds.list_rounds":               "-yy--",
    "rounds.open_round":                "-y---",
    "rounds.invitations":               "-yy--",
    "rounds.create_invitations":        "-y---",
    "rounds.invitations_download":      "-yy--",
    "rounds.reissue_link":              "-yy--",
    "rounds.email_invitation":          "-yy--",
    # Areas, maps and comparisons: suppressed aggregates, for every kind of staff.
    "areas.index":                      "-yyyy",
    "areas.area_page":                  "-yyyy",
    "areas.map_page":                   "-yyyy",
    "areas.map_png":                    "-yyyy",
    "areas.map_file":                   "-yyyy",
    "areas.compare":                    "-yyyy",
    "areas.compare_png_view":           "-yyyy",
    "areas.import_data":                "-y---",
    # The JSON API checks its own bearer tokens (401), not the staff session.
    "api.openapi":                      "yyyyy",
    "api.rounds":                       "yyyyy",
    "api.round_detail":                 "yyyyy",
    "api.areas":                        "yyyyy",
    "api.aggregates":                   "yyyyy",
    "api.not_found":                    "yyyyy",
    "oruk.root":                        "yyyyy",
    "oruk.openapi":                     "yyyyy",
    "oruk.services":                    "yyyyy",
    "oruk.service":                     "yyyyy",
    "oruk.taxonomies":                  "yyyyy",
    "oruk.taxonomy_detail":             "yyyyy",
    "oruk.not_found":                   "yyyyy",
    "directory.area_listing":           "yyyyy",
    "api_tokens.api_tokens":            "-y---",
    "api_tokens.revoke_api_token":      "-y---",
    # Score downloads: suppressed tables for every kind of staff.
    "downloads.score_downloads":        "-yyyy",
    "downloads.round_scores_csv":       "-yyyy",
    "downloads.round_scores_json":      "-yyyy",
    # Roadmaps and board trends: aggregates for every kind of staff.
    "reports.roadmaps":                 "-yyyy",
    "reports.roadmap_download":         "-yyyy",
    "reports.trends_home":              "-yyyy",
    "reports.trends":                   "-yyyy",
    "reports.trends_download":          "-yyyy",
    "reports.board_pack":               "-yyyy",
    "reports.board_pack_print":         "-yyyy",
    "reports.board_pack_download":      "-yyyy",
    # A broker's portfolio, moderation and paper answers: brokers and admins only.
    "reports.portfolio_home":           "-yy--",
    "reports.portfolio_page":           "-yy--",
    "reports.directory_entries_page":   "-yy--",
    "reports.directory_entry_checked":  "-yy--",
    "reports.directory_entries_email":  "-yy--",
    "reports.portfolio_reminders":      "-yy--",
    "reports.portfolio_plans":          "-yy--",
    "reports.moderate":                 "-yy--",
    "reports.group_plan":               "-yy--",
    "reports.paper":                    "-yy--",
    "reports.paper_template_download":  "-yy--",
    # Groups' requests for help: brokers (their own groups' only) and admins.
    "reports.caseload":                 "-yy--",
    "reports.help_request":             "-yy--",
    "reports.help_request_log":         "-yy--",
    "reports.support_plans_upload":     "-yy--",
}
# fmt: on


def expected(endpoint: str, role: str) -> bool:
    """True when this role (or "anonymous") should be let into the endpoint."""
    return MATRIX[endpoint][COLUMNS.index(role)] == "y"
