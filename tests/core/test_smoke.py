from tests.conftest import PASSWORD


def test_login_dashboard_logout(client, make_user):
    user = make_user(roles=["admin", "staff"], email="boss@example.com")
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post("/login", data={"email": "boss@example.com", "password": PASSWORD})
    assert resp.status_code == 303, resp.data
    page = client.get("/")
    assert page.status_code == 200
    assert user.name.encode() in page.data
    assert b"Users" in page.data
    assert client.get("/admin/users").status_code == 200
    assert client.get("/admin/audit").status_code == 200
    assert client.get("/notifications/").status_code == 200
    assert client.get("/account").status_code == 200
    resp = client.post("/logout")
    assert resp.status_code == 303
    assert client.get("/").status_code == 302
