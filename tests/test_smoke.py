from tests.conftest import login


def test_healthz_answers_with_json(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_login_and_home(client, world):
    login(client, world.owner)
    r = client.get("/")
    assert r.status_code == 200
    assert "Owner One" in r.get_data(as_text=True)
