"""Frozen settings read from HALLQ_* environment variables, with safe defaults.

Defaults give the embedded set-up: a SQLite file in the instance folder, one process, no Redis.
Must not import Flask: the CLI and the engine tests use it without a web app.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

SECRET_KEY_FILE = "secret_key"

# Per-address limits on the public citizen routes (web/rate_limit.py): bucket -> (requests, window seconds).
# Generous on purpose: a hall's guest Wi-Fi or a carrier's NAT puts many phones behind one address, and the
# per-person limits (one booking per service and day, open bookings, 爽约) already stop one person hoarding; these
# stop a script. HALLQ_RATE_LIMIT_<BUCKET>=N/seconds changes one, `off` removes it (docs/operations.md).
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "booking": (20, 600),  # POST /halls/{hall}/appointments: a family books a few services, not twenty
    "booking_change": (30, 600),  # cancel, move and check-in (from its page) of a booking
    "remote_ticket": (20, 600),  # POST /halls/{hall}/remote-tickets (线上取号)
}


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    # Base of the links phones open (QR codes on tickets and kiosk pages). None: the address each request reached
    # the server at, else served_url(bind) (queue_server/web/public_url.py).
    public_url: str | None = None
    # host:port the server listens on (`hallq serve --host/--port`, HALLQ_BIND for gunicorn's own config).
    bind: str = "127.0.0.1:5000"
    # 64 KiB: the largest legitimate request (a guide item edit) is a few KiB; more is abuse.
    max_body_bytes: int = 64 * 1024
    log_json: bool = False
    # Announcement template and repeats (docs/voice.md); {ticket} and {window} are filled in.
    voice_template: str = "请{ticket}号到{window}号窗口办理"
    voice_repeats: int = 2
    # A recorded clip pack (one WAV per clip name, display/voice.py); None = espeak-ng only.
    voice_pack: Path | None = None
    # Socket.IO pub/sub channel on Redis; None = derived from the Redis db number (realtime/relay.py redis_channel).
    redis_channel: str | None = None
    # `hallq retention`: personal data (ID/phone hashes, masks, free text) is anonymised after this many days;
    # 180: long enough for a 差评 case and its appeal, short enough for 个人信息保护法 minimisation.
    retention_days: int = 180
    # Audit entries are deleted after this many days; never fewer than 183 (网络安全法 Art. 21: six months).
    audit_retention_days: int = 365
    # HALLQ_METRICS_TOKEN: what a scraper that is not on this machine sends as `Authorization: Bearer …` to read
    # /metrics (docs/operations.md). None: only loopback may scrape.
    metrics_token: str | None = None
    # Per-address limits of the public citizen routes: bucket -> (requests, window seconds); a missing bucket is
    # not limited. Counted in Redis when redis_url is set (shared by every process), else in this process.
    rate_limits: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(RATE_LIMITS))
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def files_path(self) -> Path:
        """Downloadable catalogue files (blank forms, samples, disclosure attachments), served at /kiosk/files/."""
        return self.instance_path / "files"


def _secret_key(instance: Path, env: dict[str, str]) -> str:
    """The configured key, else one generated once and kept in the instance folder (never a built-in default)."""
    if env.get("HALLQ_SECRET_KEY"):
        return env["HALLQ_SECRET_KEY"]
    path = instance / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once must end up with the same key, not two.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def is_loopback_host(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1: an address only this machine can open (a phone cannot)."""
    name = (host or "").strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def lan_address() -> str:
    """The address this machine uses towards its network. Connecting a UDP socket only picks a route: nothing is
    sent (192.0.2.1 is TEST-NET-1, reserved for documentation)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
    except OSError:  # no network at all
        return "127.0.0.1"


def served_url(bind: str) -> str:
    """http://host:port for a listening address; a wildcard (0.0.0.0, ::) stands for this machine's LAN address."""
    if bind.startswith(("unix:", "fd://")):
        return "http://localhost"
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if not host and port and not port.isdigit():  # a bare host name
        host, port = port, ""
    if host in ("", "0.0.0.0", "::"):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}" if port else f"http://{host}"


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def missing_database(env: dict[str, str] | None = None) -> str | None:
    """Why a command cannot run on this site, before anything is created: a SQLite file that is not there means the
    site's settings are not in the environment (or `hallq init` never ran). None when there is nothing to say."""
    env = dict(os.environ if env is None else env)
    instance = Path(env.get("HALLQ_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    url = env.get("HALLQ_DATABASE_URL") or f"sqlite:///{instance / 'hallq.db'}"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return (f"no hallq database at {url.removeprefix('sqlite:///')}: run `hallq init` first, or set "
                "HALLQ_DATABASE_URL (and HALLQ_INSTANCE_PATH) to the site's own, as its service unit does")
    return None


def parse_rate_limits(env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """RATE_LIMITS with HALLQ_RATE_LIMIT_<BUCKET> applied: `N/seconds` (e.g. 10/600) or `off`."""
    limits = dict(RATE_LIMITS)
    for bucket in RATE_LIMITS:
        raw = env.get(f"HALLQ_RATE_LIMIT_{bucket.upper()}", "").strip().lower()
        if not raw:
            continue
        if raw in ("off", "0", "none"):
            del limits[bucket]
            continue
        count, _, seconds = raw.partition("/")
        try:
            limit = (int(count), int(seconds or 60))
        except ValueError:
            raise ValueError(f"HALLQ_RATE_LIMIT_{bucket.upper()}={raw!r}: expected N/seconds (e.g. 10/600) or off") \
                from None
        if limit[0] < 1 or limit[1] < 1:
            raise ValueError(f"HALLQ_RATE_LIMIT_{bucket.upper()}={raw!r}: both numbers must be positive")
        limits[bucket] = limit
    return limits


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    instance = Path(env.get("HALLQ_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    url = env.get("HALLQ_DATABASE_URL") or f"sqlite:///{instance / 'hallq.db'}"
    return Settings(
        instance_path=instance,
        database_url=normalise_database_url(url),
        redis_url=env.get("HALLQ_REDIS_URL") or None,
        secret_key=_secret_key(instance, env),
        public_url=(env.get("HALLQ_PUBLIC_URL") or "").rstrip("/") or None,
        bind=env.get("HALLQ_BIND") or "127.0.0.1:5000",
        metrics_token=env.get("HALLQ_METRICS_TOKEN") or None,
        # HALLQ_LOG_FORMAT=json (docs/operations.md); HALLQ_LOG_JSON=1 is the older spelling.
        log_json=(env.get("HALLQ_LOG_FORMAT", "").lower() == "json"
                  or env.get("HALLQ_LOG_JSON", "").lower() in {"1", "true", "yes"}),
        voice_template=env.get("HALLQ_VOICE_TEMPLATE") or "请{ticket}号到{window}号窗口办理",
        voice_repeats=int(env.get("HALLQ_VOICE_REPEATS") or 2),
        voice_pack=Path(env["HALLQ_VOICE_PACK"]) if env.get("HALLQ_VOICE_PACK") else None,
        redis_channel=env.get("HALLQ_REDIS_CHANNEL") or None,
        retention_days=int(env.get("HALLQ_RETENTION_DAYS") or 180),
        audit_retention_days=int(env.get("HALLQ_AUDIT_RETENTION_DAYS") or 365),
        rate_limits=parse_rate_limits(env),
    )
