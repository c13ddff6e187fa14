"""config=None: the script's .ini in the working directory, then $IOTIC_APP_CONFIG, then local://;
py-IoticAgent 0.7.0 ini files, and the ``lang`` setting."""

from __future__ import annotations

import builtins
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import iotic_app._config_ini as config_ini
from iotic_app import App, ThingRunner
from iotic_app._config import ENV_VAR, AgentConfig, parse_config
from iotic_app.client import Client

PASSWD = "pw-7f3a9c0e5b1d"
TOKEN = "tok-20b4e6a8c1f3"
LEGACY = (
    "[agent]\n"
    "host = amqp.iotic-labs.com:5671\n"
    "epid = 0f5b0ad6c24544c4a9f4e5c9e1a2b3c4\n"
    f"passwd = {PASSWD}\n"
    f"token = {TOKEN}\n"
    "vhost = container1\n"
    "prefix = ab\n"
    "sslca = /etc/ssl/ca.pem\n"
    "lang = de\n"
    "\n[iot]\nsync_request_timeout = 330\n"
    "\n[core]\nqueue_size = 128\n"
    "\n[logging]\namqp = warning\n"
)


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test runs in an empty working directory, as script share_basic, with no env var."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "scripts" / "share_basic.py")])
    return work


def config_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("iotic_app") and "config" in r.msg]


# --- the lookup ----------------------------------------------------------------------------


def test_the_scripts_ini_in_the_working_directory_is_used(in_tmp: Path) -> None:
    (in_tmp / "share_basic.ini").write_text("[agent]\nurl = local://plant\n")
    config = parse_config(None)
    assert (config.space, config.agent_id) == ("plant", "share_basic")
    assert config.source == str(in_tmp / "share_basic.ini")
    assert Client().config == config


def test_the_ini_beside_the_script_is_not_used(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "share_basic.ini").write_text("[agent]\nurl = local://beside\n")
    assert parse_config(None).space == ""


def test_precedence_script_ini_then_environment_then_embedded(
    monkeypatch: pytest.MonkeyPatch, in_tmp: Path, tmp_path: Path
) -> None:
    env_ini = tmp_path / "env.ini"
    env_ini.write_text("[agent]\nurl = local://from_env_file\n")
    script_ini = in_tmp / "share_basic.ini"
    script_ini.write_text("[agent]\nurl = local://from_script_ini\n")
    seen = []
    for env in ("local://from_env_url", str(env_ini)):
        monkeypatch.setenv(ENV_VAR, env)
        seen.append(parse_config(None).space)
    script_ini.unlink()
    for env in ("local://from_env_url", str(env_ini)):
        monkeypatch.setenv(ENV_VAR, env)
        seen.append(parse_config(None).space)
    monkeypatch.setenv(ENV_VAR, "  ")
    seen.append(parse_config(None).space)
    monkeypatch.delenv(ENV_VAR)
    seen.append(parse_config(None).space)
    assert seen == [
        "from_script_ini",
        "from_script_ini",
        "from_env_url",
        "from_env_file",
        "",
        "",
    ]


@pytest.mark.parametrize(
    ("argv", "ini"),
    [
        ([""], ".ini"),  # the interactive interpreter
        (["-c"], "-c.ini"),  # python -c
        (["-m"], "-m.ini"),  # python -m, while the module is looked up
        (["-"], "-.ini"),  # python - (a script on stdin)
        ([], ".ini"),  # embedded interpreters
        (["/venv/lib/ipykernel_launcher.py", "-f", "k.json"], "ipykernel_launcher.ini"),
        (["/venv/lib/ipykernel/__main__.py"], "__main__.ini"),
        (["/venv/bin/ipython"], "ipython.ini"),
        (["/venv/bin/pytest"], "pytest.ini"),
        (["/venv/lib/pytest/__main__.py"], "__main__.ini"),
    ],
)
def test_no_script_means_no_script_ini(
    monkeypatch: pytest.MonkeyPatch,
    in_tmp: Path,
    caplog: pytest.LogCaptureFixture,
    argv: list[str],
    ini: str,
) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    (in_tmp / ini).write_text("[pytest]\naddopts = -q\n")  # not ours: never read
    caplog.set_level(logging.INFO, logger="iotic_app")
    assert parse_config(None).scheme == "local"
    (record,) = config_records(caplog)
    assert "no script" in record.getMessage()


