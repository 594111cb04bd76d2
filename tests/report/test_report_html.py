"""The HTML report: one self-contained file, everything untrusted escaped, and -- in a real headless Chromium
(Debian's `chromium`, driven through Playwright with the network disabled) -- the DOM a reader sees: the path
count, the hops of the example app's S3 → shell → secrets path, the filter narrowing the table, no console
errors. There is no skip: without Chromium the browser test fails (CI installs it in .ci/run)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.pipeline import scan
from faasguard.report.html import render_html

ROOT = Path(__file__).parent.parent.parent
CHROMIUM = os.environ.get("FAASGUARD_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("FAASGUARD_TEST_ARTIFACTS", ROOT / ".artifacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def example_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = scan([str(ROOT / "examples" / "vulnerable-app")], Config())
    out = tmp_path_factory.mktemp("html") / "report.html"
    out.write_text(render_html(result, Config()), encoding="utf-8")
    return out


def test_self_contained_with_strict_csp(example_report: Path) -> None:
    text = example_report.read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src &#x27;none&#x27;" in policy
    assert "script-src &#x27;sha256-" in policy
    assert "unsafe-inline" not in policy
    # no external resource of any kind
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text)
    assert "innerHTML" not in text


def test_untrusted_strings_cannot_break_out(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    evil = "</script><script>alert(1)</script>"
    (app / "src" / "h.py").write_text(
        "import os\n\n\ndef handler(event, context):\n"
        f"    # {evil}\n    os.system('x' + event['body'])  # <img src=x onerror=alert(2)>\n")
    (app / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      Runtime: python3.12\n      CodeUri: src/\n      Handler: h.handler\n")
    text = render_html(scan([str(app)], Config()), Config())
    body = text.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in body
    assert ">" not in body
    data = json.loads(body)
    assert any("onerror" in line for f in data["findings"] if f["snippet"] for _, line in f["snippet"]["lines"])
    assert text.count("<script") == 2


def test_example_report_in_chromium(example_report: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)"
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1366, "height": 768})
            requests: list[str] = []
            context.on("request", lambda r: requests.append(r.url))
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(example_report.as_uri())
            page.wait_for_selector("#findings-body tr")

            # the S3 → shell path first, then the Node.js function's SQS → execSync path
            assert page.text_content("#path-count") == "2"
            assert page.locator("article.path").count() == 2
            assert "PreviewFunction" in page.locator("article.path").nth(1).text_content()
            hops = page.locator("article.path").first.locator("li.hop")
            kinds = hops.evaluate_all("els => els.map(e => e.dataset.kind)")
            texts = hops.all_text_contents()
            assert kinds[0] == "entry"
            assert "S3 trigger ImageConverterFunction.Upload" in texts[0]
            assert "template.yaml:66" in texts[0]
            assert any("reaches subprocess.run(shell=True)" in t and "app.py:20" in t for t in texts)
            assert any(k == "credential" and "SharedCatchAllRole" in t for k, t in zip(kinds, texts, strict=True))
            assert any(k == "impact" and "secretsmanager:GetSecretValue on *" in t
                       for k, t in zip(kinds, texts, strict=True))
            assert any("AuditTable used by DbAdminFunction" in t for t in texts)

            total = page.locator("#findings-body tr.finding").count()
            page.select_option("#severity-filter", "critical")
            critical = page.locator("#findings-body tr.finding").count()
            assert 0 < critical < total
            page.select_option("#severity-filter", "")
            page.fill("#search", "FG901")
            assert page.locator("#findings-body tr.finding").count() == 2
            page.fill("#search", "")

            # the graph: a node is a keyboard-reachable button that filters the table to its findings
            node = page.locator('#graph .node[data-node^="fn:"]', has_text="ImageConverterFunction")
            node.focus()
            page.keyboard.press("Enter")
            rows = page.locator("#findings-body tr.finding")
            assert 0 < rows.count() < total
            assert all("ImageConverterFunction" in t for t in rows.locator("td:nth-child(3)").all_text_contents())

            # a code finding opens with its tainted lines marked
            page.click("#clear-node")
            page.fill("#search", "FG501 ImageConverterFunction")
            page.click("#findings-body tr.finding")
            assert page.locator("pre.code span.taint").count() >= 3

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.fill("#search", "")
            page.screenshot(path=str(ARTIFACTS / "html-report-example.png"), full_page=True)
            assert all(u.startswith("file://") for u in requests), requests
        finally:
            browser.close()
    assert errors == []
