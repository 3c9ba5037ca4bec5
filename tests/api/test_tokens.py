"""Issuing and revoking API tokens: the admin page and `survey api-tokens`."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey.api.tokens import token_hash
from survey.extensions import db
from survey.models import ApiToken, AuditEvent

TOKEN = re.compile(r"svy_[A-Za-z0-9_-]{40,}")


def _csrf_token(client) -> str:
    page = client.get("/admin/api-tokens").get_data(as_text=True)
    match = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_only_admins_may_manage_tokens(client, login):
    response = client.get("/admin/api-tokens")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    for role in ("broker", "area-lead", "board"):
        login(role)
        assert client.get("/admin/api-tokens").status_code == 403, role
        assert client.post("/admin/api-tokens/1/revoke").status_code in (400, 403), role


def test_admin_issues_a_token_shown_once_that_opens_the_api(client, login):
    admin = login("admin")
    csrf = _csrf_token(client)
    page = client.post("/admin/api-tokens", data={"name": "Place dashboard", "csrf_token": csrf})
    assert page.status_code == 200
    (raw,) = set(TOKEN.findall(page.get_data(as_text=True)))
    row = db.session.scalar(sa.select(ApiToken))
    assert row.name == "Place dashboard" and row.created_by_id == admin.id
    assert row.token_hash == token_hash(raw)
    assert client.get("/api/rounds", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    again = client.get("/admin/api-tokens").get_data(as_text=True)
    assert raw not in again and "Place dashboard" in again
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert "api-token-issued" in actions


def test_admin_revokes_a_token_and_it_stops_working(client, login):
    login("admin")
    client.post("/admin/api-tokens", data={"name": "Old tool", "csrf_token": _csrf_token(client)})
    row = db.session.scalar(sa.select(ApiToken))
    response = client.post(
        f"/admin/api-tokens/{row.id}/revoke", data={"csrf_token": _csrf_token(client)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    page = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "Revoked" in page and "is revoked" in page
    missing = client.post("/admin/api-tokens/999/revoke", data={"csrf_token": _csrf_token(client)})
    assert missing.status_code == 404


def test_a_token_needs_a_name(client, login):
    login("admin")
    response = client.post(
        "/admin/api-tokens", data={"name": " ", "csrf_token": _csrf_token(client)}
    )
    assert response.status_code == 400
    assert "Enter who or what will use the token" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_cli_adds_lists_and_revokes_tokens_with_one_line_errors(client, cli):
    added = cli("api-tokens", "add", "Power BI")
    assert added.exit_code == 0, added.output
    (raw,) = TOKEN.findall(added.output)
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/areas", headers=headers).status_code == 200
    listed = cli("api-tokens", "list")
    assert "Power BI" in listed.output and "live" in listed.output and raw not in listed.output
    token_id = listed.output.split("\t")[0]
    assert cli("api-tokens", "revoke", token_id).exit_code == 0
    db.session.remove()
    assert client.get("/api/areas", headers=headers).status_code == 401
    assert "revoked" in cli("api-tokens", "list").output
    missing = cli("api-tokens", "revoke", "4242")
    assert missing.exit_code == 1 and "no API token with id 4242" in missing.output
    blank = cli("api-tokens", "add", "  ")
    assert blank.exit_code == 1 and "NAME" in blank.output
