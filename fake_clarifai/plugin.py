"""The pytest plugin (registered through the `pytest11` entry point).

One server per test session (per xdist worker), seeded once; every test starts from that baseline.
Seed your own baseline with the `clarifai_seed_file` ini key, the `--clarifai-seed FILE` option, or by
overriding the session-scoped `clarifai_seed` fixture (a dict or a path).
The default identity (`clarifai_metadata`, `clarifai_app`) is the seed's first user's first PAT and
that user's first app.
Hypothesis tests take the session-scoped fixtures (`clarifai_server`, `clarifai_session_stub` or
`clarifai_session_inprocess_stub`, `clarifai_session_metadata`, `clarifai_session_app`) and isolate each
example with `with clarifai_server.isolated():`, so hypothesis' function-scoped-fixture check has nothing
to object to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2_grpc

from fake_clarifai.gateway import json_stub
from fake_clarifai.seed import DEFAULT_SEED, SeedError, SeedSource, read_seed
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
    """The first user's first PAT and that user's first app, per the (valid) seed document; `SeedError`
    naming what is missing when the seed has no such user, PAT or app."""
    document, name = read_seed(source)
    users = document.get("users") or []
    if not users:
        raise SeedError("users", "no user: the default identity is the first user", name)
    user = users[0]
    if not user.get("pats"):
        raise SeedError("users[0].pats", f"user '{user['id']}' has no PAT: the default identity needs one", name)
    app = next((a for a in document.get("apps") or [] if a["user_id"] == user["id"]), None)
    if app is None:
        raise SeedError("apps", f"user '{user['id']}' owns no app: the default identity is its first app", name)
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
    yield from _seeded_server(FakeClarifai(), clarifai_seed)


def _seeded_server(fake: FakeClarifai, seed: SeedSource) -> Iterator[FakeClarifai]:
    fake.start()
    fake.load_seed(seed)
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
def clarifai_session_stub(clarifai_channel: grpc.Channel) -> service_pb2_grpc.V2Stub:
    """A `V2Stub` on `clarifai_channel`, with no reset: for hypothesis tests, one
    `with clarifai_server.isolated():` block per example."""
    return service_pb2_grpc.V2Stub(clarifai_channel)


@pytest.fixture
def clarifai_stub(
    clarifai_fake: FakeClarifai, clarifai_session_stub: service_pb2_grpc.V2Stub
) -> service_pb2_grpc.V2Stub:
    """A `V2Stub` on the fake; the fake is reset for this test."""
    return clarifai_session_stub


@pytest.fixture(scope="session")
def clarifai_session_inprocess_stub(clarifai_server: FakeClarifai) -> Iterator[service_pb2_grpc.V2Stub]:
    """A `V2Stub` over `clarifai_server.inprocess_channel()` (no socket; same wire), with no reset."""
    channel = clarifai_server.inprocess_channel()
    yield service_pb2_grpc.V2Stub(channel)
    channel.close()


@pytest.fixture
def clarifai_inprocess_stub(
    clarifai_fake: FakeClarifai, clarifai_session_inprocess_stub: service_pb2_grpc.V2Stub
) -> service_pb2_grpc.V2Stub:
    """Like `clarifai_stub`, over the in-process channel; the fake is reset for this test."""
    return clarifai_session_inprocess_stub


@pytest.fixture(scope="session")
def clarifai_identity(clarifai_seed: SeedSource) -> DefaultIdentity:
    return default_identity(clarifai_seed)


@pytest.fixture(scope="session")
def clarifai_session_metadata(clarifai_identity: DefaultIdentity) -> Metadata:
    """`(("authorization", "Key <PAT>"),)` for the default user, session-scoped (no reset)."""
    return FakeClarifai.metadata(clarifai_identity.pat)


@pytest.fixture
def clarifai_metadata(clarifai_fake: FakeClarifai, clarifai_session_metadata: Metadata) -> Metadata:
    """`(("authorization", "Key <PAT>"),)` for the default user."""
    return clarifai_session_metadata


@pytest.fixture(scope="session")
def clarifai_session_app(clarifai_identity: DefaultIdentity) -> resources_pb2.UserAppIDSet:
    """The default user's default app, as a `UserAppIDSet`, session-scoped (no reset)."""
    return resources_pb2.UserAppIDSet(user_id=clarifai_identity.user_id, app_id=clarifai_identity.app_id)


