"""Rows added and sign-ins checked by anonymous traffic from one address (issue 9 items 2 and 11).

Run with PYTHONPATH=<a checkout before the fix>/src, or without for this tree (bench/hardening/README.md)."""

import re
import sys
import tempfile
import time
from urllib.parse import urlencode

from sqlalchemy import text
from starlette.testclient import TestClient

import consentry
from consentry.app import create_app
from consentry.settings import Settings
from consentry.storage.migrate import upgrade

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tests.support.browserless import CSRF_RE, form_value, pkce_pair
from tests.support.seed import Seeder

d = tempfile.mkdtemp()
url = f"sqlite:///{d}/m.db"
upgrade(url)
s = Settings(
    database_url=url,
    issuer="http://testserver.local",
    secret_key="x" * 40,
    environment="test",
    janitor_interval=0,
)
seed = Seeder(s)
web = seed.client("web")
dev = seed.client("device")
seed.user("victim@example.com", "correct-horse-battery")
app = create_app(s)


def sign_in(client, email, password, **kwargs):
    """One sign-in through the page: its form, with the page's CSRF token."""
    page = client.get("/signin").text
    form = {"csrf": form_value(page, CSRF_RE), "email": email, "password": password, "flow": "", "next": ""}
    return client.post("/signin", data=form, **kwargs)


def rows(table):
    with seed.db.engine.connect() as c:
        try:
            return c.execute(text(f"select count(*) from {table}")).scalar()
        except Exception:
            return "-"


print("code:", consentry.__file__)
with TestClient(app, base_url="http://testserver.local", client=("203.0.113.5", 4000)) as http:
    _v, ch = pkce_pair()
    q = dict(
        response_type="code",
        client_id=web.client_id,
        redirect_uri=web.redirect_uris[0],
        scope="openid",
        code_challenge=ch,
        code_challenge_method="S256",
    )
    t = time.perf_counter()
    st = [http.get("/authorize?" + urlencode(q), follow_redirects=False).status_code for _ in range(1000)]
    print(
        "1000 anonymous GET /authorize: interactions rows",
        rows("interactions"),
        "statuses",
        {x: st.count(x) for x in set(st)},
    )
    st = [
        http.post("/device/code", data={"client_id": dev.client_id, "scope": "openid"}).status_code
        for _ in range(200)
    ]
    print(
        "200 POST /device/code: device_codes rows",
        rows("device_codes"),
        "statuses",
        {x: st.count(x) for x in set(st)},
    )
    checked = 0
    for i in range(40):
        r = sign_in(http, f"user{i}@example.com", "Winter2026!")
        checked += "Wrong email or password." in r.text
    print(
        "40 failed sign-ins on 40 accounts from one address: checked",
        checked,
        "| login_throttles",
        rows("login_throttles"),
        "| rate_counters",
        rows("rate_counters"),
    )
    owner = TestClient(app, base_url="http://testserver.local", client=("198.51.100.9", 4000))
    owner.__enter__()
    sign_in(owner, "victim@example.com", "correct-horse-battery", follow_redirects=False)
    owner.cookies.delete("consentry_sid")
    for i in range(15):
        r = sign_in(http, "victim@example.com", f"guess{i}")
    r = sign_in(owner, "victim@example.com", "correct-horse-battery", follow_redirects=False)
    print(
        "owner with the right password after 15 bad ones elsewhere:",
        r.status_code,
        "(303 = signed in)",
        re.findall(r'data-reason="(\w+)"', r.text) or re.findall(r"Too many[^<]*", r.text),
    )
