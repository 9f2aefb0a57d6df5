"""Where mail comes from: an IMAP folder (126.com in production) or a local Maildir.

Both sources only read: IMAP folders are opened with EXAMINE and bodies fetched with
``BODY.PEEK[]``, so nothing is marked read, moved or deleted; a Maildir is read in place.
"""
from __future__ import annotations

import logging
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterator

from faults import checkpoint
from pipeline import PipelineError
from pipeline.config import MailboxConfig
from pipeline.intake.mail_archive import sha256_hex

log = logging.getLogger(__name__)

RECONNECT_DELAYS = (1.0, 4.0, 15.0)  # seconds between connection attempts within one cycle
MAX_RECONNECTS = 5  # connections lost mid-cycle before the cycle gives up (the next one starts afresh)
_TEMPORARY = re.compile(r"UNAVAILABLE|temporar|try again|too many connections", re.I)

CLIENT_ID = {"name": "summary-mailbox", "version": "1.0", "vendor": "tangshan-kepu"}
_MESSAGE_ID = re.compile(rb"(?im)^message-id:[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)")
_DATE = re.compile(rb"(?im)^date:[ \t]*(.*)")


def _head(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return raw[: end if 0 <= end < 262144 else min(len(raw), 65536)]


def header_date(raw: bytes) -> datetime | None:
    """The Date header, read without parsing the message (for the ledger before processing)."""
    match = _DATE.search(_head(raw))
    if not match:
        return None
    try:
        moment = parsedate_to_datetime(match.group(1).decode("ascii", "replace").strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment and moment.tzinfo else None


def message_key(raw: bytes) -> tuple[str, str | None]:
    """The ledger key of a message: its Message-ID, or a hash of its bytes when it has none."""
    head = _head(raw)
    match = _MESSAGE_ID.search(head)
    if match:
        value = re.sub(rb"\s+", b"", match.group(1)).decode("ascii", "replace")
        if len(value) > 2:
            return value[:500], value[:500]
    return f"sha256:{sha256_hex(raw)}", None


@dataclass
class Fetched:
    uid: str
    raw: bytes
    arrival_at: datetime | None


class MailSourceError(PipelineError):
    """The mailbox could not be reached or read; worded for the operator."""

    temporary = False  # a passing fault (a deadline, a dropped connection): the next cycle carries on


class MaildirSource:
    """A local Maildir (the embedded default), read without moving files between new/ and cur/."""

    uidvalidity = 0

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = f"maildir:{self.path}"

    def __enter__(self) -> "MaildirSource":
        for sub in ("new", "cur", "tmp"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        pass

    def _files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for sub in ("new", "cur"):
            for entry in (self.path / sub).iterdir():
                if entry.is_file() and not entry.name.startswith("."):
                    files[entry.name.split(":")[0]] = entry
        return files

    def _read(self, items: list[tuple[str, Path]]) -> Iterator[list[Fetched]]:
        batch: list[Fetched] = []
        for uid, path in sorted(items, key=lambda kv: (kv[1].stat().st_mtime, kv[0])):
            arrival = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
            batch.append(Fetched(uid, path.read_bytes(), arrival))
            if len(batch) >= 50:
                yield batch
                batch = []
        if batch:
            yield batch

    def fetch_new(self, known_uids: set[str], known_key=None) -> Iterator[list[Fetched]]:
        return self._read([(uid, p) for uid, p in self._files().items() if uid not in known_uids])

    def fetch_between(self, since: date, until: date) -> Iterator[list[Fetched]]:
        start = datetime.combine(since, datetime.min.time(), timezone.utc) - timedelta(days=1)
        end = datetime.combine(until, datetime.min.time(), timezone.utc) + timedelta(days=2)
        return self._read([(uid, p) for uid, p in self._files().items()
                           if start.timestamp() <= p.stat().st_mtime < end.timestamp()])


class ImapSource:
    """An IMAP folder over TLS, STARTTLS or plain; sends ID before SELECT (126.com requires it)."""

    def __init__(self, config: MailboxConfig, deadline: float | None = None):
        self.config = config
        self.name = f"imap://{config.username}@{config.host}:{config.port}/{config.folder}"
        self.client: Any = None  # an IMAPClient (untyped library) once logged in
        self.uidvalidity = 0
        self.reconnects = 0
        # A socket timeout restarts with every byte, so a server trickling a byte every few seconds
        # would hold the cycle forever: past ``deadline`` (time.monotonic()) a watchdog shuts the socket.
        self.deadline = deadline
        self.doing = "connecting"
        self.expired = False
        self._watchdog: threading.Timer | None = None
        self._connecting: Any = None  # the client being logged in, so the watchdog can reach it too
        self._socket: socket.socket | None = None  # the newest socket, from before the server's greeting on

    def _start_watchdog(self) -> None:
        if self.deadline is not None and self._watchdog is None:
            self._watchdog = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._expire)
            self._watchdog.daemon = True
            self._watchdog.start()

    def _expire(self) -> None:
        self.expired = True
        log.warning("IMAP %s:%s: cycle deadline passed while %s; closing the connection (mail fetched so far "
                    "is kept, the next cycle carries on)", self.config.host, self.config.port, self.doing)
        client = self.client or self._connecting
        for get in (lambda: client.socket(), lambda: self._socket):
            try:
                sock = get()
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                    return
            except Exception:  # not there yet, or already closed: nothing is blocked on it
                pass

    def _connected(self, sock) -> None:
        self._socket = sock
        if self.expired:  # the deadline passed while connecting
            sock.shutdown(socket.SHUT_RDWR)

    def _deadline_error(self) -> MailSourceError:
        error = MailSourceError(f"IMAP {self.config.host}:{self.config.port}: no answer within the cycle deadline "
                                f"while {self.doing}; the next cycle carries on from there")
        error.temporary = True
        return error

    def _check_deadline(self) -> None:
        if self.expired or (self.deadline is not None and time.monotonic() >= self.deadline):
            self.expired = True
            raise self._deadline_error()

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.config.cafile) if self.config.cafile else None)
        if not self.config.ssl_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def __enter__(self) -> "ImapSource":
        self._start_watchdog()
        try:
            self.client, info = self._connect_with_retries()
        except BaseException:
            self._stop_watchdog()
            raise
        self.uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        return self

    def _connect_once(self):
        from imapclient.exceptions import IMAPClientError, LoginError

        cfg = self.config
        client = None
        self.doing = f"connecting to {cfg.host}:{cfg.port}, logging in and opening {cfg.folder}"
        try:
            client = _watched_client(self._connected)(
                cfg.host, port=cfg.port, ssl=cfg.ssl, ssl_context=self._ssl_context() if cfg.ssl else None,
                timeout=cfg.timeout_seconds)
            self._connecting = client
            if hasattr(client, "_imap"):
                # imapclient turns on imaplib's debug level, which repr()s every literal: 5-10x slower fetches
                client._imap.debug = 0
            if cfg.starttls and not cfg.ssl:
                client.starttls(self._ssl_context())
            password = cfg.password.get_secret_value() if cfg.password else ""
            client.login(cfg.username, password)
            if client.has_capability("ID"):
                client.id_(CLIENT_ID)
            info = client.select_folder(cfg.folder, readonly=True)
        except LoginError as exc:
            _drop(client)
            text = _text(exc)
            error = MailSourceError(f"IMAP login to {cfg.host}:{cfg.port} as {cfg.username} refused: "
                                    f"{text} (126.com needs the client authorization code, not the password)")
            # [UNAVAILABLE] = the server's auth service is down for a moment (RFC 5530): worth another try
            error.temporary = bool(_TEMPORARY.search(text))
            raise error from None
        except (IMAPClientError, OSError) as exc:
            _drop(client)
            error = MailSourceError(f"IMAP {cfg.host}:{cfg.port} folder {cfg.folder}: {_text(exc) or type(exc).__name__}")
            error.temporary = True
            raise error from None
        return client, info

    def _connect_with_retries(self):
        """Connect, log in, select; a temporary failure (refused, reset, timeout, [UNAVAILABLE]) is
        retried after RECONNECT_DELAYS; a refused password is not (it will not get better by itself)."""
        for attempt, delay in enumerate((*RECONNECT_DELAYS, None), start=1):
            self._check_deadline()
            try:
                return self._connect_once()
            except MailSourceError as exc:
                if self.expired:
                    raise self._deadline_error() from None
                if not getattr(exc, "temporary", False) or delay is None:
                    raise
                if self.deadline is not None and time.monotonic() + delay >= self.deadline:
                    raise
                log.warning("IMAP: %s; retry %d/%d in %.0f s", exc, attempt, len(RECONNECT_DELAYS), delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _reconnect(self, why: Exception, doing: str) -> None:
        """The connection broke while ``doing``: connect again, and insist on the same UIDVALIDITY
        (otherwise the UIDs in hand mean other messages: stop; the next cycle resynchronises)."""
        self.reconnects += 1
        if self.reconnects > MAX_RECONNECTS:
            raise MailSourceError(f"IMAP connection lost {self.reconnects} times in this cycle while {doing}: "
                                  f"{_text(why) or type(why).__name__}; giving up until the next cycle") from None
        log.warning("IMAP connection lost while %s (%s); reconnecting (%d/%d)", doing,
                    _text(why) or type(why).__name__, self.reconnects, MAX_RECONNECTS)
        _drop(self.client)
        self.client = None
        self.client, info = self._connect_with_retries()
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        if uidvalidity != self.uidvalidity:
            raise MailSourceError(f"IMAP folder {self.config.folder} changed UIDVALIDITY during the cycle "
                                  f"({self.uidvalidity} -> {uidvalidity}); the next cycle resynchronises")
        log.info("IMAP: reconnected to %s:%s, UIDVALIDITY unchanged", self.config.host, self.config.port)

    def _call(self, doing: str, op):
        """Run ``op(client)``; on a dropped connection reconnect and run it again."""
        from imapclient.exceptions import IMAPClientError

        self.doing = doing
        while True:
            self._check_deadline()
            try:
                return op(self.client)
            except (IMAPClientError, OSError) as exc:
                if isinstance(exc, MailSourceError):
                    raise
                if self.expired:
                    raise self._deadline_error() from None
                self._reconnect(exc, doing)

    def __exit__(self, *exc) -> None:
        self.doing = "logging out"
        if self.client is not None:
            try:
                if self.expired:
                    _drop(self.client)
                else:
                    self.client.logout()
            except Exception:  # the connection may already be gone; nothing to save
                pass
            self.client = None
        self._stop_watchdog()

    def _stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _fetch(self, uids: list[int]) -> Iterator[list[Fetched]]:
        step = self.config.fetch_batch
        for start in range(0, len(uids), step):
            chunk = uids[start:start + step]
            response = self._call(f"fetching UIDs {chunk[0]}..{chunk[-1]}",
                                  lambda c, chunk=chunk: c.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"]))
            batch = []
            for uid in chunk:  # unsolicited FETCH responses of other UIDs are ignored
                data = response.get(uid)
                if not data or b"BODY[]" not in data:
                    log.warning("IMAP: UID %s vanished before it could be fetched (expunged?)", uid)
                    continue
                arrival = data.get(b"INTERNALDATE")
                if isinstance(arrival, datetime) and arrival.tzinfo is None:
                    arrival = arrival.astimezone()
                batch.append(Fetched(str(uid), data[b"BODY[]"], arrival))
            yield batch

    def _message_ids(self, uids: list[int]) -> dict[int, str | None]:
        out: dict[int, str | None] = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            response = self._call("reading Message-IDs",
                                  lambda c, chunk=chunk: c.fetch(chunk, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]))
            for uid in chunk:
                data = response.get(uid) or {}
                header = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"") or b""
                out[uid] = message_key(header + b"\r\n\r\n")[1]
        return out

    def fetch_new(self, known_uids: set[str], known_key=None) -> Iterator[list[Fetched] | tuple[str, str]]:
        """Yield batches of new messages; for a UID whose Message-ID is already in the ledger (a
        recreated mailbox), yield (uid, key) instead so that only the source is recorded."""
        uids = sorted(int(u) for u in self._call("searching", lambda c: c.search(["ALL"]))
                      if str(u) not in known_uids)
        checkpoint("fetch_search_done")
        if not uids:
            return
        to_fetch = uids
        if known_key is not None and len(uids) > 0:
            ids = self._message_ids(uids)
            seen = known_key([k for k in ids.values() if k])
            to_fetch = []
            for uid in uids:
                key = ids[uid]
                if key and key in seen:
                    yield (str(uid), key)
                else:
                    to_fetch.append(uid)
        yield from self._fetch(to_fetch)

    def fetch_between(self, since: date, until: date) -> Iterator[list[Fetched]]:
        # SEARCH works on the server's dates (whole days): widen by a day each side, the caller filters
        criteria = ["SINCE", since - timedelta(days=1), "BEFORE", until + timedelta(days=2)]
        uids = sorted(int(u) for u in self._call("searching", lambda c: c.search(criteria)))
        yield from self._fetch(uids)


