"""A Mosquitto broker for tests: started on a free loopback port, killed and restarted at will."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import attrs

__all__ = ["Broker", "BrokerError", "TlsFiles", "find_mosquitto", "free_port", "make_test_ca"]

HOST = "127.0.0.1"


class BrokerError(RuntimeError):
    """The test broker did not start."""


def find_mosquitto() -> str | None:
    """Return the path of the mosquitto binary, or None when it is not installed."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@attrs.frozen
class TlsFiles:
    """A test CA and a server certificate for 127.0.0.1/localhost, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    ca_key_file: Path


def make_test_ca(directory: Path) -> TlsFiles:
    """Make a throwaway CA and a server certificate signed by it, in *directory*.

    Args:
        directory: Where to write ``ca.pem``, ``ca.key``, ``server.pem`` and ``server.key``.

    Returns:
        The files' paths.
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=2)

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iotic_app test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(
        ca_file=directory / "ca.pem",
        cert_file=directory / "server.pem",
        key_file=directory / "server.key",
        ca_key_file=directory / "ca.key",
    )
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    write_key(ca_key, files.ca_key_file)
    write_key(server_key, files.key_file)
    return files


class Broker:
    """One Mosquitto process on 127.0.0.1, with persistence in *directory*.

    ``start()`` waits until the port accepts connections; ``kill()`` sends SIGKILL; ``restart()``
    starts it again on the same port(s) with the same persistence file. ``close()`` always kills
    it. With *tls*, a second listener (``tls_port``) speaks TLS with that server certificate
    (and, with *require_certificate*, accepts only clients with a certificate the CA signed).
    With *passwords* (``{user: password}``) anonymous clients are refused; *acl* is the text of an
    ACL file (Mosquitto syntax). With *stock*, the configuration is what a user who installs
    Mosquitto and adds a listener runs: the listener, anonymous access and nothing tuned (no
    persistence, Mosquitto's default queue and in-flight limits), so the defaults' limits show.
    *port* is the plain listener's port (default: a free one); *extra* are more lines of
    ``mosquitto.conf`` (``max_keepalive 2``, say), after the others.
    """

    def __init__(
        self,
        directory: Path,
        *,
        tls: TlsFiles | None = None,
        passwords: dict[str, str] | None = None,
        acl: str | None = None,
        binary: str | None = None,
        stock: bool = False,
        require_certificate: bool = False,
        port: int | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        found = binary or find_mosquitto()
        if found is None:
            raise BrokerError("no mosquitto binary found (apt-get install mosquitto)")
        self.binary = found
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port() if port is None else port
        self.tls_port = free_port() if tls is not None else None
        self.tls = tls
        self.stock = stock
        self.require_certificate = require_certificate
        self.process: subprocess.Popen[bytes] | None = None
        self.log_file = directory / "mosquitto.log"
        self.config_file = directory / "mosquitto.conf"
        self._write_config(passwords, acl)
        if extra:
            with self.config_file.open("a") as config:
                config.write("\n".join(extra) + "\n")

    @property
    def url(self) -> str:
        """``mqtt://127.0.0.1:PORT`` of the plain listener."""
        return f"mqtt://{HOST}:{self.port}"

    @property
    def tls_url(self) -> str:
        """``mqtts://127.0.0.1:PORT`` of the TLS listener."""
        if self.tls_port is None:
            raise BrokerError("this broker has no TLS listener")
        return f"mqtts://{HOST}:{self.tls_port}"

    def _write_config(self, passwords: dict[str, str] | None, acl: str | None) -> None:
        # Run as whoever runs the tests (as root, mosquitto would switch to "mosquitto").
        user = f"user {getpass.getuser()}"
        if self.stock:
            if self.tls is not None or passwords is not None or acl is not None:
                raise BrokerError("a stock broker has one plain listener and nothing else")
            lines = [user, f"log_dest file {self.log_file}", f"listener {self.port} {HOST}"]
            self.config_file.write_text("\n".join([*lines, "allow_anonymous true"]) + "\n")
            return
        lines = [
            user,
            "per_listener_settings false",
            "persistence true",
            f"persistence_location {self.directory}/",
            "persistence_file broker.db",
            "autosave_interval 1",
            f"log_dest file {self.log_file}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "set_tcp_nodelay true",
            "max_queued_messages 1000000",
            "max_inflight_messages 0",
            "persistent_client_expiration 1h",
            f"listener {self.port} {HOST}",
        ]
        if self.tls is not None:
            lines += [
                f"listener {self.tls_port} {HOST}",
                f"cafile {self.tls.ca_file}",
                f"certfile {self.tls.cert_file}",
                f"keyfile {self.tls.key_file}",
            ]
            if self.require_certificate:  # clients must show a certificate signed by the CA
                lines.append("require_certificate true")
        if passwords is not None:
            password_file = self.directory / "passwords"
            password_file.write_text("")
            for user, password in passwords.items():
                subprocess.run(
                    ["mosquitto_passwd", "-b", str(password_file), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        if acl is not None:
            acl_file = self.directory / "acl"
            acl_file.write_text(acl)
            lines.append(f"acl_file {acl_file}")
        self.config_file.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10.0) -> None:
        """Start mosquitto and wait until every listener accepts connections.

        Raises:
            BrokerError: it exited or did not listen within *timeout* seconds.
        """
        if self.process is not None and self.process.poll() is None:
            return
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        ports = [self.port] + ([self.tls_port] if self.tls_port is not None else [])
        deadline = time.monotonic() + timeout
        for port in ports:
            while True:
                if self.process.poll() is not None:
                    err = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise BrokerError(f"mosquitto exited with {self.process.returncode}: {err}")
                try:
                    with socket.create_connection((HOST, port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        self.kill()
                        raise BrokerError(
                            f"mosquitto did not listen on {port} in {timeout} s"
                        ) from None
                    time.sleep(0.005)

    def kill(self) -> None:
        """SIGKILL the broker (no clean shutdown, no final save) and reap it."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()

    def restart(self, timeout: float = 10.0) -> None:
        """Kill the broker if it runs, then start it again on the same port(s)."""
        self.kill()
        self.start(timeout)

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        """Stop the broker for good."""
        self.kill()

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
