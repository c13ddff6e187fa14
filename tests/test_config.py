"""AgentConfig: URL and .ini forms, the environment variable, and clear errors."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from broker import TlsFiles
from hypothesis import assume, given, settings
from hypothesis import strategies as st

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


def test_the_owner_defaults_to_the_agent() -> None:
    config = AgentConfig.parse("local://plant?agent=a")
    assert config.owner == "a"
    assert "owner" not in config.url
    assert config.with_agent("b").owner == "b"  # the default follows the agent
    assert AgentConfig.from_url("local://plant", agent_id="x").owner == "x"


def test_the_owner_from_the_url_or_the_ini_file(tmp_path: Path) -> None:
    config = AgentConfig.parse("local://plant?agent=a&owner=acme")
    assert (config.agent_id, config.owner) == ("a", "acme")
    assert config.url == "local://plant?agent=a&owner=acme"
    assert AgentConfig.parse(config.url) == config
    other = config.with_agent("b")  # a named owner stays
    assert (other.agent_id, other.owner, other.url) == (
        "b",
        "acme",
        "local://plant?agent=b&owner=acme",
    )
    path = tmp_path / "a.ini"
    path.write_text("[agent]\nurl = local://plant\nagent = a\nowner = acme\n")
    assert AgentConfig.parse(path).owner == "acme"
    path.write_text("[agent]\nurl = local://plant?owner=from_url\nagent = a\nowner = acme\n")
    assert AgentConfig.parse(path).owner == "from_url"  # the url wins, as for agent
    # an MQTT agent may name itself its owner (the same as naming none)
    assert AgentConfig.parse("mqtt://127.0.0.1:1?agent=a&owner=a").owner == "a"


@pytest.mark.parametrize(
    "config",
    [
        "local://plant?agent=a&owner=",
        "local://plant?agent=a&owner=no%20way",
        "local://plant?agent=a&owner=-dash",
        "local://plant?agent=a&owner=" + "x" * 129,
    ],
)
def test_a_bad_owner_is_a_value_error_naming_it(config: str) -> None:
    with pytest.raises(ValueError, match=r"the owner name in config 'local://plant' must be"):
        AgentConfig.parse(config)


def test_a_bad_owner_in_an_ini_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.ini"
    path.write_text("[agent]\nurl = local://plant\nowner = a/b\n")
    with pytest.raises(ValueError, match=r"the owner name in config '.*a\.ini' must be.*'a/b'"):
        AgentConfig.parse(path)


def test_an_owner_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="owner must be a str or None, got int"):
        AgentConfig.from_url("local://plant", owner=5)  # type: ignore[arg-type]


def test_an_mqtt_url_takes_an_owner() -> None:
    config = AgentConfig.parse("mqtt://127.0.0.1:1?agent=a&owner=acme")
    assert (config.agent_id, config.owner) == ("a", "acme")


def test_the_mqtt_settings_are_checked_once_per_client_and_follow_with_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings checked when the URL is parsed are the ones the first transport takes: its
    client reads the password file once, and with_agent() gives the new agent's client id. A
    later client of the same config checks them again (a renewed password file is read)."""
    import attrs

    from iotic_app.transports.mqtt import MqttTransport, _settings

    password_file = tmp_path / "pw"
    password_file.write_text("PW1secret\n")
    checked: list[str] = []
    real_from_config = _settings.MqttSettings.from_config.__func__  # type: ignore[attr-defined]

    def from_config(
        cls: type[_settings.MqttSettings], config: AgentConfig, client_id: str | None = None
    ) -> _settings.MqttSettings:
        checked.append(config.agent_id)
        return real_from_config(cls, config, client_id)  # type: ignore[no-any-return]

    reads: list[str] = []

    def counting_open(file: str, *args: object, **kwargs: object) -> object:
        if str(file) == str(password_file):
            reads.append(str(file))
        return open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(_settings.MqttSettings, "from_config", classmethod(from_config))
    monkeypatch.setattr(_settings, "open", counting_open, raising=False)
    url = f"mqtt://127.0.0.1:1?agent=a&username=u&password_file={password_file}"
    config = AgentConfig.parse(url)
    assert checked == ["a"]
    first_reads = len(reads)
    assert first_reads > 0  # the file was checked and read while the URL was parsed
    peer_config = config.with_agent("b")

    transport = MqttTransport(config)
    peer = MqttTransport(peer_config)
    assert checked == ["a"] and len(reads) == first_reads  # neither transport checked again
    assert (transport.settings.agent_id, transport.settings.client_id) == ("a", "a")
    assert (peer.settings.agent_id, peer.settings.client_id) == ("b", "b")
    assert peer.settings.password == transport.settings.password == "PW1secret"

    # a later client of the same config (a runner's, after a takeover) checks them again
    password_file.write_text("PW2renewed\n")
    later = MqttTransport(config)
    assert checked == ["a", "a"] and later.settings.password == "PW2renewed"
    # and so does one of a config changed otherwise
    changed = attrs.evolve(config, options={**config.options, "keepalive": "7"})
    assert MqttTransport(changed).settings.keepalive == 7
    assert checked == ["a", "a", "a"]
    assert peer_config == AgentConfig.parse(url.replace("agent=a", "agent=b"))


