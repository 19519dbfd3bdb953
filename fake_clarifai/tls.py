"""TLS for the fake: a throwaway CA (made by `trustme`) and a server certificate for the loopback names.

Unmodified client code (`ClarifaiChannel.get_grpc_channel()`) reaches a TLS-serving fake through two
environment variables set *before the client process starts* (`client_env`): `CLARIFAI_GRPC_BASE` names
the fake and `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` makes the throwaway CA grpc's default trust root. grpc reads
that variable once per process, when the first secure channel loads the default roots; a process that
already made a secure channel, such as a test run, must pass the CA explicitly instead:
`ClarifaiChannel.get_grpc_channel(base, root_certificates_path=fake.ca_file)`.

`trustme` is imported only when a TLS server starts (install `fake-clarifai[tls]`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import grpc

LOOPBACK_NAMES = ("localhost", "127.0.0.1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::", "[::]")


@dataclass(frozen=True)
class ServerCertificate:
    """A server key and certificate chain, and the CA file that clients trust (in a directory of its own)."""

    ca_file: Path
    private_key_pem: bytes
    certificate_chain_pem: bytes

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self.private_key_pem, self.certificate_chain_pem)])

    def remove(self) -> None:
        """Delete the CA file and its directory."""
        shutil.rmtree(self.ca_file.parent, ignore_errors=True)


def certificate_names(host: str) -> tuple[str, ...]:
    """The names the certificate covers: the loopback names, and `host` when it is a specific address."""
    if host in WILDCARD_HOSTS or host in LOOPBACK_NAMES:
        return LOOPBACK_NAMES
    return (*LOOPBACK_NAMES, host)


def issue(names: Iterable[str]) -> ServerCertificate:
    """A new CA and a certificate for `names` signed by it; the CA PEM is written to a fresh temp dir."""
    try:
        import trustme
    except ImportError as error:
        raise RuntimeError("serving TLS needs trustme: pip install 'fake-clarifai[tls]'") from error
    ca = trustme.CA(organization_name="fake_clarifai throwaway CA")
    leaf = ca.issue_cert(*names)
    ca_file = Path(tempfile.mkdtemp(prefix="fake-clarifai-tls-")) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ServerCertificate(
        ca_file=ca_file,
        private_key_pem=leaf.private_key_pem.bytes(),
        certificate_chain_pem=b"".join(blob.bytes() for blob in leaf.cert_chain_pems),
    )


def client_base(host: str, port: int) -> str:
    """What `CLARIFAI_GRPC_BASE` should say: `localhost:<port>` for a loopback or wildcard bind."""
    if host in WILDCARD_HOSTS or host in LOOPBACK_NAMES:
        return f"localhost:{port}"
    return f"{host}:{port}"


def client_env(base: str, ca_file: Path) -> dict[str, str]:
    """The environment that makes unmodified `ClarifaiChannel.get_grpc_channel()` code reach the fake."""
    return {"CLARIFAI_GRPC_BASE": base, "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(ca_file)}
