"""The pytest plugin (registered through the `pytest11` entry point).

One server per test session (per xdist worker), seeded once; every test starts from that baseline.
Seed your own baseline with the `clarifai_seed_file` ini key, the `--clarifai-seed FILE` option, or by
overriding the session-scoped `clarifai_seed` fixture (a dict or a path).
The default identity (`clarifai_metadata`, `clarifai_app`) is the seed's first user's first PAT and
that user's first app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2_grpc

from fake_clarifai.seed import DEFAULT_SEED, SeedSource, read_seed
from fake_clarifai.server import FakeClarifai, Metadata


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fake_clarifai")
    group.addoption(
        "--clarifai-seed",
        dest="clarifai_seed",
        default=None,
        help="JSON seed file for the fake Clarifai server's baseline state",
    )
    parser.addini("clarifai_seed_file", "JSON seed file for the fake Clarifai server's baseline state", default="")


@dataclass(frozen=True)
class DefaultIdentity:
    user_id: str
    app_id: str
    pat: str


def default_identity(source: SeedSource) -> DefaultIdentity:
    """The first user's first PAT and that user's first app, per the seed document."""
    document, _ = read_seed(source)
    user = document["users"][0]
    app = next(a for a in document.get("apps", []) if a["user_id"] == user["id"])
    return DefaultIdentity(user_id=user["id"], app_id=app["id"], pat=user["pats"][0])


@pytest.fixture(scope="session")
def clarifai_seed(pytestconfig: pytest.Config) -> SeedSource:
    """The baseline seed: --clarifai-seed, else the clarifai_seed_file ini key, else DEFAULT_SEED."""
    path = pytestconfig.getoption("clarifai_seed") or pytestconfig.getini("clarifai_seed_file")
    if path:
        return str(pytestconfig.rootpath / path) if not str(path).startswith("/") else str(path)
    return DEFAULT_SEED


@pytest.fixture(scope="session")
def clarifai_server(clarifai_seed: SeedSource) -> Iterator[FakeClarifai]:
    """The session's server, started once and seeded; use `clarifai_fake` in tests."""
    fake = FakeClarifai()
    fake.start()
    fake.load_seed(clarifai_seed)
    fake.save_baseline()
    yield fake
    fake.stop()


@pytest.fixture
def clarifai_fake(clarifai_server: FakeClarifai) -> FakeClarifai:
    """The fake, reset to the seeded baseline for this test."""
    clarifai_server.reset()
    return clarifai_server


@pytest.fixture(scope="session")
def clarifai_channel(clarifai_server: FakeClarifai) -> grpc.Channel:
    """A channel to the fake, made through `ClarifaiChannel.get_insecure_grpc_channel`."""
    return clarifai_server.channel()


@pytest.fixture(scope="session")
def _clarifai_session_stub(clarifai_channel: grpc.Channel) -> service_pb2_grpc.V2Stub:
    return service_pb2_grpc.V2Stub(clarifai_channel)


@pytest.fixture
def clarifai_stub(
    clarifai_fake: FakeClarifai, _clarifai_session_stub: service_pb2_grpc.V2Stub
) -> service_pb2_grpc.V2Stub:
    """A `V2Stub` on the fake; the fake is reset for this test."""
    return _clarifai_session_stub


@pytest.fixture(scope="session")
def clarifai_identity(clarifai_seed: SeedSource) -> DefaultIdentity:
    return default_identity(clarifai_seed)


@pytest.fixture
def clarifai_metadata(clarifai_fake: FakeClarifai, clarifai_identity: DefaultIdentity) -> Metadata:
    """`(("authorization", "Key <PAT>"),)` for the default user."""
    return FakeClarifai.metadata(clarifai_identity.pat)


@pytest.fixture
def clarifai_app(clarifai_fake: FakeClarifai, clarifai_identity: DefaultIdentity) -> resources_pb2.UserAppIDSet:
    """The default user's default app, as a `UserAppIDSet`."""
    return resources_pb2.UserAppIDSet(user_id=clarifai_identity.user_id, app_id=clarifai_identity.app_id)