# --- passwords never shown: URLs parsed once, errors and reprs built from the parts ----------

_PASSWORD_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(
    list("/?#@:%[]&=+;\\ ")
)
passwords = st.text(_PASSWORD_CHARS, min_size=8, max_size=24).filter(lambda p: p.strip() == p)


def _texts_of(config: AgentConfig) -> list[str]:
    return [repr(config), str(config), config.url, repr(dict(config.options))]


def _assert_hidden(password: str, *texts: str) -> None:
    forms = {password, quote(password, safe=""), quote(password)}
    for text in texts:
        for form in forms:
            assert form not in text, f"password {password!r} shown in {text!r}"


def _bad_urls(user_pw: str) -> list[str]:
    return [
        f"mqtt://{user_pw}@127.0.0.1:99999?agent=a",
        f"mqtt://{user_pw}@127.0.0.1:port?agent=a",
        f"mqtt://{user_pw}@127.0.0.1:0",
        f"gopher://{user_pw}@127.0.0.1:1883?agent=a",
        f"mqttx://{user_pw}@127.0.0.1?agent=a",
        f"mqtt://{user_pw}@127.0.0.1:1883?agent=a&colour=red",
        f"mqtt://{user_pw}@127.0.0.1:1883?agent=a&keepalive=70000",
        f"mqtt://{user_pw}@127.0.0.1:1883?agent=a&protocol=9",
        f"mqtt://{user_pw}@127.0.0.1:1883?agent=no%20way",
        f"mqtt://{user_pw}@127.0.0.1:1883/path?agent=a",
        f"mqtt://{user_pw}@127.0.0.1:1883?agent=a#frag",
        f"mqtt://{user_pw}@127.0.0.1:1883?agent=a&ca_file=/nonexistent/ca.pem",
        f"mqtt://{user_pw}@ho%20st?agent=a",
        f"mqtt://{user_pw}@?agent=a",
        f"local://{user_pw}@plant?agent=a",
        f"mqtts://{user_pw}@127.0.0.1:1883?agent=a&password_file=/nonexistent/pw",
    ]


def _errors(config: object) -> list[str]:
    """The messages of the errors AgentConfig.parse and Client raise for *config* (or texts)."""
    texts = []
    for make in (AgentConfig.parse, Client):
        try:
            made = make(config)  # type: ignore[arg-type]
        except (ValueError, TypeError, OSError) as exc:
            texts.append(str(exc))
            texts.append(repr(exc))
        else:
            texts.append(repr(made))
            if isinstance(made, AgentConfig):
                texts.extend(_texts_of(made))
    return texts


# A password is looked for in what the same configs give with a neutral password: one that is
# a piece of that text anyway ("cert_fil", which hypothesis takes from the code) proves nothing.
NEUTRAL = "Zq7Xw3Vb9"


def _check_hidden(password: str, texts_for: Callable[[str], list[str]]) -> None:
    baseline = "\n".join(texts_for(NEUTRAL))
    forms = {password, quote(password, safe=""), quote(password)}
    assume(not any(form in baseline for form in forms))
    _assert_hidden(password, *texts_for(password))


def _url_texts(password: str) -> list[str]:
    texts = []
    for user_pw in (f"user:{quote(password, safe='')}", f"user:{password}"):
        for url in _bad_urls(user_pw):
            texts.extend(_errors(url))
    query = f"mqtt://127.0.0.1?agent=a&password={quote(password, safe='')}"
    for url in (query, query + "&colour=red", query + "&keepalive=0", query.replace("a&", "&")):
        texts.extend(_errors(url))
    raw_query = f"mqtt://user@127.0.0.1?agent=a&password={password}&keepalive=0"
    for text in (
        raw_query,
        f"mqtt:/user:{password}@127.0.0.1:1883?agent=a",
        f"user:{password}@127.0.0.1:1883",
        f"127.0.0.1:1883?agent=a&password={password}",
        f"mqtt://user:{password}@127.0.0.1:1883".encode(),
    ):
        texts.extend(_errors(text))
    return texts


