"""Where the print agent lives on the kiosk PC: its state folder, its log and where its token comes from.

The state folder holds the agent's identity and journal. It must not depend on the working directory: an agent
restarted from another folder with a new identity would not get its own claims back. So it is fixed per user:
`--state-dir`, else HALLQ_AGENT_STATE, else systemd's STATE_DIRECTORY (StateDirectory= in the unit), else the
platform's per-user state folder.

Logging: python-escpos calls logging.basicConfig() when it is imported, which leaves the root logger at WARNING
with a handler of its own; a later basicConfig() then does nothing and the agent's own lines are lost. So the
agent's configuration replaces it (force=True), and python-escpos's chatter (it logs every connection it opens
and closes on the root logger) is kept out below WARNING.

The token: from a file only its owner can read (--token-file, HALLQ_KIOSK_TOKEN_FILE, or systemd's credential
`kiosk-token`) or the environment (HALLQ_KIOSK_TOKEN). --token still works but every user of the PC sees a
command line in `ps`, so the agent warns. Stdlib only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

APP = "hallq-print-agent"
CREDENTIAL = "kiosk-token"  # systemd LoadCredential= name: $CREDENTIALS_DIRECTORY/kiosk-token


class TokenError(Exception):
    """No usable token: the message says what to fix."""


def _from_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if sys.platform != "win32" and mode & 0o077:
            raise TokenError(f"{path} is readable by other users (mode {mode & 0o777:o}): chmod 600 it")
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TokenError(f"cannot read the token file {path}: {exc.strerror or exc}") from exc
    if not token:
        raise TokenError(f"the token file {path} is empty")
    return token


def read_token(token: str | None, token_file: Path | None, env: dict[str, str] | None = None) -> str:
    """The kiosk's token: --token-file, then --token (logged as a warning: it shows in `ps`), then
    HALLQ_KIOSK_TOKEN_FILE, HALLQ_KIOSK_TOKEN, systemd's credential. Raises TokenError."""
    env = dict(os.environ) if env is None else env
    if token_file is not None:
        return _from_file(token_file)
    if token:
        logging.getLogger(APP).warning("--token shows the kiosk's token to every user of this PC (ps): put it "
                                       "in a file only this user can read and pass --token-file instead")
        return token
    if env.get("HALLQ_KIOSK_TOKEN_FILE"):
        return _from_file(Path(env["HALLQ_KIOSK_TOKEN_FILE"]))
    if env.get("HALLQ_KIOSK_TOKEN"):
        return env["HALLQ_KIOSK_TOKEN"].strip()
    credential = Path(env["CREDENTIALS_DIRECTORY"]) / CREDENTIAL if env.get("CREDENTIALS_DIRECTORY") else None
    if credential is not None and credential.exists():
        return _from_file(credential)
    raise TokenError("a kiosk token is needed: --token-file FILE (mode 600), HALLQ_KIOSK_TOKEN_FILE or "
                     "HALLQ_KIOSK_TOKEN")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ESCPOS = os.sep + "escpos" + os.sep


def default_state_dir(env: dict[str, str] | None = None) -> Path:
    """The per-user state folder: HALLQ_AGENT_STATE, systemd's STATE_DIRECTORY, %LOCALAPPDATA% on Windows, else
    $XDG_STATE_HOME or ~/.local/state (the XDG base directory rule)."""
    env = dict(os.environ) if env is None else env
    if env.get("HALLQ_AGENT_STATE"):
        return Path(env["HALLQ_AGENT_STATE"])
    if env.get("STATE_DIRECTORY"):  # systemd may list several, separated by colons: the first is ours
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "hallq" / "print-agent"
    base = Path(env["XDG_STATE_HOME"]) if env.get("XDG_STATE_HOME") else Path.home() / ".local" / "state"
    return base / APP


class _QuietEscpos(logging.Filter):
    """Drop python-escpos's root-logger INFO lines (a connection opened or closed, twice per ticket)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno < logging.WARNING and record.name == "root" and _ESCPOS in record.pathname)


def setup_logging(level: str = "INFO", log_file: Path | None = None) -> None:
    """Every line timestamped, to stderr or to `log_file` (appended), whatever python-escpos set up at import."""
    handler: logging.Handler = (logging.FileHandler(log_file, encoding="utf-8") if log_file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(_QuietEscpos())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