def test_a_script_name_with_dots_keeps_all_but_the_extension(
    monkeypatch: pytest.MonkeyPatch, in_tmp: Path
) -> None:
    monkeypatch.setattr(sys, "argv", ["/x/agent.v2.py"])
    (in_tmp / "agent.v2.ini").write_text("[agent]\nurl = local://dotted\n")
    assert parse_config(None).space == "dotted"


def test_a_working_directory_that_is_gone_skips_the_script_ini(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    caplog.set_level(logging.INFO, logger="iotic_app")
    assert parse_config(None).space == ""
    (record,) = config_records(caplog)
    assert "working directory" in record.getMessage()


# --- failures of a chosen file ---------------------------------------------------------------


def test_a_malformed_script_ini_fails_naming_it_and_why(in_tmp: Path) -> None:
    (in_tmp / "share_basic.ini").write_text("url = local://\n")
    with pytest.raises(ValueError) as info:
        parse_config(None)
    message = str(info.value)
    assert str(in_tmp / "share_basic.ini") in message
    assert "not a valid .ini file" in message
    assert "config=None" in message and "working directory" in message


def test_a_script_ini_without_agent_section_fails(in_tmp: Path) -> None:
    (in_tmp / "share_basic.ini").write_text("[other]\nx = 1\n")
    with pytest.raises(ValueError, match=r"no \[agent\] section.*config=None"):
        Client()


def test_a_script_ini_that_is_a_directory_fails(
    monkeypatch: pytest.MonkeyPatch, in_tmp: Path
) -> None:
    (in_tmp / "share_basic.ini").mkdir()
    monkeypatch.setenv(ENV_VAR, "local://not_reached")
    with pytest.raises(ValueError) as info:
        parse_config(None)
    message = str(info.value)
    assert str(in_tmp / "share_basic.ini") in message
    assert "is a directory" in message and "config=None" in message


def test_a_script_ini_that_is_a_dangling_symlink_fails_not_falls_back(
    monkeypatch: pytest.MonkeyPatch, in_tmp: Path, tmp_path: Path
) -> None:
    """A script .ini linked to a file that is gone (an unmounted volume, a moved file) is the
    script's config, not a reason to run quietly on $IOTIC_APP_CONFIG or the embedded space."""
    (in_tmp / "share_basic.ini").symlink_to(tmp_path / "gone" / "share_basic.ini")
    monkeypatch.setenv(ENV_VAR, "local://not_reached")
    with pytest.raises(FileNotFoundError) as info:
        parse_config(None)
    message = str(info.value)
    assert str(in_tmp / "share_basic.ini") in message and "config=None" in message
    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(FileNotFoundError):
        Client()


def test_an_unreadable_script_ini_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, in_tmp: Path
) -> None:
    path = in_tmp / "share_basic.ini"
    path.write_text("[agent]\nurl = local://\n")
    real_open = builtins.open

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(config_ini, "open", refuse, raising=False)
    with pytest.raises(PermissionError) as info:
        parse_config(None)
    message = str(info.value)
    assert str(path) in message and "cannot be read" in message and "config=None" in message


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_script_ini_fails_for_real(in_tmp: Path) -> None:  # pragma: no cover
    path = in_tmp / "share_basic.ini"
    path.write_text("[agent]\nurl = local://\n")
    path.chmod(0)
    with pytest.raises(PermissionError, match="cannot be read"):
        parse_config(None)


def test_the_environment_naming_a_missing_file_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "agent.ini"
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(FileNotFoundError) as info:
        Client()
    message = str(info.value)
    assert str(missing) in message and f"${ENV_VAR}" in message