@pytest.fixture
def clarifai_app(
    clarifai_fake: FakeClarifai, clarifai_session_app: resources_pb2.UserAppIDSet
) -> resources_pb2.UserAppIDSet:
    """The default user's default app, as a `UserAppIDSet`."""
    return clarifai_session_app


@pytest.fixture(scope="session")
def _clarifai_session_json_stub(clarifai_server: FakeClarifai) -> service_pb2_grpc.V2Stub:
    pytest.importorskip("requests", reason="clarifai_json_stub needs requests: pip install 'fake-clarifai[json]'")
    return json_stub(clarifai_server.start_http())


@pytest.fixture
def clarifai_json_stub(
    clarifai_fake: FakeClarifai, _clarifai_session_json_stub: service_pb2_grpc.V2Stub
) -> service_pb2_grpc.V2Stub:
    """A `V2Stub` over `ClarifaiChannel.get_json_channel(base_url=...)` to the fake's JSON/HTTP gateway (started
    on first use); the same fake and state as `clarifai_stub`, reset for this test.
    Needs `requests` (the `json` extra): skipped without it."""
    return _clarifai_session_json_stub


@pytest.fixture
def clarifai_aio_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop for this test, closed after it."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def clarifai_aio_stub(
    clarifai_fake: FakeClarifai, clarifai_aio_loop: asyncio.AbstractEventLoop
) -> Iterator[service_pb2_grpc.V2Stub]:
    """A `grpc.aio` `V2Stub` (`get_aio_insecure_grpc_channel`) on the fake, reset for this test.

    A grpc.aio channel belongs to the event loop it was made in: drive this stub with
    `clarifai_aio_loop.run_until_complete(...)` (not `asyncio.run`, which makes a new loop). With an async
    test framework, make your own channel inside the test's loop: `clarifai_fake.aio_channel()`.
    """

    async def open_stub() -> tuple[grpc.aio.Channel, service_pb2_grpc.V2Stub]:
        channel = clarifai_fake.aio_channel()
        return channel, service_pb2_grpc.V2Stub(channel)

    channel, stub = clarifai_aio_loop.run_until_complete(open_stub())
    yield stub
    clarifai_aio_loop.run_until_complete(channel.close())


@pytest.fixture(scope="session")
def clarifai_tls_server(clarifai_seed: SeedSource) -> Iterator[FakeClarifai]:
    """A second session server that serves gRPC over TLS (throwaway CA by trustme), seeded like
    `clarifai_server` but with its own state; use `clarifai_tls_fake` in tests."""
    yield from _seeded_server(FakeClarifai(tls=True), clarifai_seed)


@pytest.fixture
def clarifai_tls_fake(clarifai_tls_server: FakeClarifai) -> FakeClarifai:
    """The TLS fake, reset to the seeded baseline for this test.

    Code in a new process reaches it unmodified (`ClarifaiChannel.get_grpc_channel()`) with
    `env={**os.environ, **clarifai_tls_fake.tls_env()}`. In this process use `clarifai_tls_stub`: grpc reads
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once, when the process's first secure channel loads the default roots,
    so setting it here only works before any secure channel was made; the stub passes the CA explicitly.
    """
    clarifai_tls_server.reset()
    return clarifai_tls_server


@pytest.fixture
def clarifai_tls_stub(clarifai_tls_fake: FakeClarifai) -> service_pb2_grpc.V2Stub:
    """A `V2Stub` over `ClarifaiChannel.get_grpc_channel(base, root_certificates_path=<the fake's CA>)`."""
    return clarifai_tls_fake.stub()
