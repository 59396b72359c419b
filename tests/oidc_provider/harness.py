"""A real OpenID Connect provider for the tests: ``provider.mjs`` (the certified npm package
``oidc-provider``) run by the machine's Node.js on 127.0.0.1 and a free port.

``provider_or_skip(...)`` installs the npm packages when they are missing (``npm ci`` from the
committed package-lock.json, once, under a file lock: the SQLite and PostgreSQL passes run side by
side), starts the provider and returns a :class:`TestProvider`. Without Node.js the tests are
skipped with a plain reason, unless ``REQUIRE_OIDC=1`` (CI), which makes that a failure.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import threading
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

HERE = Path(__file__).resolve().parent
REQUIRE_OIDC = os.environ.get("REQUIRE_OIDC", "0") == "1"
PASSWORD = "provider-password"


def why_no_provider() -> str | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Node.js (node and npm) not found: OpenID Connect provider tests skipped (apt-get install nodejs npm)"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        with open(HERE / ".install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (HERE / "node_modules" / "oidc-provider").is_dir():
                done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)],
                                      capture_output=True, text=True, timeout=300)
                if done.returncode != 0:
                    return f"npm ci in {HERE} failed: {(done.stderr or done.stdout)[-500:]}"
    return None


def provider_or_skip(**config) -> TestProvider:
    reason = why_no_provider()
    if reason:
        if REQUIRE_OIDC:
            pytest.fail(reason + " — REQUIRE_OIDC=1 makes this a failure", pytrace=False)
        pytest.skip(reason)
    return TestProvider(config)


class TestProvider:
    """The running provider: its issuer URL, and the test controls of provider.mjs."""

    __test__ = False  # not a test class

    def __init__(self, config: dict):
        env = {**os.environ, "PROVIDER_CONFIG": json.dumps(config), "NODE_NO_WARNINGS": "1"}
        self.process = subprocess.Popen(["node", str(HERE / "provider.mjs")], cwd=HERE, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self._first_line(timeout=30)
        match = re.match(r"listening (http://\S+)", line or "")
        if not match:
            self.stop()
            raise RuntimeError(f"the test provider did not start: {line!r} {self.process.stderr.read()[-2000:]}")
        self.issuer = match.group(1)
        self.errors: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _first_line(self, timeout: float) -> str | None:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0].strip() if result else None

    def _drain(self) -> None:
        for line in self.process.stderr:
            self.errors.append(line.rstrip())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    # test controls
    def account(self, login: str, **fields) -> dict:
        response = requests.put(f"{self.issuer}/test/accounts/{login}", json=fields, timeout=5)
        response.raise_for_status()
        return response.json()

    def mode(self, **mode) -> None:
        requests.post(f"{self.issuer}/test/mode", json=mode, timeout=5).raise_for_status()

    def last_authorization(self) -> dict:
        return requests.get(f"{self.issuer}/test/last-authorization", timeout=5).json()


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.S)
_INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.S)


def login_at_provider(browser: requests.Session, authorization_url: str, login: str, back_to: str,
                      password: str = PASSWORD) -> str:
    """Walk the provider's pages as a browser does (its own login page when it asks) until it
    redirects back to ``back_to`` (our redirect URI); returns that URL with its parameters."""
    url = authorization_url
    for _step in range(12):
        response = browser.get(url, allow_redirects=False, timeout=10)
        while response.status_code == 200 and 'name="password"' in response.text:
            action = urljoin(response.url, unescape(_FORM.search(response.text).group(1)))
            response = browser.post(action, data={"login": login, "password": password}, allow_redirects=False, timeout=10)
            assert "Wrong user name" not in response.text, f"the provider refused {login}"
        assert response.status_code in (302, 303), f"{response.status_code} at {response.url}: {response.text[:500]}"
        url = urljoin(response.url, response.headers["Location"])
        if url.startswith(back_to):
            return url
    raise AssertionError(f"the provider never sent the browser back to {back_to}")


def follow_logout(browser: requests.Session, end_session_url: str, back_to: str) -> str:
    """The provider's sign-out page: confirm it (its form), then follow it back; the final URL."""
    response = browser.get(end_session_url, allow_redirects=True, timeout=10)
    action = urljoin(response.url, unescape(_FORM.search(response.text).group(1)))
    data = dict(_INPUT.findall(response.text))
    data["logout"] = "yes"
    response = browser.post(action, data=data, allow_redirects=False, timeout=10)
    for _step in range(6):
        assert response.status_code in (302, 303), f"{response.status_code}: {response.text[:500]}"
        url = urljoin(response.url, response.headers["Location"])
        if url.startswith(back_to):
            return url
        response = browser.get(url, allow_redirects=False, timeout=10)
    raise AssertionError("the provider did not send the browser back after signing out")