def test_an_explicit_path_error_is_unchanged(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ini"
    with pytest.raises(FileNotFoundError) as info:
        parse_config(str(missing))
    assert "config=None" not in str(info.value)


# --- the log line ----------------------------------------------------------------------------


def test_one_info_line_says_what_was_chosen_and_why(
    monkeypatch: pytest.MonkeyPatch, in_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="iotic_app")
    ini = in_tmp / "share_basic.ini"
    ini.write_text("[agent]\nurl = local://plant\n")
    monkeypatch.setenv(ENV_VAR, "local://env")
    parse_config(None)
    ini.unlink()
    parse_config(None)
    monkeypatch.delenv(ENV_VAR)
    parse_config(None)
    records = config_records(caplog)
    assert [r.levelno for r in records] == [logging.INFO] * 3
    script, env, embedded = (r.getMessage() for r in records)
    assert str(ini) in script and "working directory" in script
    assert f"${ENV_VAR}" in env and "local://env" in env and "no share_basic.ini" in env
    assert "embedded" in embedded and f"${ENV_VAR} is not set" in embedded


def test_an_explicit_config_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="iotic_app")
    parse_config("local://x?agent=a")
    assert config_records(caplog) == []


def test_the_log_line_never_shows_a_password(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="iotic_app")
    monkeypatch.setenv(ENV_VAR, f"mqtt://user:{PASSWD}@127.0.0.1:1883?agent=a")
    config = parse_config(None)
    assert config.options["password"] == PASSWD
    (record,) = config_records(caplog)
    assert PASSWD not in record.getMessage()
    assert "mqtt://127.0.0.1:1883" in record.getMessage()


def test_an_app_logs_once_per_run_not_when_made(
    in_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (in_tmp / "share_basic.ini").write_text("[agent]\nurl = local://app_space\n")
    caplog.set_level(logging.INFO, logger="iotic_app")
    app = App()
    assert config_records(caplog) == []
    seen: list[str] = []

    @app.main
    def main(client: Client) -> None:
        seen.append(client.config.space)

    app.run()
    assert seen == ["app_space"]
    assert len(config_records(caplog)) == 1


# --- every entry point reads the script's ini --------------------------------------------------


class _Runner(ThingRunner):
    def main(self) -> None:
        pass


def test_client_runner_and_app_read_the_scripts_ini(in_tmp: Path) -> None:
    (in_tmp / "share_basic.ini").write_text("[agent]\nurl = local://plant\nagent = sensor\n")
    assert Client().config.space == "plant"
    assert _Runner().client.config.agent_id == "sensor"
    app = App()
    seen: list[str] = []
    app.main(lambda client: seen.append(client.config.space))
    app.run()
    assert seen == ["plant"]


# --- py-IoticAgent 0.7.0 ini files -------------------------------------------------------------


def _check_legacy_error(exc: BaseException, path: Path) -> None:
    message = str(exc)
    assert isinstance(exc, ValueError)
    assert str(path) in message
    assert "py-IoticAgent" in message and "Iotic Space" in message
    assert "host, epid, passwd and token" in message
    assert "url = mqtt://HOST:PORT" in message and "url = local://NAME" in message
    assert "agent = " in message
    for secret in (PASSWD, TOKEN):
        assert secret not in message and secret not in repr(exc)
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


@pytest.mark.parametrize(
    "call",
    [
        lambda path: AgentConfig.parse(path),
        lambda path: Client(str(path)),
        lambda path: _Runner(config=str(path)),
        lambda path: App(config=path),
        lambda path: Client(),
        lambda path: _Runner(),
        lambda path: App(),
    ],
    ids=["parse", "Client", "ThingRunner", "App", "Client()", "ThingRunner()", "App()"],
)
def test_a_0_7_0_ini_gets_one_clear_error_at_the_call(
    in_tmp: Path, caplog: pytest.LogCaptureFixture, call: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    path = in_tmp / "share_basic.ini"
    path.write_text(LEGACY)
    with pytest.raises(ValueError) as info:
        call(path)
    _check_legacy_error(info.value, path)
    for record in caplog.records:
        assert PASSWD not in record.getMessage() and TOKEN not in record.getMessage()


def test_a_0_7_0_ini_with_some_keys_only_names_those(tmp_path: Path) -> None:
    path = tmp_path / "old.ini"
    path.write_text(f"[agent]\nhost = h:5671\npasswd = {PASSWD}\n")
    with pytest.raises(ValueError) as info:
        AgentConfig.parse(path)
    message = str(info.value)
    assert "host and passwd" in message and "epid" not in message
    assert PASSWD not in message


def test_a_0_7_0_ini_with_a_url_is_accepted_and_its_old_keys_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "both.ini"
    path.write_text(LEGACY.replace("[agent]\n", "[agent]\nurl = local://ported\n", 1))
    config = AgentConfig.parse(path)
    assert (config.space, config.agent_id, config.lang) == ("ported", "share_basic", "de")
    assert config.options == {}
    for shown in (repr(config), config.url, *(r.getMessage() for r in caplog.records)):
        assert PASSWD not in shown and TOKEN not in shown
        assert "epid" not in shown and "0f5b0ad6" not in shown


def test_a_0_7_0_key_is_not_an_option_of_a_url() -> None:
    with pytest.raises(ValueError, match="unknown option 'epid'"):
        AgentConfig.parse("local://x?epid=abc")


# --- lang ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "lang"),
    [
        ("local://x?agent=a", None),
        ("local://x?agent=a&lang=de", "de"),
        ("local://x?lang=FR&agent=a", "fr"),
        ("mqtt://127.0.0.1:1883?agent=a&lang=en", "en"),
    ],
)
def test_lang_in_a_url(config: str, lang: str | None) -> None:
    parsed = AgentConfig.parse(config)
    assert parsed.lang == lang
    assert ("lang=" in parsed.url) == (lang is not None)
    assert AgentConfig.parse(parsed.url) == parsed
    assert parsed.with_agent("b").lang == lang
    assert "lang" not in parsed.options


def test_lang_in_an_ini_file(tmp_path: Path) -> None:
    path = tmp_path / "a.ini"
    path.write_text("[agent]\nurl = local://x\nagent = a\nlang = DE\n")
    config = AgentConfig.parse(path)
    assert (config.lang, config.url) == ("de", "local://x?agent=a&lang=de")


def test_lang_in_the_url_wins_over_the_ini(tmp_path: Path) -> None:
    path = tmp_path / "a.ini"
    path.write_text("[agent]\nurl = local://x?lang=fr\nlang = de\n")
    assert AgentConfig.parse(path).lang == "fr"


@pytest.mark.parametrize("value", ["", "e", "english!", "d3", "abcdefghi", "de-CH"])
def test_a_bad_lang_is_a_clear_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError, match=r"'lang'.*language code such as 'en'") as info:
        AgentConfig.parse(f"local://x?agent=a&lang={value}")
    assert repr(value) in str(info.value)
    path = tmp_path / "a.ini"
    path.write_text(f"[agent]\nurl = local://x\nlang = {value}\n")
    with pytest.raises(ValueError, match=r"'lang'.*language code such as 'en'") as info:
        AgentConfig.parse(path)
    assert str(path) in str(info.value)