@settings(max_examples=150, deadline=None)
@given(password=passwords)
def test_no_password_in_any_error_or_repr_from_a_url(password: str) -> None:
    _check_hidden(password, _url_texts)


def _ini_texts(folder: Path, password: str) -> list[str]:
    encoded = quote(password, safe="")
    files = [
        f"[agent]\nurl = mqtt://127.0.0.1\nagent = a\npassword = {password}\ncolour = red\n",
        f"[agent]\nurl = mqtt://127.0.0.1:99999\nagent = a\npassword = {password}\n",
        f"[agent]\nurl = mqtt://user:{encoded}@127.0.0.1:99999\nagent = a\n",
        f"[agent]\nurl = mqtt://user:{password}@127.0.0.1:1883?colour=red\n",
        f"[agent]\nurl = mqtt://127.0.0.1\npassword = {password}\nkeepalive = 70000\n",
        f"password = {password}\n[agent]\nurl = mqtt://127.0.0.1\n",
        f"[agent]\nurl = mqtt://127.0.0.1\n{password}\n",
        f"[agent]\nurl = mqtt://127.0.0.1\npassword = {password}\npassword = {password}\n",
        f"[agent]\nurl = mqtt://127.0.0.1\npassword = {password}\n",
        f"[agent]\nurl = mqtt://127.0.0.1\nusername = u\npassword = x\nnot a line {password}\n",
    ]
    texts = []
    for n, text in enumerate(files):
        path = folder / f"{n}.ini"
        path.write_text(text, encoding="utf-8")
        texts.extend(_errors(path))
    return texts


@settings(max_examples=60, deadline=None)
@given(password=passwords)
def test_no_password_in_any_error_or_repr_from_an_ini_file(
    tmp_path_factory: pytest.TempPathFactory, password: str
) -> None:
    folder = tmp_path_factory.mktemp("ini")
    _check_hidden(password, lambda pw: _ini_texts(folder, pw))


@pytest.mark.parametrize(
    "password", ["pa/ss", "pa?ss", "pa#ss", "p@ss", "p@s/s?w#rd", "1883?x", "::", "ü/ß#€"]
)
def test_a_raw_password_is_accepted_where_the_url_reads_only_one_way(password: str) -> None:
    config = AgentConfig.parse(f"mqtt://user:{password}@127.0.0.1:1884?agent=a")
    assert (config.space, config.agent_id) == ("127.0.0.1:1884", "a")
    assert (config.options["username"], config.options["password"]) == ("user", password)
    encoded = AgentConfig.parse(f"mqtt://user:{quote(password, safe='')}@127.0.0.1:1884?agent=a")
    assert encoded == config
    _assert_hidden(password, *_texts_of(config))


# --- MQTT settings fail where the client, runner or App is made, naming the option ----------


def _made_by_each(config: str) -> list[Callable[[], object]]:
    from iotic_app import App, ThingRunner

    return [
        lambda: AgentConfig.parse(config),
        lambda: Client(config),
        lambda: ThingRunner(config=config),
        lambda: App(config=config),
    ]


def _pem(*paths: Path) -> bytes:
    return b"".join(path.read_bytes() for path in paths)


