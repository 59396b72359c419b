"""Markdown is rendered, then sanitised: user HTML never runs."""
import pytest

from core.filters import render_markdown
from tests.conftest import login

XSS = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<img src=x onerror="alert(1)">',
    '<a href="#" onclick="alert(1)">x</a>',
    "<iframe src='https://evil.example'></iframe>",
    '<svg onload="alert(1)"></svg>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=a></form>',
]


@pytest.mark.parametrize("payload", XSS)
def test_dangerous_markdown_renders_harmless(app, payload):
    html = str(render_markdown(payload)).lower()
    for bad in ("<script", "javascript:", "onerror", "onclick", "onload", "<iframe", "<svg", "data:text", "style=", "<style", "<form", "<input"):
        assert bad not in html, (payload, html)


def test_markdown_still_renders_formatting_and_safe_links(app):
    html = str(render_markdown("**vet** en *schuin*\n\n- een\n- twee\n\n[site](https://example.org)"))
    assert "<strong>vet</strong>" in html and "<em>schuin</em>" in html and "<li>een</li>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_case_page_renders_script_in_case_text_harmless(client, world, create_case):
    case = create_case("draft", blockage="<script>alert('x')</script> [a](javascript:alert(1)) <b onmouseover=alert(1)>b</b>",
                       household_pseudonym="<script>alert('p')</script>")
    login(client, world.owner)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "javascript:alert" not in html and "onmouseover" not in html
    assert "&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt;" in html  # plain fields are escaped


def test_a_line_break_stays_a_line_break(app):
    """Typed on two lines, shown on two lines; Markdown's safe subset still works."""
    html = str(render_markdown("Moeder werkt 's nachts.\nVader is uit beeld.\n\n- een\n- twee"))
    assert "Moeder werkt 's nachts.<br>" in html or "Moeder werkt 's nachts.<br />" in html
    assert "<li>een</li>" in html
