"""The first run keeps a chosen demo password off the disk; every page has a favicon (issue 17)."""

from __future__ import annotations

import subprocess

from portal import devrun


def _first_run(monkeypatch, tmp_path, env):
    calls = []
    monkeypatch.setattr(devrun, "INSTANCE", tmp_path)
    monkeypatch.setattr(devrun, "_has_users", lambda env: False)

    def fake_flask(*args, env):
        calls.append(args)
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(devrun, "_flask", fake_flask)
    assert devrun._prepare(env) is True
    return calls


def test_a_chosen_demo_password_is_not_written(monkeypatch, tmp_path):
    calls = _first_run(monkeypatch, tmp_path, {"DEMO_PASSWORD": "Quarto-Azul-Mesa-77"})
    assert ("seed-demo", "--password", "Quarto-Azul-Mesa-77") in calls
    assert not (tmp_path / "demo-password.txt").exists()


def test_a_generated_demo_password_is_kept_to_print_again(monkeypatch, tmp_path):
    calls = _first_run(monkeypatch, tmp_path, {})
    seeded = next(c for c in calls if c[0] == "seed-demo")
    assert (tmp_path / "demo-password.txt").read_text().strip() == seeded[2]


def test_pages_have_a_favicon(client, login_as, make_user):
    login_as(make_user(roles=["staff"]))
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon"' in page and "favicon.svg" in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
