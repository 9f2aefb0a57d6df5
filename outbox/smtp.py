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


class TransientError(Exception):
    pass


class PermanentError(Exception):
    pass


def _reply_error(code: int, message: bytes | str) -> Exception:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    error = f"{code} {text}".strip()
    return TransientError(error) if 400 <= code < 500 else PermanentError(error)


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
            if self.use_ssl:
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    conn.starttls(context=self._context())
            if self.username:
                conn.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP login refused for {self.username}: {exc.smtp_code} "
                                 f"{exc.smtp_error.decode('utf-8', 'replace')}") from None
        except smtplib.SMTPResponseException as exc:
            raise _reply_error(exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"cannot reach SMTP server {self.host}:{self.port}: {exc}") from None
        self.sent_on_connection = 0
        return conn

    def send(self, sender: str, recipients: list[str], raw: bytes) -> None:
        if self.connection is None or self.sent_on_connection >= self.per_connection:
            self.close()
            self.connection = self._connect()
        try:
            refused = self.connection.sendmail(sender, recipients, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, message = next(iter(exc.recipients.values()))
            raise _reply_error(code, message) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _reply_error(exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransientError(f"SMTP connection lost: {exc}") from None
        self.sent_on_connection += 1
        if refused:  # some recipients accepted: the mail is out; note the others
            raise PermanentError(f"some recipients refused: {refused}")

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