@pytest.fixture
def tls_dir(tmp_path: Path, tls_files: TlsFiles) -> Path:
    from cryptography.hazmat.primitives import serialization

    (tmp_path / "junk.pem").write_text("not a certificate\n")
    (tmp_path / "both.pem").write_bytes(_pem(tls_files.cert_file, tls_files.key_file))
    key = serialization.load_pem_private_key(tls_files.key_file.read_bytes(), None)
    (tmp_path / "locked.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    return tmp_path


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("keepalive=70000", r"option 'keepalive'.* from 1 to 65535 .*MQTT.*got '70000'"),
        ("keepalive=0", r"option 'keepalive'.* from 1 to 65535 .*got '0'"),
        ("keepalive=soon", r"option 'keepalive'.* from 1 to 65535 .*got 'soon'"),
        (
            "connect_timeout=-1",
            r"'connect_timeout'.*positive integer from 1 to 3600 .*got '-1'",
        ),
        ("outbox_limit=lots", r"option 'outbox_limit'.*positive integer from 1 to .*got 'lots'"),
        ("protocol=4.2", r"option 'protocol'.*must be 5 or 3\.1\.1, got '4\.2'"),
        ("ca_file={d}/junk.pem", r"option 'ca_file'.*junk\.pem.* no PEM certificate"),
        ("ca_file={d}", r"option 'ca_file'.*cannot read .*Is a directory"),
        ("ca_file={d}/missing.pem", r"option 'ca_file'.*cannot read .*missing\.pem"),
        ("ca_file={ca}&cert_file={d}/junk.pem&key_file={key}", r"option 'cert_file'.*junk\.pem"),
        ("ca_file={ca}&cert_file={cert}", r"option 'cert_file'.*no private key.*key_file"),
        ("ca_file={ca}&key_file={key}", r"option 'key_file'.*needs 'cert_file'"),
        ("ca_file={ca}&cert_file={cert}&key_file={d}/junk.pem", r"option 'key_file'.*junk\.pem"),
        ("ca_file={ca}&cert_file={cert}&key_file={ca_key}", r"'cert_file'.*'key_file'.*match"),
        ("ca_file={ca}&cert_file={cert}&key_file={d}/locked.key", r"'key_file'.*encrypted"),
        ("password=x&password_file={ca}", r"both 'password' and 'password_file'"),
        ("password_file={d}/nope", r"option 'password_file'.*cannot read"),
    ],
)
def test_bad_mqtt_settings_fail_where_the_call_was_made(
    tls_dir: Path, tls_files: TlsFiles, query: str, words: str
) -> None:
    query = query.format(
        d=tls_dir,
        ca=tls_files.ca_file,
        cert=tls_files.cert_file,
        key=tls_files.key_file,
        ca_key=tls_files.ca_key_file,
    )
    for make in _made_by_each(f"mqtts://127.0.0.1?agent=a&{query}"):
        with pytest.raises(ValueError, match=words):
            make()


def test_a_client_certificate_needs_tls(tls_files: TlsFiles) -> None:
    config = (
        f"mqtt://127.0.0.1?agent=a&cert_file={tls_files.cert_file}&key_file={tls_files.key_file}"
    )
    for make in _made_by_each(config):
        with pytest.raises(ValueError, match=r"'cert_file'.*TLS.*mqtts://"):
            make()


def test_good_tls_files_pass(tls_dir: Path, tls_files: TlsFiles) -> None:
    ca = f"mqtts://127.0.0.1?agent=a&ca_file={tls_files.ca_file}"
    for config in (
        ca,
        f"{ca}&cert_file={tls_files.cert_file}&key_file={tls_files.key_file}",
        f"{ca}&cert_file={tls_dir / 'both.pem'}",  # certificate and key in one file
        f"mqtt://127.0.0.1?agent=a&ca_file={tls_files.ca_file}&cert_file={tls_dir / 'both.pem'}",
    ):
        for make in _made_by_each(config):
            make()


# --- text that may hold a password is never quoted; integer options have ranges -------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("mqtt:/alice:PW1secret@127.0.0.1:1883?agent=alice", r"'mqtt:/'.*'mqtt://'"),
        ("mqtt:alice:PW1secret@127.0.0.1:1883", r"'mqtt:'.*'mqtt://'"),
        ("alice:PW1secret@127.0.0.1:1883", "neither a URL"),
        ("127.0.0.1:1883?agent=a&password=PW1secret", "neither a URL"),
        ("alice@PW1secret", "neither a URL"),
    ],
)
def test_text_that_is_neither_a_url_nor_a_file_is_not_quoted(
    monkeypatch: pytest.MonkeyPatch, text: str, words: str
) -> None:
    monkeypatch.chdir(Path(__file__).parent)
    texts = _errors(text)
    monkeypatch.setenv(ENV_VAR, text)
    texts += _errors(None)
    assert len(texts) == 8
    for message in texts:
        assert re.search(words, message), message
        assert "may hold a password" in message
        assert "PW1secret" not in message


