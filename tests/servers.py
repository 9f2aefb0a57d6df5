"""Real mail servers for the test suite, on loopback: a throwaway Dovecot (IMAP) and an aiosmtpd sink (SMTP).

Nothing here touches /etc/dovecot or well-known ports; every server lives in its own temp dir on free ports.
Dovecot is Unix-only (Debian: `apt-get install dovecot-imapd`); the SMTP sink runs anywhere.
"""
from __future__ import annotations

import atexit
import email
import email.message
import email.policy
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from imapclient import IMAPClient

DOVECOT_BIN = "/usr/sbin/dovecot"
DOVEADM_BIN = shutil.which("doveadm") or "/usr/bin/doveadm"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that the OS reports free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def make_self_signed_cert(directory: str | os.PathLike) -> tuple[str, str]:
    """Write cert.pem/key.pem valid for 127.0.0.1 and localhost; the cert doubles as the client's cafile."""
    directory = Path(directory)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


def _wait_for_greeting(port: int, deadline: float, context: ssl.SSLContext | None = None) -> bool:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                if context is not None:
                    with context.wrap_socket(sock, server_hostname=HOST) as tls:
                        return tls.recv(100).startswith(b"* OK")
                return sock.recv(100).startswith(b"* OK")
        except OSError:
            time.sleep(0.02)
    return False


def close_sockets(*socks: socket.socket) -> None:
    """Shut down and close each socket, whatever state its peer left it in (the test proxies)."""
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def live_group_members(pgid: int) -> list[int]:
    """Non-zombie processes of a process group (Linux /proc; elsewhere assume none)."""
    members = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.parent.name))
    return members


_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([\d:,]+)\]")


def _parse_uid_set(text: bytes) -> list[int]:
    uids: list[int] = []
    for part in text.split(b","):
        lo, _, hi = part.partition(b":")
        uids.extend(range(int(lo), int(hi or lo) + 1))
    return uids


