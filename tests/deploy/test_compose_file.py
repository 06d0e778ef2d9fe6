"""deploy/compose.yaml, read as `docker compose` reads it. No Docker engine runs on this machine (the client
alone is installed), so the stack cannot be started here; what can go wrong before the first `up` is checked:
ports nginx proxies to that no server listens on, a mount of a file that is not there, servers starting before
the migration, a process without the shared Redis or secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from queue_server.operations.shutdown import GRACEFUL_TIMEOUT_S

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _servers(services: dict[str, Any]) -> dict[str, Any]:
    return {name: s for name, s in services.items() if s.get("command", [None])[:2] == ["hallq", "serve"]}


def test_the_servers_listen_on_exactly_the_ports_the_nginx_site_proxies_to() -> None:
    services = _compose()["services"]
    site = (DEPLOY / "nginx" / "hallq.conf").read_text(encoding="utf-8")

    ports = {int(s["command"][s["command"].index("--port") + 1]) for s in _servers(services).values()}
    upstream = {int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", site)}

    assert len(_servers(services)) == 2
    assert ports == upstream == {5001, 5002}
    # The health check reads PORT: each server's must be its own listening port.
    for server in _servers(services).values():
        assert server["environment"]["PORT"] == server["command"][-1]
        assert server["network_mode"] == "service:nginx"  # 127.0.0.1 in the site file is nginx's own namespace


def test_every_process_shares_the_database_redis_and_secret_and_waits_for_the_migration() -> None:
    services = _compose()["services"]

    for name, server in _servers(services).items():
        env = server["environment"]
        assert env["HALLQ_DATABASE_URL"].startswith("postgresql://"), name
        assert env["HALLQ_REDIS_URL"].startswith("redis://redis:"), name
        assert "HALLQ_SECRET_KEY" in env, name
        assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["command"] == ["hallq", "init"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_file_the_stack_mounts_or_builds_from_exists() -> None:
    compose = _compose()
    named = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert (context / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in named or (DEPLOY / source).exists(), (name, source)
    nginx_static = next(v for v in compose["services"]["nginx"]["volumes"] if "static" in v)
    site = (DEPLOY / "nginx" / "hallq.conf").read_text(encoding="utf-8")
    assert f"alias {nginx_static.split(':')[1]}/;" in site  # nginx serves static/ from where it is mounted


def test_the_servers_are_stopped_with_sigterm_and_given_longer_than_their_graceful_timeout() -> None:
    """A container stop must let a server finish what is in flight (shutdown.py), never kill it mid-request."""
    for server in _servers(_compose()["services"]).values():
        assert server["stop_signal"] == "SIGTERM"
        assert int(server["stop_grace_period"].removesuffix("s")) > GRACEFUL_TIMEOUT_S
    unit = (DEPLOY / "systemd" / "hallq@.service").read_text(encoding="utf-8")
    assert "KillSignal=SIGTERM" in unit
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.MULTILINE).group(1)) > GRACEFUL_TIMEOUT_S  # type: ignore[union-attr]