# --- a real script, run as a process --------------------------------------------------------

_SCRIPT = """\
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")
from iotic_app.client import Client

with Client() as client:
    thing = client.create_thing("kessel")
    with thing.get_meta() as meta:
        meta.set_label("Kessel")
    print("agent", client.agent_id, "lang", client.config.lang)
    print("labels", sorted(client.describe(thing)["labels"].items()))
"""


def test_a_script_run_from_another_folder_reads_its_ini_there_on_mqtt(
    tmp_path: Path, broker_url: str, unique_name: str
) -> None:
    import subprocess

    scripts = tmp_path / "scripts"
    scripts.mkdir()
    script = scripts / f"{unique_name}.py"
    script.write_text(_SCRIPT)
    work = tmp_path / "run_here"
    work.mkdir()
    (work / f"{unique_name}.ini").write_text(  # a 0.7.0 file with a url added
        f"[agent]\nurl = {broker_url}\noutbox = {tmp_path / 'outbox'}\n"
        + f"host = h:5671\nepid = e\npasswd = {PASSWD}\ntoken = {TOKEN}\nlang = de\n"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"agent {unique_name} lang de" in out
    assert "labels [('de', 'Kessel')]" in out
    assert f"iotic_app.config config: {work / (unique_name + '.ini')}" in out
    assert PASSWD not in out + done.stderr and TOKEN not in out + done.stderr