def _watched_client(on_socket):
    """IMAPClient that hands each new socket to ``on_socket`` before the server's greeting is read, so
    that a server trickling its greeting or the TLS handshake is bounded by the watchdog too.
    (Uses imapclient's ``_create_IMAP4``; without it, the plain IMAPClient.)"""
    from imapclient import IMAPClient, imap4, tls

    if not hasattr(IMAPClient, "_create_IMAP4"):
        return IMAPClient

    class WatchedTLS(tls.IMAP4_TLS):
        def _create_socket(self, timeout=None):
            sock = super()._create_socket(timeout)
            on_socket(sock)
            return sock

    class WatchedPlain(imap4.IMAP4WithTimeout):
        def _create_socket(self, timeout=None):
            sock = super()._create_socket(timeout)
            on_socket(sock)
            return sock

    class Client(IMAPClient):
        def _create_IMAP4(self):
            timeout = getattr(self._timeout, "connect", None)
            if self.stream:
                return super()._create_IMAP4()
            if self.ssl:
                return WatchedTLS(self.host, self.port, self.ssl_context, timeout)
            return WatchedPlain(self.host, self.port, timeout)

    return Client


def _drop(client) -> None:
    """Close a broken connection without waiting for a polite goodbye."""
    if client is None:
        return
    try:
        client.shutdown()
    except Exception:
        pass


def _text(exc: Exception) -> str:
    value = exc.args[0] if exc.args else exc
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)


def open_source(config: MailboxConfig, deadline: float | None = None) -> ImapSource | MaildirSource:
    """The configured source; ``deadline`` (time.monotonic()) bounds an IMAP conversation."""
    if config.host:
        return ImapSource(config, deadline)
    if config.maildir is None:  # the config's validation requires one of the two
        raise MailSourceError("mailbox: neither host nor maildir is set in the configuration")
    return MaildirSource(config.maildir)
