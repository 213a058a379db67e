"""Outbound email: `rapport send-test-email` against a real SMTP server (aiosmtpd, run in this process).

The servers speak STARTTLS and implicit TLS with a certificate from a CA made for the test, and ask for AUTH PLAIN
or LOGIN. What arrives is read back with Python's `email` parser, the way a mail client would read it.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import Cli, free_port

USER = "mailer@rapport.example"
PASSWORD = "s3cret pass:word"
SENDER = "Rapport Tests <noreply@rapport.example>"
# Exit status of `send-test-email` for a failure that may pass (EX_TEMPFAIL); 1 is permanent.
TEMPORARY = 75
PERMANENT = 1


# ---------------------------------------------------------------------------------------------------------------
# Certificates: a CA and a server certificate for localhost / 127.0.0.1 signed by it.


@dataclass
class Certificates:
    ca_file: Path
    server_context: ssl.SSLContext


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Rapport e2e CA"))
        .issuer_name(_name("Rapport e2e CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain = folder / "server.pem"
    chain.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key = folder / "server.key"
    key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    return Certificates(ca_file, context)


# ---------------------------------------------------------------------------------------------------------------
# The SMTP server


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    raw: bytes
    login: bytes | None
    tls: bool

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass
class Mailbox:
    """aiosmtpd handler and authenticator: keeps what arrives; can answer DATA or RCPT with a failure instead."""

    messages: list[Received] = field(default_factory=list)
    auth_attempts: list[tuple[str, bytes]] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)  # answered (and consumed) before accepting
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                list(envelope.mail_options),
                envelope.original_content,
                session.auth_data.login if session.authenticated else None,
                server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 2.0.0 Ok: queued as E2E42"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.auth_attempts.append((mechanism, auth_data.login))
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


@dataclass
class SMTPServer:
    mailbox: Mailbox
    port: int
    url_scheme: str  # smtp or smtps

    def url(self, user: str = USER, password: str = PASSWORD, host: str = "localhost", **params: str) -> str:
        quote = lambda text: re.sub(r"[^A-Za-z0-9._~-]", lambda m: "%%%02X" % ord(m.group()), text)
        credentials = f"{quote(user)}:{quote(password)}@" if user else ""
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return f"{self.url_scheme}://{credentials}{host}:{self.port}" + (f"?{query}" if query else "")


@pytest.fixture
def start_smtp(certificates: Certificates):
    """Starts aiosmtpd servers for one test: `start(kind)` with kind starttls, tls (implicit) or plain."""
    controllers: list[Controller] = []

    def start(kind: str = "starttls", mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN"), **extra) -> SMTPServer:
        mailbox = Mailbox()
        port = free_port()
        excluded = [name for name in ("PLAIN", "LOGIN") if name not in mechanisms]
        options = dict(hostname="127.0.0.1", port=port, authenticator=mailbox.authenticate,
                       auth_exclude_mechanism=excluded, **extra)
        if kind == "starttls":
            options.update(tls_context=certificates.server_context, require_starttls=True)
        elif kind == "tls":
            # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; this connection is TLS from the start.
            options.update(ssl_context=certificates.server_context, auth_require_tls=False)
        else:
            options.update(auth_require_tls=False)
        controller = Controller(mailbox, **options)
        controller.start()
        controllers.append(controller)
        return SMTPServer(mailbox, port, "smtps" if kind == "tls" else "smtp")

    yield start
    for controller in controllers:
        controller.stop()


def send(cli: Cli, url: str, *args: str, ca_file: Path | None = None, to: str = "Grace <grace@example.com>",
         check: bool = True, env: dict[str, str] | None = None):
    environment = {"SMTP_URL": url, "SMTP_FROM": SENDER}
    if ca_file is not None:
        environment["SMTP_CA_FILE"] = str(ca_file)
    environment.update(env or {})
    return cli.run("send-test-email", "--to", to, *args, env=environment, check=check, timeout=60)


def error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert "Fatal error" not in lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------------------------
# Delivery

SUBJECT = "Grüße aus Köln — Ihre Meinung zählt: wie zufrieden waren Sie mit unserem Service? ✓ 顧客満足度"
LONG_LINE = "Lorem ipsum dolor sit amet, " * 12 + "äöü end"
TEXT = (
    "Hallo Grace,\n"
    ".this line starts with a dot\n"
    ".\n"
    "..two dots\n"
    f"{LONG_LINE}\n"
    "trailing spaces   \n"
    "= signs = and tabs\there\n"
    "Emoji 🎉 and 日本語."
)


def test_starttls_with_auth_plain_delivers_a_multipart_message_that_reads_back_exactly(
    cli: Cli, start_smtp, certificates
):
    server = start_smtp("starttls")
    result = send(cli, server.url(), "--subject", SUBJECT, "--text", TEXT,
                  "--unsubscribe-url", "https://rapport.example/unsubscribe/tok123", ca_file=certificates.ca_file)

    assert "250 2.0.0 Ok: queued as E2E42" in result.stdout
    [received] = server.mailbox.messages
    assert received.tls, "the message was sent before STARTTLS"
    assert received.login == USER.encode()
    assert server.mailbox.auth_attempts == [("PLAIN", USER.encode())]
    assert received.mail_from == "noreply@rapport.example"
    assert received.rcpt_tos == ["grace@example.com"]
    assert any(option.startswith("SIZE=") for option in received.mail_options), received.mail_options
    assert "SMTPUTF8" not in received.mail_options, "an ASCII message asked for SMTPUTF8"

    message = received.parsed()
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "Rapport Tests"
    assert message["From"].addresses[0].addr_spec == "noreply@rapport.example"
    assert message["To"].addresses[0].addr_spec == "grace@example.com"
    assert message["MIME-Version"] == "1.0"
    assert message["List-Unsubscribe"] == "<https://rapport.example/unsubscribe/tok123>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    message_id = message["Message-ID"]
    assert re.fullmatch(r"<[0-9a-f]{32}@rapport\.example>", message_id), message_id
    assert f"sent {message_id}" in result.stdout
    assert email.utils.parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert not message.defects, message.defects

    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    plain = parts[0].get_content()
    assert plain.replace("\r\n", "\n") == TEXT
    assert LONG_LINE in plain
    html = parts[1].get_content()
    assert "<p>.this line starts with a dot</p>" in html
    assert "Emoji 🎉 and 日本語." in html

    # Every line on the wire is CRLF-terminated and within RFC 5322's 998 characters.
    lines = received.raw.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 998


def test_implicit_tls_with_auth_login_delivers_the_default_test_message(cli: Cli, start_smtp, certificates):
    server = start_smtp("tls", mechanisms=("LOGIN",))
    result = send(cli, server.url(), ca_file=certificates.ca_file, to="ada@example.com")

    assert "250 2.0.0" in result.stdout
    assert server.mailbox.auth_attempts == [("LOGIN", USER.encode())]
    [received] = server.mailbox.messages
    assert received.tls
    message = received.parsed()
    assert message["Subject"] == "Rapport test email"
    assert message.get_body(("plain",)).get_content().startswith("This is a test message from Rapport")
    assert message["List-Unsubscribe"] is None


def test_smtp_url_and_from_can_be_given_on_the_command_line(cli: Cli, start_smtp, certificates):
    server = start_smtp("starttls")
    url = server.url(host="127.0.0.1", ca_file=str(certificates.ca_file))
    result = cli.run("send-test-email", "--to", "grace@example.com", "--smtp-url", url,
                     "--from", "Ops <ops@rapport.example>", timeout=60)
    assert "250" in result.stdout
    [received] = server.mailbox.messages
    assert received.mail_from == "ops@rapport.example"


def test_an_address_that_is_not_ascii_is_sent_with_smtputf8(cli: Cli, start_smtp, certificates):
    server = start_smtp("starttls")
    send(cli, server.url(), ca_file=certificates.ca_file, to="José <josé@example.com>")
    [received] = server.mailbox.messages
    assert received.rcpt_tos == ["josé@example.com"]
    assert "SMTPUTF8" in received.mail_options, received.mail_options
    assert "BODY=8BITMIME" in received.mail_options, "aiosmtpd offers 8BITMIME; the UTF-8 header needs it"


def test_an_address_that_is_not_ascii_fails_clearly_without_smtputf8(cli: Cli, start_smtp, certificates):
    server = start_smtp("starttls", enable_SMTPUTF8=False)
    result = send(cli, server.url(), ca_file=certificates.ca_file, to="josé@example.com", check=False)
    assert result.returncode == PERMANENT, result.stderr
    assert "SMTPUTF8" in error_line(result)
    assert server.mailbox.messages == []


# ---------------------------------------------------------------------------------------------------------------
# Failures: permanent (exit 1) or temporary (exit 75), each on one line with the server's code


def test_wrong_password_is_a_permanent_535(cli: Cli, start_smtp, certificates):
    server = start_smtp("starttls")
    result = send(cli, server.url(password="wrong"), ca_file=certificates.ca_file, check=False)
    assert result.returncode == PERMANENT, result.stderr
    line = error_line(result)
    assert "535" in line and "permanent" in line, line
    assert "wrong" not in line
    assert server.mailbox.messages == []


def test_451_at_end_of_data_is_reported_as_temporary(cli: Cli, start_smtp, certificates):
    server = start_smtp("starttls")
    server.mailbox.data_replies.append("451 4.3.0 Try again later")
    result = send(cli, server.url(), ca_file=certificates.ca_file, check=False)
    assert result.returncode == TEMPORARY, result.stderr
    line = error_line(result)
    assert "451 4.3.0 Try again later" in line and "temporary" in line, line

    # The next attempt goes through.
    retry = send(cli, server.url(), ca_file=certificates.ca_file)
    assert "250" in retry.stdout
    assert len(server.mailbox.messages) == 1


def test_550_for_the_recipient_is_permanent(cli: Cli, start_smtp, certificates):
    server = start_smtp("starttls")
    server.mailbox.rcpt_replies["nobody@example.com"] = "550 5.1.1 <nobody@example.com>: Recipient address rejected"
    result = send(cli, server.url(), ca_file=certificates.ca_file, to="nobody@example.com", check=False)
    assert result.returncode == PERMANENT, result.stderr
    line = error_line(result)
    assert "550 5.1.1" in line and "RCPT TO" in line and "permanent" in line, line
    assert server.mailbox.messages == []


def test_no_server_listening_is_a_temporary_connection_error(cli: Cli):
    url = f"smtp://127.0.0.1:{free_port()}?security=starttls"
    result = send(cli, url, check=False)
    assert result.returncode == TEMPORARY, result.stderr
    line = error_line(result)
    assert "connect" in line and "temporary" in line, line


def test_a_server_that_never_greets_times_out_as_temporary(cli: Cli):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        url = f"smtp://127.0.0.1:{listener.getsockname()[1]}?security=starttls&command_timeout=1"
        result = send(cli, url, check=False)
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert result.returncode == TEMPORARY, result.stderr
    line = error_line(result)
    assert "timeout" in line and "greeting" in line and "temporary" in line, line


def test_credentials_are_not_sent_over_a_plain_connection(cli: Cli, start_smtp):
    server = start_smtp("plain")
    result = send(cli, server.url(security="none"), check=False)
    assert result.returncode == PERMANENT, result.stderr
    line = error_line(result)
    assert "unencrypted" in line, line
    assert server.mailbox.auth_attempts == []
    assert server.mailbox.messages == []

    # Allowed explicitly (a local test server), the same settings deliver.
    allowed = send(cli, server.url(security="none", allow_insecure_auth="true"))
    assert "250" in allowed.stdout
    [received] = server.mailbox.messages
    assert not received.tls


def test_required_starttls_fails_when_the_server_does_not_offer_it(cli: Cli, start_smtp):
    server = start_smtp("plain")
    result = send(cli, server.url(), check=False)
    assert result.returncode == PERMANENT, result.stderr
    assert "STARTTLS" in error_line(result)
    assert server.mailbox.messages == []


def test_a_certificate_from_an_unknown_ca_is_refused(cli: Cli, start_smtp):
    server = start_smtp("tls")
    result = send(cli, server.url(), check=False)  # the system roots do not know the test CA
    assert result.returncode == PERMANENT, result.stderr
    assert "certificate" in error_line(result)
    assert server.mailbox.auth_attempts == []


def test_insecure_skip_verify_accepts_any_certificate(cli: Cli, start_smtp):
    server = start_smtp("tls")
    result = send(cli, server.url(insecure_skip_verify="true"))
    assert "250" in result.stdout
    [received] = server.mailbox.messages
    assert received.tls


def test_a_message_over_the_servers_size_limit_is_refused_before_data(cli: Cli, start_smtp, certificates):
    server = start_smtp("starttls", data_size_limit=300)
    result = send(cli, server.url(), ca_file=certificates.ca_file, check=False)
    assert result.returncode == PERMANENT, result.stderr
    assert "the server accepts at most 300" in error_line(result)
    assert server.mailbox.messages == []


# ---------------------------------------------------------------------------------------------------------------
# A scripted server, for replies aiosmtpd does not give


class ScriptedServer:
    """Accepts one connection and answers each command from a script of (expected command prefix, reply bytes);
    `<data>` reads the message up to the terminating "." line."""

    def __init__(self, greeting: bytes, script: list[tuple[str, bytes]]):
        self.greeting = greeting
        self.script = script
        self.commands: list[str] = []
        self.data = b""
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.settimeout(20)
            reader = connection.makefile("rb")
            connection.sendall(self.greeting)
            for expected, reply in self.script:
                if expected == "<data>":
                    lines = []
                    while (line := reader.readline()) not in (b".\r\n", b""):
                        lines.append(line)
                    self.data = b"".join(lines)
                else:
                    command = reader.readline().decode("utf-8", "replace").rstrip("\r\n")
                    self.commands.append(command)
                    if not command.upper().startswith(expected):
                        return
                connection.sendall(reply)
            reader.read()  # until the client closes

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5)


def test_multi_line_greeting_and_helo_after_ehlo_is_refused(cli: Cli):
    server = ScriptedServer(
        b"220-scripted.example first line\r\n220 scripted.example ready\r\n",
        [
            ("EHLO ", b"502 5.5.2 Error: command not recognized\r\n"),
            ("HELO ", b"250 scripted.example\r\n"),
            ("MAIL FROM:", b"250 2.1.0 Ok\r\n"),
            ("RCPT TO:", b"250 2.1.5 Ok\r\n"),
            ("DATA", b"354 End data with <CR><LF>.<CR><LF>\r\n"),
            ("<data>", b"250 2.0.0 Ok: queued as HELO1\r\n"),
            ("QUIT", b"221 2.0.0 Bye\r\n"),
        ],
    )
    try:
        result = send(cli, f"smtp://127.0.0.1:{server.port}?security=none", "--text", ".dot\nend")
    finally:
        server.close()
    assert "250 2.0.0 Ok: queued as HELO1" in result.stdout
    assert [command.split()[0] for command in server.commands] == ["EHLO", "HELO", "MAIL", "RCPT", "DATA", "QUIT"]
    # HELO offers no extensions, so MAIL FROM carries no SIZE.
    assert server.commands[2] == "MAIL FROM:<noreply@rapport.example>"
    assert server.commands[3] == "RCPT TO:<grace@example.com>"
    # On the wire the line that starts with "." is stuffed.
    assert b"\r\n..dot\r\n" in server.data


def test_plain_text_injected_after_the_starttls_reply_stops_the_send(cli: Cli):
    # RFC 3207 section 5: a reply smuggled in with the 220 would be read as if it came over TLS.
    server = ScriptedServer(
        b"220 scripted.example ESMTP\r\n",
        [
            ("EHLO ", b"250-scripted.example\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n"),
            ("STARTTLS", b"220 2.0.0 Ready to start TLS\r\n250-forged\r\n250 AUTH PLAIN\r\n"),
        ],
    )
    try:
        result = send(cli, f"smtp://mailer%40rapport.example:x@127.0.0.1:{server.port}?security=starttls", check=False)
    finally:
        server.close()
    assert result.returncode == TEMPORARY, result.stderr
    line = error_line(result)
    assert "STARTTLS" in line and "injection" in line, line
    assert server.commands == ["EHLO localhost", "STARTTLS"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SMTP_URL": "smtp://mail.example.com:99999"}, "SMTP_URL: port must be a number from 1 to 65535"),
        ({"SMTP_URL": "http://mail.example.com"}, "SMTP_URL: scheme must be smtp or smtps"),
        ({"SMTP_URL": "smtp://mail.example.com", "SMTP_FROM": ""}, "SMTP_FROM must be set with SMTP_URL"),
        ({"SMTP_FROM": "not an address"}, "SMTP_FROM: "),
        ({"SMTP_CA_FILE": "/nonexistent/ca.pem"}, "SMTP_CA_FILE: cannot read the CA certificate file"),
    ],
    ids=["port", "scheme", "no-from", "bad-from", "ca-file"],
)
@pytest.mark.parametrize("command", ["send-test-email", "serve"])
def test_bad_smtp_settings_stop_start_up_with_one_clear_line(
    cli: Cli, env: dict[str, str], expected: str, command: str
):
    environment = {"SMTP_URL": "smtp://mail.example.com", "SMTP_FROM": SENDER, **env}
    args = ("send-test-email", "--to", "a@example.com") if command == "send-test-email" else ("serve", "--port", "0")
    result = cli.run(*args, env=environment, check=False, timeout=30)
    assert result.returncode != 0, result.stdout
    assert expected in error_line(result)
