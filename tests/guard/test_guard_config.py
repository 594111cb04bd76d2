"""Configuration: precedence, strictness, frozen after init."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faasguard.guard._config import GuardConfigError, load_config


def test_defaults() -> None:
    config = load_config({})
    assert config.action("process") == "block"
    assert config.action("network") == "alert"
    assert config.tmp_cleanup and config.on_config_error == "closed"


def test_precedence_file_inline_env_kwargs(tmp_path: Path) -> None:
    path = tmp_path / "guard.json"
    path.write_text(json.dumps({"policies": {"process": "alert", "files": "off"},
                                "network": {"allow": ["a.example:443"]}, "tmp": {"keep": ["/tmp/cache"]}}))
    env = {"FAASGUARD_CONFIG": str(path), "FAASGUARD_CONFIG_JSON": '{"policies": {"files": "alert"}}',
           "FAASGUARD_POLICY_NETWORK": "block", "FAASGUARD_ALLOW_PROCESSES": "convert, jq",
           "AWS_REGION": "eu-central-1"}
    config = load_config(env, ctypes="off")
    assert dict(config.policies) == {"process": "alert", "network": "block", "metadata": "block", "files": "alert",
                                     "deserialization": "alert", "ctypes": "off", "tamper": "alert"}
    assert config.allow_hosts == ("a.example:443",)
    assert config.allow_processes == ("convert", "jq")
    assert config.tmp_keep == ("/tmp/cache",)
    assert config.region == "eu-central-1"


@pytest.mark.parametrize(("env", "message"), [
    ({"FAASGUARD_CONFIG_JSON": '{"policies": {"process": "maybe"}}'}, "policies.process: expected block"),
    ({"FAASGUARD_CONFIG_JSON": '{"policies": {"proces": "block"}}'}, "policies.proces: unknown policy"),
    ({"FAASGUARD_CONFIG_JSON": '{"network": {"alow": []}}'}, "network.alow: unknown key"),
    ({"FAASGUARD_CONFIG_JSON": '{"tmp": {"keep": "/tmp/x"}}'}, "tmp.keep: expected a list of strings"),
    ({"FAASGUARD_CONFIG_JSON": "{not json"}, "FAASGUARD_CONFIG_JSON: invalid JSON"),
    ({"FAASGUARD_CONFIG_JSON": "[]"}, "must be a JSON object"),
    ({"FAASGUARD_CONFIG": "/nonexistent/guard.json"}, "cannot read"),
    ({"FAASGUARD_TIMEOUT_MARGIN_MS": "soon"}, "FAASGUARD_TIMEOUT_MARGIN_MS: expected an integer"),
    ({"FAASGUARD_MODE": "paranoid"}, "FAASGUARD_MODE: expected one of enforce, learn"),
    ({"FAASGUARD_TMP_CLEANUP": "perhaps"}, "expected true or false"),
])
def test_broken_config_names_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(GuardConfigError) as excinfo:
        load_config(env)
    assert message in str(excinfo.value)


def test_frozen() -> None:
    config = load_config({})
    with pytest.raises(AttributeError):
        config.mode = "learn"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.policies["process"] = "off"  # type: ignore[index]
    assert config.action("process") == "block"
    assert config == load_config({}) and config.replace(mode="learn") != config


def test_to_json_roundtrip() -> None:
    config = load_config({}, allow_hosts=["x.example:443"], process="alert")
    again = load_config({"FAASGUARD_CONFIG_JSON": json.dumps(config.to_json())})
    assert again.allow_hosts == config.allow_hosts and again.action("process") == "alert"
