"""AgentConfig: URL and .ini forms, the environment variable, and clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from iotic_app._config import ENV_VAR, AgentConfig, default_agent_id, parse_config
from iotic_app.client import Client


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_none_is_the_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/somewhere/boiler_agent.py"])
    config = parse_config(None)
    assert (config.scheme, config.space, config.agent_id) == ("local", "", "boiler_agent")
    assert config.url == "local://?agent=boiler_agent"


def test_none_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "local://plant?agent=env_agent")
    config = parse_config(None)
    assert (config.space, config.agent_id) == ("plant", "env_agent")


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "ftp://x")
    with pytest.raises(ValueError, match="ftp"):
        parse_config(None)


@pytest.mark.parametrize(
    ("url", "space", "agent"),
    [
        ("local://", "", "fallback"),
        ("local://plant", "plant", "fallback"),
        ("local://plant/", "plant", "fallback"),
        ("LOCAL://plant?agent=a-1.b_c", "plant", "a-1.b_c"),
        ("local://?agent=x&queue_limit=10", "", "x"),
    ],
)
def test_url_forms(monkeypatch: pytest.MonkeyPatch, url: str, space: str, agent: str) -> None:
    monkeypatch.setattr(sys, "argv", ["fallback.py"])
    config = AgentConfig.parse(url)
    assert (config.scheme, config.space, config.agent_id) == ("local", space, agent)
    assert AgentConfig.parse(config.url) == config


def test_agent_config_passes_through() -> None:
    config = AgentConfig.parse("local://a?agent=b")
    assert AgentConfig.parse(config) is config
    assert Client(config).agent_id == "b"


def test_option_int() -> None:
    config = AgentConfig.parse("local://?agent=a&queue_limit=7")
    assert config.option_int("queue_limit", 1) == 7
    assert AgentConfig.parse("local://?agent=a").option_int("queue_limit", 3) == 3


@pytest.mark.parametrize(
    ("config", "exc", "words"),
    [
        ("gopher://x", ValueError, "unknown scheme 'gopher'"),
        ("local://bad name", ValueError, "space name"),
        ("local://x?agent=", ValueError, "agent name"),
        ("local://x?agent=a/b", ValueError, "agent name"),
        ("local://x?colour=red", ValueError, "unknown option 'colour'"),
        ("local://x?queue_limit=lots", ValueError, "queue_limit"),
        ("local://x?queue_limit=0", ValueError, "positive integer"),
        ("local://x?agent", ValueError, "malformed query"),
        ("local://x#frag", ValueError, "fragment"),
        ("://x", ValueError, "not a URL"),
        (42, TypeError, "config must be"),
        (b"local://", TypeError, "config must be"),
        ("", ValueError, "config must be a URL"),
    ],
)
def test_bad_config(config: object, exc: type[Exception], words: str) -> None:
    with pytest.raises(exc, match=words):
        AgentConfig.parse(config)  # type: ignore[arg-type]
    with pytest.raises(exc, match=words):
        Client(config)  # type: ignore[arg-type]


def test_ini_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.ini"
    path.write_text("[agent]\nurl = local://plant\nagent = boiler\nqueue_limit = 5\n")
    for form in (path, str(path)):
        config = AgentConfig.parse(form)
        assert (config.space, config.agent_id, config.source) == ("plant", "boiler", str(path))
        assert config.options == {"queue_limit": "5"}


def test_ini_agent_in_url_wins_over_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.ini"
    path.write_text("[agent]\nurl = local://plant?agent=from_url\n")
    assert AgentConfig.parse(path).agent_id == "from_url"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[other]\nurl = local://\n", "no \\[agent\\] section"),
        ("[agent]\nagent = a\n", "needs a url"),
        ("[agent]\nurl = local://\ncolour = red\n", "unknown option 'colour'"),
        ("not an ini file", "not a valid .ini"),
    ],
)
def test_bad_ini_file(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.ini"
    path.write_text(text)
    with pytest.raises(ValueError, match=words) as info:
        AgentConfig.parse(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ini"
    with pytest.raises(FileNotFoundError, match=r"nope\.ini"):
        AgentConfig.parse(missing)
    with pytest.raises(FileNotFoundError, match=r"nope\.ini"):
        Client(str(missing))


@pytest.mark.parametrize(
    ("argv0", "expected"),
    [
        ("/x/share_basic.py", "share_basic"),
        ("", "agent"),
        ("-c", "agent"),
        ("/x/my agent!.py", "my_agent"),
        ("/usr/bin/pytest", "agent"),
    ],
)
def test_default_agent_id(monkeypatch: pytest.MonkeyPatch, argv0: str, expected: str) -> None:
    monkeypatch.setattr(sys, "argv", [argv0])
    assert default_agent_id() == expected


def test_with_agent() -> None:
    config = AgentConfig.parse("local://plant?agent=a&queue_limit=4")
    other = config.with_agent("bob")
    assert (other.agent_id, other.space, other.options) == ("bob", "plant", {"queue_limit": "4"})
    assert AgentConfig.parse(other.url) == other
    with pytest.raises(ValueError, match="agent name"):
        config.with_agent("no way")
