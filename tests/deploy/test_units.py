"""deploy/systemd: one unit per Procfile process, each ExecStart a real command of this
install; ``systemd-analyze verify`` accepts them (the paths pointed at this install)."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent
BIN = Path(sys.executable).parent


def _exec_start(unit: Path) -> list[str]:
    line = re.search(r"^ExecStart=(.+)$", unit.read_text(), re.M).group(1)
    return shlex.split(line)


def test_every_procfile_process_has_a_unit_running_its_command():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    for name, command in procfile.items():
        unit = DEPLOY / "systemd" / f"lapor-{name}.service"
        assert unit.exists(), unit
        argv = _exec_start(unit)
        if name == "web":
            assert argv[1:3] == ["web", "--host"] and "127.0.0.1" in argv
        else:
            assert argv[1:] == shlex.split(command)[1:], (name, argv)


def test_every_exec_start_names_a_real_cli_command():
    parser = build_parser()
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        argv = _exec_start(unit)
        if Path(argv[0]).name == "lapor-gateway":
            with pytest.raises(SystemExit) as stopped:
                parser.parse_args([*argv[1:], "--help"])
            assert stopped.value.code == 0, unit.name
        else:
            assert Path(argv[0]).name == "gunicorn" and argv[-1] == "gateway.metrics:local_app()"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path):
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace("/opt/lapor-gateway/.venv/bin", str(BIN))
        (tmp_path / unit.name).write_text(text.replace("/opt/lapor-gateway", str(ROOT)))
    units = sorted(str(path) for path in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_compose_file_runs_every_procfile_process_on_redis_and_rabbitmq():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    for name, command in procfile.items():
        argv = services[name]["command"]
        if name == "web":
            assert argv[:2] == ["lapor-gateway", "web"]
        else:
            assert argv == shlex.split(command), name
        environment = services[name]["environment"]
        assert environment["LAPOR_REDIS_URL"].startswith("redis://redis:")
        assert environment["LAPOR_BROKER_URL"].startswith("amqp://") and "@rabbitmq:" in environment["LAPOR_BROKER_URL"]
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    redis_command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_command and "--maxmemory-policy noeviction" in redis_command
    exposed = [port for service in services.values() for port in service.get("ports", [])]
    assert exposed and all(port.startswith("127.0.0.1:") for port in exposed)   # nginx in front
