"""IOT.Config against py-IoticAgent 0.7.0's: sections kept, defaults, get/set/update/save."""

from __future__ import annotations

import configparser
import logging
import sys
from pathlib import Path

import pytest

from iotic_app.ioticagent.IOT import Config as ConfigModule
from iotic_app.ioticagent.IOT.Config import Config, dict_to_cp, str_to_logging

BRIDGE_INI = """\
[agent]
url = local://plant
agent = bridge
host = 127.0.0.1:5671
EPID = abc

[mqtt]
host = 10.0.0.1
port = 1884
"""


def test_a_file_is_read_and_other_sections_are_dropped_as_0_7_0_did(tmp_path: Path) -> None:
    path = tmp_path / "mqtt.ini"
    path.write_text(BRIDGE_INI)
    config = Config(fn=str(path))
    assert config.get("agent", "url") == "local://plant"
    assert config.get("agent", "epid") == "abc"  # option names are lowercased
    assert config.get("agent", "EPID") == "abc"
    # 0.7.0 kept only agent, iot, core and logging: the bridge's [mqtt] always read None
    assert config.get("mqtt", "host") is None
    assert config.get("mqtt", "port") is None
    assert config._file_loc() == str(path)


def test_defaults_and_their_types() -> None:
    config = Config(string="[agent]\nurl = local://\n")
    assert config.get("agent", "vhost") == "container1"
    assert config.get("agent", "prefix") == ""
    assert config.get("iot", "sync_request_timeout") == 330
    assert config.get("core", "network_retry_timeout") == 300
    assert config.get("core", "socket_timeout") == 10
    assert config.get("core", "auto_encode_decode") == 1
    assert config.get("core", "queue_size") == 128
    assert config.get("core", "throttle") == "480/30,1680/300"
    assert config.get("core", "conn_retry_delay") == 5
    assert config.get("core", "conn_error_log_threshold") == 180
    assert config.get("logging", "amqp") == "warning"
    assert config.get("logging", "rdflib") == "warning"
    assert config.get("agent", "sslca") is None
    assert config.get("nosuch", "key") is None


def test_file_values_are_strings_and_override_defaults() -> None:
    config = Config(string="[iot]\nsync_request_timeout = 20\n[core]\nqueue_size = 128\n")
    assert config.get("iot", "sync_request_timeout") == "20"
    assert config.get("core", "queue_size") == "128"  # '128' != 128: kept, as 0.7.0 did


def test_set_keeps_only_the_four_sections_and_lowercases() -> None:
    config = Config(string="")
    config.set("agent", "Lang", "de")
    config.set("mqtt", "host", "x")
    assert config.get("agent", "lang") == "de"
    assert config.get("mqtt", "host") is None


def test_update_skips_none_and_values_equal_to_the_default(tmp_path: Path) -> None:
    config = Config(string="")
    config.update("agent", "vhost", "container1")
    config.update("agent", "lang", None)
    config.update("agent", "token", "t")
    out = tmp_path / "out.ini"
    config.save(str(out))
    parser = configparser.ConfigParser()
    parser.read(out)
    assert {s: dict(parser.items(s)) for s in parser.sections()} == {"agent": {"token": "t"}}


def test_save_writes_the_kept_sections_back_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mqtt.ini"
    path.write_text(BRIDGE_INI)
    config = Config(str(path))
    config.set("iot", "sync_request_timeout", 5)
    config.save()
    parser = configparser.ConfigParser()
    parser.read(path)
    assert parser.sections() == ["iot", "agent"]
    assert dict(parser.items("iot")) == {"sync_request_timeout": "5"}
    assert parser.get("agent", "url") == "local://plant"
    assert Config(str(path)).get("iot", "sync_request_timeout") == "5"


def test_save_of_a_string_config_needs_a_filename(tmp_path: Path) -> None:
    config = Config(string="[agent]\nurl = local://\n")
    with pytest.raises(ValueError, match="no filename"):
        config.save()
    config.save(str(tmp_path / "x.ini"))
    assert Config(str(tmp_path / "x.ini")).get("agent", "url") == "local://"


def test_fn_takes_precedence_over_string(tmp_path: Path) -> None:
    path = tmp_path / "a.ini"
    path.write_text("[agent]\nurl = local://file\n")
    assert Config(str(path), "[agent]\nurl = local://text\n").get("agent", "url") == (
        "local://file"
    )


def test_a_missing_file_reads_as_empty(tmp_path: Path) -> None:
    config = Config(str(tmp_path / "absent.ini"))
    assert config.get("agent", "url") is None
    assert config.get("agent", "vhost") == "container1"


def test_no_arguments_reads_script_ini_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "elsewhere" / "fish.py")])
    (tmp_path / "fish.ini").write_text("[agent]\nurl = local://fish\n")
    config = Config()
    assert config._file_loc() == str(tmp_path / "fish.ini")
    assert config.get("agent", "url") == "local://fish"


def test_values_are_read_as_written_percent_included() -> None:
    config = Config(string="[agent]\nurl = mqtt://u:p%40ss@h:1883\n")
    assert config.get("agent", "url") == "mqtt://u:p%40ss@h:1883"


def test_wrong_argument_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="fn must be"):
        Config(fn=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="string must be"):
        Config(string=b"[agent]")  # type: ignore[arg-type]


def test_setup_logging_sets_the_two_loggers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("amqp", "rdflib"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    Config(string="[logging]\namqp = debug\n").setup_logging()
    assert logging.getLogger("amqp").level == logging.DEBUG
    assert logging.getLogger("rdflib").level == logging.WARNING


def test_helpers() -> None:
    assert [str_to_logging(x) for x in ("CRITICAL", "error", "warning", "debug", "info", "x")] == [
        logging.CRITICAL,
        logging.ERROR,
        logging.WARNING,
        logging.DEBUG,
        logging.INFO,
        logging.INFO,
    ]
    parser = dict_to_cp({"agent": {"a": 1}, "iot": {}})
    assert parser.sections() == ["agent"]
    assert parser.get("agent", "a") == "1"
    assert ConfigModule.PY3 is True