def test_a_plain_missing_path_is_still_quoted(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.ini"):
        AgentConfig.parse(str(tmp_path / "nope.ini"))


@pytest.mark.parametrize(
    "config", [b"mqtt://user:PW1secret@127.0.0.1:1883?agent=a", bytearray(b"PW1secret"), 4.5]
)
def test_a_config_of_another_type_is_named_by_its_type_only(config: object) -> None:
    for message in _errors(config):
        assert f"got {type(config).__name__}" in message
        assert "PW1secret" not in message


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("not a line p/ss?w#rd@x:y", "an unknown option on line 4"),
        ("pass word = PW1secret", "an unknown option on line 4"),
        ("colour.2 = red", "unknown option 'colour.2'"),
    ],
)
def test_an_ini_option_name_is_quoted_only_when_it_looks_like_one(
    tmp_path: Path, line: str, words: str
) -> None:
    path = tmp_path / "a.ini"
    path.write_text(f"[agent]\nurl = mqtt://127.0.0.1\npassword = PW1secret\n{line}\n")
    for message in _errors(path):
        assert words in message
        assert "p/ss" not in message and "PW1secret" not in message


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("agent=a&sp%20ace%40PW1secret=1", "an unknown option in the query"),
        ("password=PW1secret&extra=1", r"unknown option after 'password'.*'&'.*%26"),
        ("colour=red&password=PW1secret", "unknown option 'colour'"),
    ],
)
def test_a_query_option_name_is_quoted_only_when_it_cannot_be_part_of_a_password(
    query: str, words: str
) -> None:
    for message in _errors(f"mqtt://alice@127.0.0.1?{query}"):
        assert re.search(words, message), message
        assert "PW1secret" not in message
        assert "extra" not in message


@pytest.mark.parametrize(
    "option", ["connect_timeout", "replay_window", "keepalive", "outbox_limit", "queue_limit"]
)
@pytest.mark.parametrize("value", [str(10**400), "9" * 5000, "10000000000", "-1", "lots"])
def test_integer_options_have_a_range_named_in_the_error(option: str, value: str) -> None:
    scheme = "local://" if option == "queue_limit" else "mqtt://127.0.0.1"
    for message in _errors(f"{scheme}?agent=a&{option}={value}"):
        assert re.search(rf"option '{option}'.* from \d+ to \d+", message), message
        assert len(message) < 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("connect_timeout=3600", ("connect_timeout", 3600.0)),
        ("replay_window=0", ("replay_window", 0.0)),
        ("replay_window=86400", ("replay_window", 86400.0)),
        ("outbox_limit=1000000000", ("outbox_limit", 10**9)),
    ],
)
def test_integer_options_at_the_ends_of_their_range(
    query: str, expected: tuple[str, float]
) -> None:
    from iotic_app.transports.mqtt._settings import MqttSettings

    settings_ = MqttSettings.from_config(AgentConfig.parse(f"mqtt://127.0.0.1?agent=a&{query}"))
    assert getattr(settings_, expected[0]) == expected[1]


@pytest.mark.parametrize("port", ["1" * 5000, "9" * 30])
def test_a_huge_port_is_a_value_error_naming_the_port(port: str) -> None:
    for message in _errors(f"mqtt://127.0.0.1:{port}?agent=a"):
        assert "the port must be 1-65535" in message
        assert len(message) < 400


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("mqtt://127.0.0.1?agent=a&password=PW1secret", r"password.*needs a user name"),
        ("mqtt://127.0.0.1?agent=a&password_file={pw}", r"password.*needs a user name"),
        ("mqtt://127.0.0.1?agent=a&outbox=", r"option 'outbox'.*folder.*got ''"),
        ("mqtt://127.0.0.1?agent=a&username=", r"option 'username'.*empty"),
    ],
)
def test_a_password_needs_a_user_and_empty_values_are_refused(
    tmp_path: Path, config: str, words: str
) -> None:
    (tmp_path / "pw").write_text("PW1secret\n")
    for message in _errors(config.format(pw=tmp_path / "pw")):
        assert re.search(words, message), message
        assert "PW1secret" not in message


def test_the_checked_mqtt_settings_are_not_an_attrs_field_of_the_config() -> None:
    """A config's fields are its public ones, so attrs.asdict/astuple (a config logged as a
    dict) never show the password the checked MQTT settings hold."""
    import attrs

    config = AgentConfig.parse("mqtt://u:hunter2@127.0.0.1:1?agent=a")
    assert [f.name for f in attrs.fields(AgentConfig)] == [
        "url",
        "scheme",
        "space",
        "agent_id",
        "options",
        "source",
        "lang",
        "owner",
    ]
    assert "hunter2" not in str(attrs.asdict(config))
    assert "hunter2" not in str(attrs.astuple(config))
    assert "hunter2" not in repr(config.with_agent("b"))
    import gc

    from iotic_app import _config_mqtt

    key = id(config)
    assert key in _config_mqtt._CHECKED
    del config
    gc.collect()
    assert key not in _config_mqtt._CHECKED  # a config's checked settings go with it
