"""IOT.Client's config (an IOT.Config, a file, a URL), sync_timeout, local_meta, save_config."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from iotic_app.ioticagent import IOT
from iotic_app.ioticagent.IOT.Config import Config


def _space() -> str:
    return f"local://cfg-{uuid.uuid4().hex[:8]}"


def test_a_config_object_with_iotic_app_keys(tmp_path: Path) -> None:
    path = tmp_path / "mqtt.ini"
    url = _space()
    path.write_text(f"[agent]\nurl = {url}\nagent = bridge\nowner = plant\nlang = de\nhost = h:1\n")
    with IOT.Client(config=Config(fn=str(path))) as client:
        assert client.agent_id == "bridge"
        assert client.default_lang == "de"
        assert client._modern.config.owner == "plant"
        assert client._modern.config.source == str(path)


def test_a_config_object_from_a_string() -> None:
    config = Config(string=f"[agent]\nurl = {_space()}?agent=texty\n")
    client = IOT.Client(config)
    assert client.agent_id == "texty"
    client.close()


def test_a_0_7_0_config_object_is_told_to_add_a_url(tmp_path: Path) -> None:
    path = tmp_path / "old.ini"
    path.write_text("[agent]\nhost = h:5671\nepid = e\npasswd = p\ntoken = t\n")
    with pytest.raises(ValueError, match=r"py-IoticAgent config.*url = "):
        IOT.Client(Config(str(path)))
    with pytest.raises(ValueError, match=r"config: \[agent\] needs a url"):
        IOT.Client(Config(string="[agent]\nepid = e\n"))


def test_sync_timeout_default_and_from_the_file(tmp_path: Path) -> None:
    client = IOT.Client(_space())
    assert client.sync_timeout == 330
    client.close()
    path = tmp_path / "a.ini"
    path.write_text(f"[agent]\nurl = {_space()}\n[iot]\nsync_request_timeout = 12\n")
    client = IOT.Client(str(path))
    assert client.sync_timeout == 12
    client.close()


@pytest.mark.parametrize("bad", ["0", "-3", "1.5", "soon"])
def test_a_bad_sync_timeout_is_a_value_error(bad: str) -> None:
    config = Config(string=f"[agent]\nurl = {_space()}\n[iot]\nsync_request_timeout = {bad}\n")
    with pytest.raises(ValueError, match=f"iot.sync_request_timeout .* got '{bad}'"):
        IOT.Client(config)


def test_local_meta_is_false_until_started() -> None:
    client = IOT.Client(_space())
    assert client.local_meta is False
    with client:
        assert client.local_meta is True
    client.close()


def test_save_config_writes_lang_back_to_the_ini(tmp_path: Path) -> None:
    path = tmp_path / "agent.ini"
    url = _space()
    path.write_text(f"[agent]\nurl = {url}\nagent = saver\n\n[mqtt]\nport = 1\n")
    with IOT.Client(str(path)) as client:
        client.save_config()
    saved = Config(str(path))
    assert saved.get("agent", "lang") == "en"
    assert saved.get("agent", "url") == url
    assert "[mqtt]" not in path.read_text()  # 0.7.0 saved only the four sections it kept
    with IOT.Client(str(path)) as again:
        assert again.agent_id == "saver"


def test_save_config_without_a_file_is_a_value_error() -> None:
    with IOT.Client(_space()) as client, pytest.raises(ValueError, match=r"no \.ini file"):
        client.save_config()


def test_no_config_reads_script_ini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "fish.py")])
    monkeypatch.delenv("IOTIC_APP_CONFIG", raising=False)
    (tmp_path / "fish.ini").write_text(
        f"[agent]\nurl = {_space()}\nagent = fish\n[iot]\nsync_request_timeout = 7\n"
    )
    client = IOT.Client()
    assert (client.agent_id, client.sync_timeout) == ("fish", 7)
    client.close()


def test_list_has_0_7_0s_shape_and_all_my_agents() -> None:
    space = _space()
    with (
        IOT.Client(f"{space}?agent=one&owner=plant") as one,
        IOT.Client(f"{space}?agent=two&owner=plant") as two,
    ):
        a = one.create_thing("a")
        b = two.create_thing("b")
        b.set_public(True)
        assert one.list() == {"a": {"id": a.guid, "epId": "one", "public": False}}
        assert one.list(all_my_agents=True) == {
            "a": {"id": a.guid, "epId": "one", "public": False},
            "b": {"id": b.guid, "epId": "two", "public": True},
        }
        assert one.list(True, 1, 1) == {"b": {"id": b.guid, "epId": "two", "public": True}}
        with pytest.raises(TypeError, match="all_my_agents must be True or False, got 'yes'"):
            one.list("yes")  # type: ignore[arg-type]


def test_the_runner_takes_a_config_object() -> None:
    from iotic_app.ioticagent.ThingRunner import RetryingThingRunner

    class Runner(RetryingThingRunner):
        def main(self) -> None:
            pass

    runner = Runner(config=Config(string=f"[agent]\nurl = {_space()}?agent=running\n"))
    assert runner.client.agent_id == "running"
    assert runner.client.sync_timeout == 330
