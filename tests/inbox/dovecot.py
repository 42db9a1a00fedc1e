"""A private dovecot IMAP server for the tests: its own config, mail and run directories under a
temporary directory, a free loopback port, plaintext logins from a passwd-file.

Nothing of the machine's dovecot service is used (no /etc/dovecot, no systemd unit): the test
starts ``dovecot -F -c <tmp>/dovecot.conf`` and stops it.  Messages are delivered with IMAP
APPEND, as a mail server's delivery agent would put them in the folder.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MISSING = (
    "dovecot is not installed: the inbox tests need a real IMAP server. "
    "Install it with `apt-get install -y dovecot-imapd` (no service needs to run)."
)

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = portal-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
protocol imap {{
  mail_max_userip_connections = 50
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
  default_fields = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Archive {{
    auto = create
  }}
  mailbox Portal {{
    auto = create
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Dovecot:
    root: Path
    port: int = 0
    users: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    host: str = "127.0.0.1"
    # With ``tls``: a self-signed certificate (no client trusts it), STARTTLS on ``port`` and
    # implicit TLS on ``tls_port``.
    tls: bool = False
    tls_port: int = 0

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if not os.path.exists(DOVECOT):
            raise RuntimeError(MISSING)
        if not self.port:
            self.port = free_port()
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # dovecot refuses mail access as root: mail belongs to an unprivileged account.
            owner = pwd.getpwnam("dovecot")
            uid, gid = owner.pw_uid, owner.pw_gid
            login_user, internal_user = "dovenull", "dovecot"
            internal_group = grp.getgrgid(gid).gr_name
        else:
            uid, gid = os.getuid(), os.getgid()
            login_user = internal_user = pwd.getpwuid(uid).pw_name
            internal_group = grp.getgrgid(gid).gr_name
        self._uid, self._gid = uid, gid
        self._write_users()
        ssl = "ssl = no"
        if self.tls:
            self.tls_port = self.tls_port or free_port()
            cert, key = self._self_signed()
            ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                tls_port=self.tls_port,
                ssl=ssl,
                uid=uid,
                gid=gid,
                login_user=login_user,
                internal_user=internal_user,
                internal_group=internal_group,
            )
        )
        for sub in ("mail", "home"):
            os.chown(self.root / sub, uid, gid)
        os.chmod(self.root, 0o755)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.process.poll() is not None:
                out = (
                    self.process.stdout.read().decode(errors="replace")
                    if self.process.stdout
                    else ""
                )
                raise RuntimeError(f"dovecot exited at start: {out}\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer on port {self.port}\n{self.log()}")

    def _self_signed(self) -> tuple[Path, Path]:
        from datetime import UTC, datetime, timedelta

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imap.test")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("imap.test")]), critical=False)
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = self.root / "cert.pem", self.root / "key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # --- accounts and mail -----------------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        self.users[user] = password
        if self.process is not None:
            self._write_users()

    def _write_users(self) -> None:
        lines = [f"{u}:{{PLAIN}}{p}::::::" for u, p in self.users.items()]
        (self.root / "users").write_text("\n".join(lines) + "\n")

    def client(self, user: str) -> IMAPClient:
        imap = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        imap.login(user, self.users[user])
        return imap

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver one message into ``folder`` (IMAP APPEND)."""
        with self.client(user) as imap:
            imap.append(folder, raw)

    def append_many(self, user: str, raws: list[bytes], folder: str = "INBOX") -> None:
        """Deliver many messages into ``folder`` over one connection (the benchmark's corpus)."""
        with self.client(user) as imap:
            for raw in raws:
                imap.append(folder, raw)

    def messages(self, user: str, folder: str = "INBOX") -> dict[int, dict]:
        """UID -> {"flags", "subject"} of what is in ``folder`` now."""
        with self.client(user) as imap:
            imap.select_folder(folder, readonly=True)
            uids = imap.search("ALL")
            data = imap.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
            return {
                uid: {
                    "flags": set(v[b"FLAGS"]),
                    "subject": v[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip(),
                }
                for uid, v in data.items()
            }

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as imap:
            return imap.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]

    def reset_folder(self, user: str, folder: str) -> None:
        """Delete and recreate ``folder``: a new UIDVALIDITY, UIDs start again at 1."""
        with self.client(user) as imap:
            imap.delete_folder(folder)
            imap.create_folder(folder)
