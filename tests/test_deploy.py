"""deploy/: the service definitions the README's steps install say what the README says they say."""
import configparser
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

from run import build_parser

ROOT = Path(__file__).resolve().parents[1]
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    unit.optionxform = str
    unit.read(ROOT / "deploy" / "summary-mailbox.service", encoding="utf-8")
    return unit


def test_the_systemd_unit_runs_serve_from_the_project_with_a_restart_policy():
    service = _unit()["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0] == service["WorkingDirectory"] + "/.venv/bin/python" and command[1] == "run.py"
    assert build_parser().parse_args(command[2:]).command == "serve"  # a command line run.py accepts
    assert service["Restart"] == "on-failure" and set(service["RestartPreventExitStatus"].split()) == {"1", "2"}
    assert service["KillSignal"] == "SIGTERM" and service["StateDirectory"] == "summary-mailbox"
    text = (ROOT / "deploy" / "summary-mailbox.service").read_text(encoding="utf-8")
    assert "Environment=SUMMARY_MAILBOX_PASSWORD=" in text  # where the secret goes
    assert "data_dir: /var/lib/summary-mailbox" in text  # the data folder StateDirectory makes


def test_the_task_scheduler_export_runs_serve_at_logon_once():
    task = ET.parse(ROOT / "deploy" / "summary-mailbox-task.xml").getroot()
    command = task.find("t:Actions/t:Exec/t:Command", TASK_NS).text
    arguments = task.find("t:Actions/t:Exec/t:Arguments", TASK_NS).text
    folder = task.find("t:Actions/t:Exec/t:WorkingDirectory", TASK_NS).text
    assert command == folder + r"\.venv\Scripts\pythonw.exe"
    assert arguments.split()[0] == "run.py" and build_parser().parse_args(arguments.split()[1:]).command == "serve"
    assert task.find("t:Triggers/t:LogonTrigger", TASK_NS) is not None
    assert task.find("t:Settings/t:MultipleInstancesPolicy", TASK_NS).text == "IgnoreNew"
    assert task.find("t:Settings/t:ExecutionTimeLimit", TASK_NS).text == "PT0S"
    assert task.find("t:Settings/t:RestartOnFailure", TASK_NS) is not None


def test_the_readme_steps_name_these_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/summary-mailbox.service" in readme and "deploy/summary-mailbox-task.xml" in readme
    assert "run.py backup --out" in readme
