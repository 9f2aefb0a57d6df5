"""Delivery: an SMTP server (SSL, STARTTLS or plain) or a folder of .eml files.

``send`` raises ``TransientError`` for what is worth retrying later (4xx replies, a server
that is down) and ``PermanentError`` for what never will succeed (5xx replies).
"""
from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import tempfile
from pathlib import Path

from faults import checkpoint
from outbox import OutboxError


class TransientError(OutboxError):
    """Worth trying again later. ``machine`` = the server or the link is at fault (unreachable,
    421, rate limits), not this mail: such failures do not count against the mail's tries."""

    def __init__(self, message: str, *, machine: bool = False):
        super().__init__(message)
        self.machine = machine


class PermanentError(OutboxError):
    pass


class UncertainError(OutboxError):
    """The whole message and its final dot were sent, but the server's answer never came back:
    it may have been delivered. Sending it again could deliver it twice."""


# 126.com: MI:SFQ too many sends in 15 minutes, MI:DMC too many mails per connection,
# RP:DRC too many recipients per connection; 421 = the service is closing.
_THROTTLE = re.compile(r"MI:SFQ|MI:DMC|RP:DRC|too many|rate limit|try again later", re.I)


def _decoded(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _reply_error(code: int, message: bytes | str) -> Exception:
    text = _decoded(message)
    error = f"{code} {text}".strip()
    if 400 <= code < 500:
        return TransientError(error, machine=code == 421 or bool(_THROTTLE.search(text)))
    return PermanentError(error)


def _no_delay(conn: smtplib.SMTP) -> None:
    """Turn Nagle's algorithm off. The final dot goes out as a 3-byte write of its own (it must follow
    the 'unconfirmed' record); with Nagle on, the kernel holds it until the server's delayed ACK of
    the body, ~40 ms per mail on Linux, which made a loopback send 20 times slower than it is."""
    sock = getattr(conn, "sock", None)
    if sock is not None and hasattr(socket, "TCP_NODELAY"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket (a test double, a Unix socket): nothing to tune
            pass


class SmtpTransport:
    """One connection reused for several mails; reconnects every ``per_connection`` mails
    (126.com answers 450 MI:DMC to too many mails on one connection)."""

    def __init__(self, host: str, port: int, *, use_ssl: bool, starttls: bool, username: str | None,
                 password: str | None, timeout: float = 60, verify: bool = True, cafile: str | None = None,
                 per_connection: int = 10):
        self.host, self.port, self.use_ssl, self.starttls = host, port, use_ssl, starttls
        self.username, self.password, self.timeout = username, password, timeout
        self.verify, self.cafile, self.per_connection = verify, cafile, per_connection
        self.connection: smtplib.SMTP | None = None
        self.sent_on_connection = 0

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.cafile)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        try:
            conn: smtplib.SMTP
            if self.use_ssl:
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    conn.starttls(context=self._context())
            _no_delay(conn)
            if self.username:
                conn.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            # the account, not a mail: everything waits (and `status` says why) rather than every mail failing
            raise TransientError(f"SMTP login refused for {self.username}: {exc.smtp_code} "
                                 f"{_decoded(exc.smtp_error)} (126.com needs the client "
                                 f"authorization code)", machine=True) from None
        except smtplib.SMTPResponseException as exc:
            text = _decoded(exc.smtp_error)
            raise TransientError(f"SMTP server {self.host}:{self.port} refused the session: {exc.smtp_code} {text}",
                                 machine=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"cannot reach SMTP server {self.host}:{self.port}: {exc}", machine=True) from None
        self.sent_on_connection = 0
        checkpoint("smtp_connected")
        return conn

    def send(self, sender: str, recipients: list[str], raw: bytes, on_commit=None) -> None:
        """Send one mail. ``on_commit`` is called once the whole message is on the wire and just
        before the final dot (the point of no return): the outbox records 'unconfirmed' there."""
        if self.connection is None or self.sent_on_connection >= self.per_connection:
            self.close()
            self.connection = self._connect()
        try:
            refused = self._transaction(self.connection, sender, recipients, raw, on_commit)
        except UncertainError:
            self.close()
            raise
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _reply_error(exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransientError(f"SMTP connection lost: {exc}", machine=True) from None
        self.sent_on_connection += 1
        if refused:  # some recipients accepted: the mail is out; note the others
            raise PermanentError(f"some recipients refused: {refused}")

    @staticmethod
    def _transaction(conn: smtplib.SMTP, sender: str, recipients: list[str], raw: bytes, on_commit) -> dict:
        """``sendmail`` taken apart, so that the final dot is a step of its own."""
        conn.ehlo_or_helo_if_needed()
        options = []
        if conn.does_esmtp:
            if conn.has_extn("size"):
                options.append(f"size={len(raw)}")
            if conn.has_extn("8bitmime") and not raw.isascii():
                options.append("BODY=8BITMIME")
        code, reply = conn.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)
        refused = {}
        for rcpt in recipients:
            code, reply = conn.rcpt(rcpt)
            if code not in (250, 251):
                refused[rcpt] = (code, reply)
        if len(refused) == len(recipients):
            code, reply = next(iter(refused.values()))
            raise smtplib.SMTPResponseException(code, reply)
        checkpoint("smtp_rcpt_done")
        conn.putcmd("data")
        code, reply = conn.getreply()
        if code != 354:
            raise smtplib.SMTPResponseException(code, reply)
        checkpoint("smtp_data_started")
        body = re.sub(rb"(?m)^\.", b"..", raw)  # dot-stuffing (RFC 5321 4.5.2), as smtplib.sendmail does
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        half = len(body) // 2
        conn.send(body[:half])
        checkpoint("smtp_data_partial")
        conn.send(body[half:])
        checkpoint("smtp_data_sent")
        if on_commit is not None:
            on_commit()
        checkpoint("smtp_unconfirmed_marked")  # the residual window: see outbox/queue.py
        try:
            conn.send(b".\r\n")
            checkpoint("smtp_dot_sent")
            code, reply = conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            raise UncertainError(f"no answer from the server after the message was sent: {exc}") from None
        if code != 250:  # the server answered: it decided, and did not take the mail
            raise smtplib.SMTPResponseException(code, reply)
        return refused

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException, socket.timeout):
                pass
            self.connection = None


class FolderTransport:
    """Writes each mail as ``<outdir>/<n>-<dedupe>.eml`` (the embedded default, and --dry-run)."""

    def __init__(self, outdir: Path):
        self.outdir = Path(outdir)

    def send(self, sender: str, recipients: list[str], raw: bytes, name: str = "mail") -> Path:
        self.outdir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120]
        target = self.outdir / f"{safe}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.outdir, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        return target

    def close(self) -> None:
        pass
