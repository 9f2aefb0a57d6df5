"""The console's rules, through Flask's test client on a real ledger (sample mail polled from a Maildir
into .eml files, no servers): login on every page, CSRF on every action, sessions that expire, no
foreign Host or non-loopback bind without a password, actions recorded with who did them, downloads
of the original files, reingest with progress. Plus the Windows bits: quoting and LibreOffice discovery."""
import html
import json
import re
import shutil
import time
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from run import main
from samples import generate

pytest.importorskip("flask", reason="pip install flask waitress")

from pipeline.config import load_config  # noqa: E402
from pipeline.ledger.store import Store  # noqa: E402
from pipeline.runtime.console import ConsoleError, create_app  # noqa: E402
from pipeline.runtime.console.server import check_bind, console_beside, make_server  # noqa: E402
from pipeline.runtime.demo import write_season  # noqa: E402

PAGES = ["/", "/units", "/review", "/outbox", "/log", "/reingest", "/reingest/status", "/chart.png",
         "/workbook.xlsx", "/units/x", "/mail/raw?key=x", "/mail/file?key=x&name=y"]


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """A polled season (seed 7, as the demo), made once; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("season")
    sample = generate(seed=7)
    assert main(["--config", str(write_season(folder, sample)), "poll"]) == 0
    return folder, sample


@pytest.fixture
def config_path(season, tmp_path, monkeypatch):
    monkeypatch.delenv("SUMMARY_CONSOLE_PASSWORD", raising=False)
    shutil.copytree(season[0], tmp_path / "season")
    return tmp_path / "season" / "config.yaml"


def _token(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _login(client, name="张三", password=None) -> str:
    token = _token(client.get("/login").text)
    form = {"name": name, "csrf": token, **({"password": password} if password else {})}
    response = client.post("/login", data=form)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    fresh = _token(client.get("/outbox").text)
    assert fresh != token  # a new token with the new session
    return fresh


def _export(config_path) -> dict:
    out = config_path.parent / "out.json"
    assert main(["--config", str(config_path), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_nothing_is_reachable_without_logging_in(config_path):
    client = create_app(load_config(config_path)).test_client()
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"], page
    assert client.get("/login").status_code == 200
    for action in ("/review/dismiss", "/outbox/resend", "/reingest"):
        assert client.post(action, data={"csrf": _token(client.get("/login").text)}).status_code == 302


def test_every_action_needs_the_csrf_token(config_path):
    config = load_config(config_path)
    client = create_app(config).test_client()
    token = _login(client)
    message = next(m for m in _export(config_path)["messages"] if m["status"] == "needs_review")["message_id"]
    for form in ({"message": message, "reason": "x"}, {"message": message, "reason": "x", "csrf": "forged"}):
        assert client.post("/review/dismiss", data=form).status_code == 400
    assert client.post("/outbox/resend", data={"id": "1"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert next(m for m in _export(config_path)["messages"] if m["message_id"] == message)["status"] == "needs_review"
    # a login form without the token is refused too (login CSRF)
    assert create_app(config).test_client().post("/login", data={"name": "x"}).status_code == 400
    assert client.post("/review/dismiss", data={"message": message, "reason": "纸质已报", "csrf": token}).status_code == 302


def test_password_login_and_sessions_that_expire(config_path):
    config = load_config(config_path)
    now = [1_000_000.0]
    client = create_app(config, password="correct horse", clock=lambda: now[0]).test_client()
    token = _token(client.get("/login").text)
    assert 'type="password"' in client.get("/login").text
    client.post("/login", data={"name": "李四", "password": "wrong", "csrf": token})
    assert client.get("/").status_code == 302
    _login(client, "李四", "correct horse")
    assert client.get("/").status_code == 200
    now[0] += config.console.session_minutes * 60 - 5
    assert client.get("/units").status_code == 200  # use keeps it alive
    now[0] += config.console.session_minutes * 60 + 1
    response = client.get("/units")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "登录已过期" in client.get("/login").text


def test_repeated_wrong_passwords_pause_the_login(config_path):
    client = create_app(load_config(config_path), password="correct horse").test_client()
    token = _token(client.get("/login").text)
    for _ in range(5):
        client.post("/login", data={"name": "x", "password": "guess", "csrf": token})
    paused = client.post("/login", data={"name": "x", "password": "correct horse", "csrf": token})
    assert "次数过多" in paused.text
    assert client.get("/").status_code == 302


def test_an_open_console_answers_only_to_this_machine(config_path):
    client = create_app(load_config(config_path)).test_client()
    assert client.get("/login", headers={"Host": "evil.example:8765"}).status_code == 403
    assert client.get("/login", headers={"Host": "localhost:8765"}).status_code == 200


def test_no_bind_beyond_loopback_without_a_password(config_path, monkeypatch, capsys):
    config = load_config(config_path)
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(ConsoleError, match="SUMMARY_CONSOLE_PASSWORD"):
            check_bind(host, None)
    with pytest.raises(ConsoleError, match="too short"):
        check_bind("0.0.0.0", "short")
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    assert main(["--config", str(config_path), "console", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "SUMMARY_CONSOLE_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("SUMMARY_CONSOLE_PASSWORD", "a long enough secret")
    server = make_server(config, host="0.0.0.0", port=0)
    server.close()


def test_serve_starts_the_console_beside_the_worker(config_path):
    config = load_config(config_path)
    config.console.enabled, config.console.port = True, 0
    with console_beside(config) as server:
        with urllib.request.urlopen(server.url + "login", timeout=10) as response:
            assert response.status == 200 and "登录" in response.read().decode()
    config.console.enabled = False
    with console_beside(config) as server:
        assert server is None


def test_review_decisions_from_the_page_are_the_commands_and_are_recorded(config_path, capsys):
    config = load_config(config_path)
    client = create_app(config).test_client()
    token = _login(client, "王老师")
    review = [m for m in _export(config_path)["messages"] if m["status"] == "needs_review"]
    page = client.get("/review").text
    assert page.count('class="card item review-item"') == len(review)
    target = review[0]["message_id"]
    response = client.post("/review/dismiss", data={"message": target, "reason": "纸质材料已报送", "csrf": token},
                           follow_redirects=True)
    assert "已排除" in response.text
    dismissed = next(m for m in _export(config_path)["messages"] if m["message_id"] == target)
    assert dismissed["status"] == "ignored" and "纸质材料已报送" in dismissed["reason"]
    client.post("/review/restore", data={"message": target, "csrf": token})
    assert next(m for m in _export(config_path)["messages"] if m["message_id"] == target)["status"] == "needs_review"
    refused = client.post("/review/assign", data={"message": target, "unit": "no-such-unit", "csrf": token},
                          follow_redirects=True)
    assert "未完成" in refused.text
    # the command line goes through the same recorder
    assert main(["--config", str(config_path), "review", "dismiss", target, "--reason", "重复"]) == 0
    capsys.readouterr()
    store = Store(config.data_dir / "ledger.sqlite3")
    log = [(r.actor, r.action, r.target, r.ok) for r in store.audit_log()][::-1]
    store.close()
    assert log[:3] == [("网页:王老师", "dismiss", target, 1), ("网页:王老师", "restore", target, 1),
                       ("网页:王老师", "assign", target, 0)]
    assert log[3][0].startswith("命令行") and log[3][1:] == ("dismiss", target, 1)
    page = client.get("/log").text
    assert "网页:王老师" in page and "排除" in page and "恢复" in page


def test_undelivered_mail_is_confirmed_or_resent_from_the_page(config_path):
    config = load_config(config_path)
    store = Store(config.data_dir / "ledger.sqlite3")
    first, second = [r.id for r in store.outbox()[:2]]
    store.outbox_mark(first, "unconfirmed", error="connection lost after the final dot")
    store.outbox_mark(second, "failed", error="550 mailbox unavailable")
    client = create_app(config).test_client()
    token = _login(client)
    page = client.get("/outbox").text
    assert "未确认是否送达" in page and "发送失败" in page and "550 mailbox unavailable" in page
    assert "已标记为送达" in client.post("/outbox/confirm", data={"id": first, "csrf": token},
                                         follow_redirects=True).text
    assert "未完成" in client.post("/outbox/confirm", data={"id": second, "csrf": token},
                                    follow_redirects=True).text  # failed is not unconfirmed
    client.post("/outbox/resend", data={"id": second, "csrf": token})
    states = {r.id: r.state for r in store.outbox()}
    store.close()
    assert states[first] == "sent" and states[second] == "sent"


def test_original_attachments_and_the_workbook_download(config_path, season):
    config = load_config(config_path)
    client = create_app(config).test_client()
    _login(client)
    data = _export(config_path)
    unit = next(u for u in data["units"] if u["submitted"] and u["reported"])
    page = client.get(f"/units/{unit['unit_id']}").text
    assert unit["name"] in page
    link = html.unescape(re.search(r'href="(/mail/file\?[^"]+)"', page).group(1))
    response = client.get(link)
    assert response.status_code == 200
    name = re.search(r"filename\*=UTF-8''(\S+)", response.headers["Content-Disposition"]).group(1)
    sent = [a for m in season[1].mails for a in _attachments(m.raw)]
    assert response.data in [data for _, data in sent] and name
    raw = client.get(html.unescape(re.search(r'href="(/mail/raw\?[^"]+)"', page).group(1)))
    assert raw.status_code == 200 and raw.data.lower().startswith((b"from", b"return-path", b"received",
                                                                   b"message-id", b"date", b"mime", b"to", b"subject"))
    book = client.get("/workbook.xlsx")
    assert book.status_code == 200 and book.data[:2] == b"PK"
    assert client.get("/mail/file?key=nope&name=x").status_code == 404


def _attachments(raw: bytes):
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    return [(part.get_filename(), part.get_payload(decode=True)) for part in message.walk()
            if part.get_filename()]


def test_reingest_from_the_page_shows_its_progress(config_path):
    config = load_config(config_path)
    client = create_app(config).test_client()
    token = _login(client)
    response = client.post("/reingest", data={"since": "2025-09-01", "until": "2025-09-30", "from_archive": "1",
                                              "csrf": token}, follow_redirects=True)
    assert "已开始重新读取" in response.text
    deadline = time.monotonic() + 120
    while (status := client.get("/reingest/status").get_json())["state"] in ("waiting", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status["state"] == "done" and status["total"] > 0 and status["done"] == status["total"]
    assert "processed" in status["result"]
    assert "已完成" in client.get("/reingest").text
    store = Store(config.data_dir / "ledger.sqlite3")
    assert store.audit_log()[0].action == "reingest"
    store.close()


def test_commands_are_quoted_for_the_platform():
    from pipeline.reporting.review_queue import quote

    assert quote("<a.b@sample.invalid>", windows=False) == "'<a.b@sample.invalid>'"
    assert quote("<a.b@sample.invalid>", windows=True) == '"<a.b@sample.invalid>"'  # cmd.exe: < is a redirection
    assert quote("zunhua", windows=True) == "zunhua"
    assert quote('say "hi"', windows=True) == '"say \\"hi\\""'
    assert quote("", windows=True) == '""'


def test_review_list_and_digest_point_to_the_console(config_path, capsys):
    text = config_path.read_text(encoding="utf-8") + "console:\n  url: http://192.168.1.20:8765/\n"
    config_path.write_text(text, encoding="utf-8")
    assert main(["--config", str(config_path), "review", "list"]) == 0
    assert "http://192.168.1.20:8765/review" in capsys.readouterr().out
    assert main(["--config", str(config_path), "digest", "--dry-run"]) == 0
    path = re.search(r"written to (\S+)", capsys.readouterr().out).group(1)
    digest = message_from_bytes(Path(path).read_bytes(), policy=policy.default)
    texts = [part.get_content() for part in digest.walk() if part.get_content_maintype() == "text"]
    assert texts and all("http://192.168.1.20:8765/review" in text for text in texts)


def test_libreoffice_is_found_where_its_windows_installer_puts_it(tmp_path, monkeypatch):
    from parsers import legacy

    program = tmp_path / "Program Files" / "LibreOffice" / "program"
    program.mkdir(parents=True)
    (program / "soffice.exe").write_bytes(b"MZ")
    monkeypatch.setattr(legacy.shutil, "which", lambda name: None)
    monkeypatch.setenv("ProgramFiles", str(tmp_path / "Program Files"))
    assert legacy.soffice_path() == str(program / "soffice.exe")
    monkeypatch.setenv("ProgramFiles", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("ProgramW6432", raising=False)
    monkeypatch.delenv("ProgramFiles(x86)", raising=False)
    assert legacy.soffice_path() is None or not legacy.soffice_path().endswith("soffice.exe")


def test_the_worker_is_alive_while_the_process_in_its_lock_file_is(tmp_path):
    import os
    import subprocess
    import sys

    from pipeline.runtime.console.views import worker_alive

    assert worker_alive(tmp_path) is False  # never started
    (tmp_path / "worker.lock").write_text(str(os.getpid()))
    assert worker_alive(tmp_path) is True
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / "worker.lock").write_text(str(gone.pid))
    assert worker_alive(tmp_path) is False


def test_pages_share_one_registry_and_one_dataset_until_the_ledger_changes(config_path, monkeypatch):
    """The registry is read once while its file is unchanged; the dataset is made once per ledger change,
    whoever changes the ledger (this console, or another process such as `serve` or the command line)."""
    import pipeline.runtime.app as app_module
    import pipeline.runtime.console.state as state_module

    counted = {"registry": 0, "dataset": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            counted[name] += 1
            return real(*args, **kwargs)
        return wrapper

    target = next(m for m in _export(config_path)["messages"] if m["status"] == "needs_review")["message_id"]
    monkeypatch.setattr(state_module, "load_registry", counting("registry", state_module.load_registry))
    monkeypatch.setattr(app_module, "dataset", counting("dataset", app_module.dataset))
    config = load_config(config_path)
    client = create_app(config).test_client()
    token = _login(client)
    for page in ("/", "/units", "/review", "/units/lunan", "/"):
        assert client.get(page).status_code in (200, 404)
    assert counted == {"registry": 1, "dataset": 1}
    client.post("/review/dismiss", data={"message": target, "reason": "已核实", "csrf": token})
    client.get("/units")
    client.get("/review")
    assert counted["dataset"] == 2  # changed by this console: made again, once
    assert main(["--config", str(config_path), "review", "restore", target]) == 0  # (it makes its own dataset)
    before = counted["dataset"]
    client.get("/units")
    client.get("/")
    assert counted["dataset"] == before + 1  # changed by another process: seen too
    units = config.campaign.units
    units.write_text(units.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    client.get("/units")
    assert counted["registry"] == 2  # the registry file changed: read again