_CONFIG = """\
# Throwaway test instance; nothing is read from /etc/dovecot.
base_dir = {run}
state_dir = {state}
log_path = {log}
instance_name = dovecot-test-{tag}
protocols = imap
listen = {host}
shutdown_clients = yes
{identity}
first_valid_uid = {uid}
first_valid_gid = {gid}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
mail_location = maildir:~/Maildir
mail_fsync = never
# One passwd-file per user: Dovecot re-checks a changed file at most once a second, a new file at once.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}/%u
}}
userdb {{
  driver = passwd-file
  args = {users}/%u
}}
namespace inbox {{
  inbox = yes
}}
protocol imap {{
  mail_max_userip_connections = 1000
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
    ssl = yes
  }}
  service_count = 0
  {no_chroot}
}}
service anvil {{
  {no_chroot}
  # Unreachable penalty socket = no auth penalty (a failed login would delay the next ones by seconds).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


class Dovecot:
    """A private Dovecot: config, passwd-file, maildirs and log under one temp dir, on free loopback ports."""

    host = HOST

    def __init__(self, base_dir: str | os.PathLike | None = None):
        # Short path: Dovecot's Unix sockets live under it (limit ~107 bytes).
        self.base = Path(base_dir or tempfile.mkdtemp(prefix="dv", dir="/tmp"))
        self._own_base = base_dir is None
        self.port = free_port()
        self.ssl_port = free_port()
        self.conf = str(self.base / "dovecot.conf")
        self.users_dir = str(self.base / "users")  # one passwd-file line per user: users/<name>
        self.log_path = str(self.base / "dovecot.log")
        self.cafile = ""
        self.start_seconds = 0.0
        self._proc: subprocess.Popen | None = None
        self._users: dict[str, str] = {}
        if os.geteuid() == 0:
            # Mail processes must not run as root; the `mail` account owns the maildirs.
            import pwd
            entry = pwd.getpwnam("mail")
            self.mail_uid, self.mail_gid = entry.pw_uid, entry.pw_gid
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> "Dovecot":
        if self._proc is not None:
            return self
        began = time.monotonic()
        if not self.cafile:
            self._prepare()
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                [DOVECOT_BIN, "-F", "-c", self.conf],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True,  # own process group: stop() can reap every child
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + 10
        tls = ssl.create_default_context(cafile=self.cafile)
        if not (_wait_for_greeting(self.port, deadline) and _wait_for_greeting(self.ssl_port, deadline, tls)):
            log = self.log_tail()
            self.stop()
            raise RuntimeError(f"dovecot did not start on {self.host}:{self.port}/{self.ssl_port}; log:\n{log}")
        self.start_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        # Children (imap, auth, login, log) share the master's process group; make sure none outlive it.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 3
        while live_group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)

    def restart(self) -> None:
        """Stop and start again on the same ports, keeping users and mail."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "Dovecot":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _prepare(self) -> None:
        # Dovecot's auth runs as `dovecot` and mail processes as mail_uid: every directory above
        # the passwd-file and maildirs needs o+x.
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        for parent in self.base.parents if os.geteuid() == 0 else ():
            if not os.stat(parent).st_mode & 0o001:
                raise RuntimeError(f"{parent} lacks o+x; Dovecot's unprivileged processes cannot reach {self.base}")
        for sub in ("run", "state", "home", "users"):
            (self.base / sub).mkdir(exist_ok=True)
            os.chmod(self.base / sub, 0o755)
        cert, key = make_self_signed_cert(self.base)
        self.cafile = cert
        if os.geteuid() == 0:
            identity, no_chroot = "", ""
        else:
            import grp
            import pwd
            me = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            identity = (f"default_internal_user = {me}\ndefault_login_user = {me}\n"
                        f"default_internal_group = {group}")
            no_chroot = "chroot ="
        Path(self.conf).write_text(_CONFIG.format(
            run=self.base / "run", state=self.base / "state", log=self.log_path, tag=self.base.name,
            host=self.host, port=self.port, ssl_port=self.ssl_port, cert=cert, key=key, users=self.users_dir,
            uid=self.mail_uid, gid=self.mail_gid, identity=identity, no_chroot=no_chroot,
        ))

    # -- accounts and mail -------------------------------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        """Add a login; usable at once."""
        if not re.fullmatch(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*", user) or any(c in password for c in ":\r\n"):
            raise ValueError(f"unsupported user/password for a passwd-file: {user!r}")
        if not self.cafile:
            self._prepare()
        entry = Path(self.users_dir) / user
        if entry.exists():
            raise ValueError(f"user {user!r} already exists")
        home = self.base / "home" / user
        for sub in ("", "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
            (home / sub).mkdir(exist_ok=True)
            if os.geteuid() == 0:
                os.chown(home / sub, self.mail_uid, self.mail_gid)
        # Write then rename, so Dovecot never reads a half-written file.
        partial = entry.with_name(f".{user}.tmp")
        partial.write_text(f"{user}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{home}::\n")
        os.chmod(partial, 0o644)
        os.replace(partial, entry)
        self._users[user] = password

    def connect(self, user: str, *, ssl_port: bool = False) -> IMAPClient:
        """A logged-in IMAPClient for `user` (caller logs out)."""
        if ssl_port:
            client = IMAPClient(self.host, self.ssl_port, ssl=True,
                                ssl_context=ssl.create_default_context(cafile=self.cafile), timeout=10)
        else:
            client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client._imap.debug = 0  # imapclient otherwise repr()s every literal: 5-10x slower on big mails
        client.login(user, self._users[user])
        return client

    def append(self, user: str, raw: bytes, *, folder: str = "INBOX", date: datetime | None = None,
               flags=()) -> int:
        """APPEND one message (INTERNALDATE = date, naive means local time); returns its UID."""
        client = self.connect(user)
        try:
            response = client.append(folder, raw, flags=flags, msg_time=date)
        finally:
            client.logout()
        match = _APPENDUID.search(response)
        if not match:
            raise RuntimeError(f"no APPENDUID in {response!r}")
        return _parse_uid_set(match.group(2))[-1]

    def append_many(self, user: str, raws: list[bytes], dates: list[datetime] | None = None, *,
                    folder: str = "INBOX", chunk: int = 200) -> list[int]:
        """Bulk load over one connection (MULTIAPPEND); returns the UIDs in order."""
        uids: list[int] = []
        client = self.connect(user)
        try:
            for start in range(0, len(raws), chunk):
                batch = []
                for i in range(start, min(start + chunk, len(raws))):
                    item = {"msg": raws[i]}
                    if dates is not None and dates[i] is not None:
                        item["date"] = dates[i]
                    batch.append(item)
                typ, data = client.multiappend(folder, batch)  # raw imaplib-style (typ, [text])
                response = b" ".join(data)
                match = _APPENDUID.search(response)
                if not match:
                    raise RuntimeError(f"no APPENDUID in {response!r}")
                uids.extend(_parse_uid_set(match.group(2)))
        finally:
            client.logout()
        return uids

    def expunge(self, user: str, uids, folder: str = "INBOX") -> None:
        client = self.connect(user)
        try:
            client.select_folder(folder)
            client.add_flags(list(uids), [b"\\Deleted"], silent=True)
            client.expunge(list(uids))
        finally:
            client.logout()

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        client = self.connect(user)
        try:
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple]:
        """UID -> flags (bytes), e.g. to check what a client marked \\Seen."""
        client = self.connect(user)
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}
        finally:
            client.logout()

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        client = self.connect(user)
        try:
            return client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        finally:
            client.logout()

    def set_uidvalidity(self, user: str, value: int, folder: str = "INBOX") -> None:
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)

    def recreate_folder(self, user: str, folder: str = "INBOX") -> None:
        """Empty the folder and give it a new UIDVALIDITY. Other folders are deleted and created again;
        INBOX cannot be deleted, so its mail is expunged and its UIDVALIDITY raised."""
        client = self.connect(user)
        try:
            if folder.upper() == "INBOX":
                old = client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
                client.select_folder(folder)
                uids = client.search("ALL")
                if uids:
                    client.add_flags(uids, [b"\\Deleted"], silent=True)
                    client.expunge(uids)
            else:
                if client.folder_exists(folder):
                    client.delete_folder(folder)
                client.create_folder(folder)
        finally:
            client.logout()
        if folder.upper() == "INBOX":
            self.set_uidvalidity(user, old + 1, folder)

    def doveadm(self, *args: str) -> str:
        result = subprocess.run([DOVEADM_BIN, "-c", self.conf, *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout


@dataclass
class ImapAccount:
    """One user on a Dovecot, with the server helpers bound to it."""
    server: Dovecot
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def ssl_port(self) -> int:
        return self.server.ssl_port

    @property
    def cafile(self) -> str:
        return self.server.cafile

    def mailbox_config(self, *, ssl: bool = False, folder: str = "INBOX") -> dict:
        """The `mailbox:` keys of config.yaml (CONTRACT.md); with ssl=True a client must also trust `cafile`."""
        return {"host": self.host, "port": self.ssl_port if ssl else self.port, "ssl": ssl,
                "username": self.user, "password": self.password, "folder": folder}

    def connect(self, *, ssl_port: bool = False) -> IMAPClient:
        return self.server.connect(self.user, ssl_port=ssl_port)

    def append(self, raw: bytes, *, folder: str = "INBOX", date: datetime | None = None, flags=()) -> int:
        return self.server.append(self.user, raw, folder=folder, date=date, flags=flags)

    def append_many(self, raws: list[bytes], dates: list[datetime] | None = None, *,
                    folder: str = "INBOX") -> list[int]:
        return self.server.append_many(self.user, raws, dates, folder=folder)

    def expunge(self, uids, folder: str = "INBOX") -> None:
        self.server.expunge(self.user, uids, folder)

    def uids(self, folder: str = "INBOX") -> list[int]:
        return self.server.uids(self.user, folder)

    def flags(self, folder: str = "INBOX") -> dict[int, tuple]:
        return self.server.flags(self.user, folder)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.uidvalidity(self.user, folder)

    def set_uidvalidity(self, value: int, folder: str = "INBOX") -> None:
        self.server.set_uidvalidity(self.user, value, folder)

    def recreate_folder(self, folder: str = "INBOX") -> None:
        self.server.recreate_folder(self.user, folder)


def new_account(server: Dovecot) -> ImapAccount:
    """A fresh user with a random name and password."""
    account = ImapAccount(server, "u" + secrets.token_hex(5), secrets.token_urlsafe(12))
    server.add_user(account.user, account.password)
    return account


# -- SMTP sink ---------------------------------------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    auth_user: str | None = None

    def parsed(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink._take_fault("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.sink._take_fault("DATA")
        if reply:
            return reply
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.sink._record(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, login))
        return "250 Message accepted"


class _Controller(Controller):
    def factory(self):
        # aiosmtpd warns on AUTH without TLS; that is the point of a loopback sink.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return super().factory()


class SmtpSink:
    """aiosmtpd in a thread: records every message; optional AUTH (PLAIN/LOGIN) and implicit TLS."""

    host = HOST

    def __init__(self, user: str | None = None, password: str | None = None, *, tls: bool = False):
        self.user, self.password, self.tls = user, password, tls
        self.port = 0
        self.cafile = ""
        self.messages: list[Received] = []
        self._faults: dict[str, deque[str]] = {"RCPT": deque(), "DATA": deque()}  # replies to inject
        self._cond = threading.Condition()
        self._controller: Controller | None = None
        self._tmp: str | None = None

    def start(self) -> "SmtpSink":
        context = None
        if self.tls:
            self._tmp = tempfile.mkdtemp(prefix="smtpsink")
            cert, key = make_self_signed_cert(self._tmp)
            self.cafile = cert
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
        kwargs = {}
        if self.user is not None:
            kwargs = dict(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)
        self.port = free_port()
        self._controller = _Controller(_Handler(self), hostname=self.host, port=self.port, ssl_context=context,
                                       server_hostname="sink.test", **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, n: int = 1, code: int = 451,
                  message: str = "4.7.0 MI:SFQ too many sends in 15 minutes, try later", *, stage: str = "DATA"):
        """The next n DATA (or RCPT, with stage="RCPT") commands answer `code message` and record nothing."""
        stage = stage.upper()
        if stage not in self._faults:
            raise ValueError("stage must be DATA or RCPT")
        with self._cond:
            self._faults[stage].extend([f"{code} {message}"] * n)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(f"SMTP sink got {len(self.messages)} message(s), expected {count}")
            return list(self.messages)

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()
            for pending in self._faults.values():
                pending.clear()

    def smtp_config(self) -> dict:
        """The `smtp:` keys of config.yaml pointing at this sink (CONTRACT.md)."""
        config = {"host": self.host, "port": self.port, "ssl": self.tls}
        if self.user is not None:
            config.update(username=self.user, password=self.password)
        return config

    def _take_fault(self, stage: str) -> str | None:
        with self._cond:
            pending = self._faults[stage]
            return pending.popleft() if pending else None

    def _record(self, received: Received) -> None:
        with self._cond:
            self.messages.append(received)
            self._cond.notify_all()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.user and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
