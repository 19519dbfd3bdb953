"""`FakeClarifai`: the emulator as a Python object — a real gRPC server plus the harness API."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import grpc
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2_grpc

from fake_clarifai import seed
from fake_clarifai.context import CallContext, Caller
from fake_clarifai.dump import dump_state
from fake_clarifai.errors import Code
from fake_clarifai.faults import Faults
from fake_clarifai.gateway import DEFAULT_MAX_MESSAGE_BYTES, Gateway, GatewayLimits
from fake_clarifai.ids import Clock, IdFactory, to_timestamp
from fake_clarifai.inprocess import InProcessChannel
from fake_clarifai.journal import DEFAULT_BYTE_LIMIT, DEFAULT_LIMIT, Journal
from fake_clarifai.records import new_concept, new_dataset, new_input
from fake_clarifai.services import datasets
from fake_clarifai.services.inputs import store_inputs
from fake_clarifai.services.task_work import apply_async_half
from fake_clarifai.store import AppState, FakeModel, FakeWorkflow, Predict, Snapshot, Store, Token
from fake_clarifai.tls import ServerCertificate, certificate_names, client_base, client_env, issue
from fake_clarifai.wire import FakeV2Servicer, handlers

Metadata = tuple[tuple[str, str], ...]

_REQ_ID_STREAM = 1 << 64  # mixed into the seed of the req_id generator, so it differs from the ids' one


def refuse_taken_port(host: str, port: int) -> None:
    """OSError in one line when another process listens on `host:port` (before gRPC logs its own lines)."""
    if port == 0:
        return
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a TIME_WAIT leftover is no conflict
        try:
            probe.bind(address)
        except OSError as error:
            raise OSError(error.errno, f"fake_clarifai cannot bind {host}:{port}: {error.strerror}") from None


class FakeClarifai:
    """An in-memory Clarifai API on a loopback gRPC port.

    >>> with FakeClarifai() as fake:
    ...     pat = fake.add_user("alice")
    ...     fake.add_app("alice", "main")
    ...     stub = fake.stub()

    Deterministic mode: `FakeClarifai(seed=42, clock=Clock(start=1_700_000_000))` draws every id the fake
    generates from a generator seeded with 42 and stamps `created_at`/`modified_at` from a manual clock
    (move it with `fake.clock.advance(seconds)`). Without a seed, ids are random `uuid4().hex`-shaped.
    `req_id`s come from a separate generator (seeded too), so reads, retries and failed calls never shift
    the resource ids.

    Harness: `fake.faults` (injected failures and delays), `fake.journal` (the newest `journal_limit`
    calls received, within `journal_byte_limit` bytes), `snapshot()`/`restore()`, `reset()`, `dump_state()`.

    Limits: a request over `max_message_bytes` (gRPC's default 4 MiB) is refused over gRPC
    (RESOURCE_EXHAUSTED) and over the JSON gateway (413); `gateway_limits` sets the gateway's others
    (`fake_clarifai.gateway.GatewayLimits`: connections, idle timeout, JSON depth).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int | None = None,
        clock: Clock | None = None,
        journal_limit: int = DEFAULT_LIMIT,
        journal_byte_limit: int = DEFAULT_BYTE_LIMIT,
        max_workers: int = 16,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        gateway_limits: GatewayLimits | None = None,
        tls: bool = False,
        http_port: int | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.tls = tls
        self._certificate: ServerCertificate | None = None
        self._http_port = http_port
        self._gateway: Gateway | None = None
        self._max_message_bytes = max_message_bytes
        self._gateway_limits = replace(gateway_limits or GatewayLimits(), max_body_bytes=max_message_bytes)
        self.store = Store(ids=IdFactory(seed), clock=clock or Clock())
        self.store.hosted_base = self.start_http  # inputs posted as bytes are served by the JSON/HTTP gateway
        self.faults = Faults()
        self.journal = Journal(journal_limit, journal_byte_limit)
        self.servicer = FakeV2Servicer(
            self.store,
            faults=self.faults,
            journal=self.journal,
            req_ids=IdFactory(None if seed is None else seed ^ _REQ_ID_STREAM),
        )
        self._max_workers = max_workers
        self._server: grpc.Server | None = None
        self._port: int | None = None
        self._channel: grpc.Channel | None = None
        self._baseline: Snapshot = self.store.snapshot()
        self._baseline_time = self.store.clock.now()
        self.starts = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeClarifai:
        if self._server is not None:
            return self
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="fake-clarifai"),
            options=[("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", self._max_message_bytes)],
        )
        server.add_generic_rpc_handlers(handlers(self.servicer))
        address = f"{self.host}:{self._requested_port}"
        refuse_taken_port(self.host, self._requested_port)
        if self.tls:
            self._certificate = issue(certificate_names(self.host))
            port = server.add_secure_port(address, self._certificate.server_credentials())
        else:
            port = server.add_insecure_port(address)
        if port == 0:
            self._release_certificate()
            raise OSError(f"fake_clarifai could not bind {address}")
        server.start()
        if self._http_port is not None:
            try:
                self.start_http(self._http_port)
            except OSError:
                server.stop(None).wait()
                self._release_certificate()
                raise
        self._server, self._port = server, port
        self.starts += 1
        return self

    def start_http(self, port: int = 0) -> str:
        """Serve the JSON/HTTP gateway (`fake_clarifai.gateway`) on `port` too; returns its base URL."""
        if self._gateway is None:
            refuse_taken_port(self.host, port)
            self._gateway = Gateway(self.servicer, self.host, port, self._gateway_limits)
        return self.http_url

    def stop(self, grace: float | None = None) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._server is not None:
            self._server.stop(grace).wait()
            self._server = None
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None
        self._release_certificate()

    def _release_certificate(self) -> None:
        if self._certificate is not None:
            self._certificate.remove()
            self._certificate = None

    def __enter__(self) -> FakeClarifai:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake is not started: call start()")
        return self._port

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def http_url(self) -> str:
        """The gateway's base URL, for `ClarifaiChannel.get_json_channel(base_url=...)`."""
        if self._gateway is None:
            raise RuntimeError("the JSON/HTTP gateway is not started: call start_http()")
        return f"http://{self.host}:{self._gateway.port}"

    @property
    def ca_file(self) -> str:
        """The PEM file of the throwaway CA that signed a TLS fake's certificate."""
        if self._certificate is None:
            raise RuntimeError("the fake is not serving TLS: FakeClarifai(tls=True).start()")
        return str(self._certificate.ca_file)

    @property
    def http_running(self) -> bool:
        return self._gateway is not None

    def sdk_env(self) -> dict[str, str]:
        """The environment the clarifai Python SDK reads (`CLARIFAI_API_BASE` with its scheme: http:// makes it
        dial plaintext, https:// TLS; and for TLS `CLARIFAI_ROOT_CERTIFICATES_PATH`, the throwaway CA)."""
        if not self.tls:
            return {"CLARIFAI_API_BASE": f"http://{self.address}"}
        base = f"https://{client_base(self.host, self.port)}"
        return {"CLARIFAI_API_BASE": base, "CLARIFAI_ROOT_CERTIFICATES_PATH": self.ca_file}

    def tls_env(self) -> dict[str, str]:
        """The environment that makes unmodified `ClarifaiChannel.get_grpc_channel()` code in a new process
        reach this TLS fake (`CLARIFAI_GRPC_BASE`, `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`)."""
        return client_env(client_base(self.host, self.port), self.ca_file)

    # -- clients -----------------------------------------------------------------------------
    def channel(self) -> grpc.Channel:
        """A channel made the way Clarifai's client makes one, shared: `get_insecure_grpc_channel`, or for
        a TLS fake `get_grpc_channel` with the throwaway CA passed explicitly."""
        if self._channel is None:
            if self.tls:
                base = client_base(self.host, self.port)
                self._channel = ClarifaiChannel.get_grpc_channel(base=base, root_certificates_path=self.ca_file)
            else:
                self._channel = ClarifaiChannel.get_insecure_grpc_channel(base=self.host, port=self.port)
        return self._channel

    def aio_channel(self) -> grpc.aio.Channel:
        """A new `grpc.aio` channel (`get_aio_insecure_grpc_channel`, or `get_aio_grpc_channel` for a TLS
        fake) bound to the running event loop; the caller closes it."""
        if self.tls:
            base = client_base(self.host, self.port)
            return ClarifaiChannel.get_aio_grpc_channel(base=base, root_certificates_path=self.ca_file)
        return ClarifaiChannel.get_aio_insecure_grpc_channel(base=self.host, port=self.port)

    def stub(self) -> service_pb2_grpc.V2Stub:
        return service_pb2_grpc.V2Stub(self.channel())

    def inprocess_channel(self) -> InProcessChannel:
        """A new `grpc.Channel` whose calls run in this process, straight through the same wire as the
        loopback server's (auth, faults, journal, errors as `grpc.RpcError`): for heavy property suites.
        Needs no `start()`. See `fake_clarifai.inprocess`."""
        return InProcessChannel(self.servicer)

    def inprocess_stub(self) -> service_pb2_grpc.V2Stub:
        """A `V2Stub` over a new `inprocess_channel()`."""
        return service_pb2_grpc.V2Stub(self.inprocess_channel())

    @staticmethod
    def metadata(token: str) -> Metadata:
        return (("authorization", f"Key {token}"),)

    @property
    def clock(self) -> Clock:
        """The fake's clock: `fake.clock.advance(5)` when it is manual (`Clock(start=...)`)."""
        return self.store.clock

    # -- isolation ---------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The whole state (and the id generator's position), for `restore()`. Not the clock or journal."""
        return self.store.snapshot()

    def restore(self, snapshot: Snapshot) -> None:
        self.store.restore(snapshot)

    def save_baseline(self) -> None:
        """Make the current state (and a manual clock's reading) the one `reset()` returns to."""
        self._baseline = self.store.snapshot()
        self._baseline_time = self.store.clock.now()

    def reset(self) -> None:
        """Return to the baseline (empty, or what `save_baseline()` last captured): state, id generator and
        a manual clock; clear the injected faults and the journal."""
        self.store.restore(self._baseline)
        if self.store.clock.is_manual:
            self.store.clock.set(self._baseline_time)
        self.faults.clear()
        self.journal.clear()

    @contextmanager
    def isolated(self) -> Iterator[FakeClarifai]:
        """A block that starts from the baseline and leaves no trace: `reset()` on entry; on exit (an
        exception too) the state, the id generator and a manual clock go back to what they were on entry.
        Faults and the journal belong to the block: cleared on entry and on exit. Blocks nest.

        For hypothesis: one block per example, on the session-scoped server (`clarifai_server`), so no
        example sees another's apps and tasks::

            @given(...)
            def test_it(clarifai_server, clarifai_session_stub, ...):
                with clarifai_server.isolated():
                    ...
        """
        outer, outer_time = self.store.snapshot(), self.store.clock.now()
        self.reset()
        try:
            yield self
        finally:
            self.store.restore(outer)
            if self.store.clock.is_manual:
                self.store.clock.set(outer_time)
            self.faults.clear()
            self.journal.clear()

    # -- the async half of PutTaskAssignments ----------------------------------------------------
    @contextmanager
    def hold_async(self) -> Iterator[FakeClarifai]:
        """A block in which PutTaskAssignments answers with its sync half only (the assignments' new states)
        and holds the async half (task annotation statuses, CONSENSUS settlement) until `settle()`, so a test
        can exercise code that polls. Effects still held when the block ends wait for `settle()` or the
        task's next PutTaskAssignments call."""
        before, self.store.hold_async = self.store.hold_async, True
        try:
            yield self
        finally:
            self.store.hold_async = before

    def settle(self) -> None:
        """Apply every task's held async half (see `hold_async`)."""
        with self.store.lock:
            for key in list(self.store.apps):
                app = self.store.app(*key)
                assert app is not None
                ctx = CallContext(self.store, Caller(app.user_id, ""), "settle", app)
                for task in app.changing_tasks(lambda task: bool(task.held_annotation_status or task.unsettled_inputs)):
                    apply_async_half(ctx, task)

    def dump_state(self) -> dict[str, Any]:
        """The whole store as plain data (`fake_clarifai.dump`): compare two of them, or print one."""
        return dump_state(self.store)

    # -- inspection -------------------------------------------------------------------------
    def task_assignments(self, user_id: str, app_id: str, task_id: str) -> dict[str, list[tuple[str, str]]]:
        """Who has which input of a task, without RPCs: worker -> [(input_id, state name)].

        Work handed out comes first, in the order it was handed out, then work a PARTITIONED or FULL task
        has dealt but not handed out yet (TASK_ASSIGNMENT_PENDING), in source order.
        """
        with self.store.lock:
            task = self._app(user_id, app_id, "task_assignments").tasks.get(task_id)
            if task is None:
                raise ValueError(f"no task {task_id!r} in {user_id}/{app_id}")
            workers = list(task.assignment_ids_by_worker)
            workers += [worker for worker in task.work.workers() if worker not in workers]
            pending = Code.Name(Code.TASK_ASSIGNMENT_PENDING)
            return {
                worker: [(a.input_id, Code.Name(a.state)) for a in task.of_worker(worker)]
                + [(input_id, pending) for input_id in task.work.inputs_of(worker)]
                for worker in workers
            }

    # -- seeding (what the public API cannot create) -----------------------------------------
    def load_seed(self, source: seed.SeedSource) -> None:
        """Apply a seed document or JSON file (format in `fake_clarifai.seed`); all or nothing."""
        seed.apply_seed(
            self.store,
            source,
            {
                "add_user": self.add_user,
                "add_app": self.add_app,
                "add_collaborator": self.add_collaborator,
                "add_api_key": self.add_api_key,
                "add_concept": self.add_concept,
                "add_input": self.add_input,
                "add_dataset": self.add_dataset,
                "add_model": self.add_model,
                "add_workflow": self.add_workflow,
            },
        )

    def add_user(self, user_id: str, pat: str | None = None, *, exist_ok: bool = True) -> str:
        """Create `user_id` if new (`exist_ok=False`: refuse one that exists) and give it a PAT (generated when
        not given); returns the PAT."""
        with self.store.lock:
            if user_id in self.store.users and not exist_ok:
                raise _refused("add_user", f"user {user_id!r} already exists", "user_id")
            token = pat or self.store.ids.new_id()
            self._claim_token(token, "add_user", "pat")
            if user_id not in self.store.users:
                self.store.users[user_id] = resources_pb2.User(id=user_id, created_at=self._now())
            self.store.tokens[token] = Token(token, user_id)
            return token

    def add_app(self, user_id: str, app_id: str, *, name: str | None = None, public: bool = False) -> AppState:
        """A new app of `user_id`; a `public` one is readable by every valid key (like `clarifai/main`)."""
        with self.store.lock:
            self._require_user(user_id, "add_app", "user_id")
            if self.store.app(user_id, app_id) is not None:
                raise _refused("add_app", f"app {user_id}/{app_id} already exists", "app_id")
            app = resources_pb2.App(id=app_id, user_id=user_id, name=name or app_id, created_at=self._now())
            app.modified_at.CopyFrom(app.created_at)
            state = AppState(app=app, public=public)
            self.store.add_app(state)
            return state

    def add_collaborator(self, user_id: str, app_id: str, collaborator_id: str) -> None:
        """Make another user a collaborator of the app (once)."""
        with self.store.lock:
            app = self._app(user_id, app_id, "add_collaborator")
            self._require_user(collaborator_id, "add_collaborator", "collaborator_id")
            if collaborator_id == user_id or collaborator_id in app.collaborators:
                role = "owns" if collaborator_id == user_id else "already collaborates on"
                problem = f"{collaborator_id!r} {role} {user_id}/{app_id}: a collaborator is another user, added once"
                raise _refused("add_collaborator", problem, "collaborator_id")
            collaborator = resources_pb2.Collaborator(
                id=self.store.ids.new_id(), user=self.store.users[collaborator_id], app=app.app, created_at=self._now()
            )
            self.store.add_collaborator(app, collaborator)

    def add_api_key(self, user_id: str, app_id: str, key: str | None = None) -> str:
        """An app-specific API key bound to `user_id/app_id`; returns the key."""
        with self.store.lock:
            self._app(user_id, app_id, "add_api_key")
            token = key or self.store.ids.new_id()
            self._claim_token(token, "add_api_key", "key")
            self.store.tokens[token] = Token(token, user_id, app_id)
            return token

    def add_concept(self, user_id: str, app_id: str, id: str, name: str | None = None, *, replace: bool = True) -> None:
        """A concept; one of the same id is replaced (`replace=False`: refused)."""
        with self.store.lock:
            app = self._app(user_id, app_id, "add_concept")
            _refuse_taken("add_concept", "concept", id, app.concepts if not replace else {}, app)
            app.put_concept(new_concept(app, resources_pb2.Concept(id=id, name=name or id), self._now()))

    def add_input(
        self,
        user_id: str,
        app_id: str,
        id: str,
        url: str = "",
        text: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        with self.store.lock:
            app = self._app(user_id, app_id, "add_input")
            _refuse_taken("add_input", "input", id, app.inputs, app)
            made = new_input(id, url=url, text=text, metadata=metadata, created_at=self.store.clock.now())
            store_inputs(self.store, app, [made])

    def add_dataset(self, user_id: str, app_id: str, id: str, input_ids: Sequence[str] = ()) -> None:
        with self.store.lock:
            app = self._app(user_id, app_id, "add_dataset")
            _refuse_taken("add_dataset", "dataset", id, app.datasets, app)
            for k, input_id in enumerate(input_ids):
                if input_id not in app.inputs:
                    raise _refused("add_dataset", f"no input {input_id!r} in this app", f"input_ids[{k}]")
            now = self._now()
            app.add_dataset(new_dataset(app, resources_pb2.Dataset(id=id), now))
            datasets.add_members(self.store, app, id, input_ids, now)

    def add_model(
        self,
        user_id: str,
        app_id: str,
        id: str,
        version_id: str | None = None,
        predict: Predict | None = None,
        predictions: Mapping[str, Mapping[str, float]] | None = None,
        name: str = "",
        *,
        replace: bool = True,
    ) -> FakeModel:
        """A fake model: `predict(input) -> {concept_id: score}`, or a static `predictions` table (scores in
        [0, 1]). One of the same id is replaced (`replace=False`: refused)."""
        if predict is None:
            table = {k: dict(v) for k, v in (predictions or {}).items()}
            for input_id, scores in table.items():
                for concept_id, score in scores.items():
                    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
                        problem = f"expected a score in [0, 1], got {score!r}"
                        raise _refused("add_model", problem, f"predictions.{input_id}.{concept_id}")

            def predict(item: resources_pb2.Input, table: dict[str, dict[str, float]] = table) -> dict[str, float]:
                return table.get(item.id, {})

        with self.store.lock:
            app = self._app(user_id, app_id, "add_model")
            _refuse_taken("add_model", "model", id, app.models if not replace else {}, app)
            model = FakeModel(id=id, version_id=version_id or self.store.ids.new_id(), predict=predict, name=name or id)
            app.put_model(model)
            return model

    def add_workflow(
        self,
        user_id: str,
        app_id: str,
        id: str,
        model_id: str,
        version_id: str | None = None,
        *,
        replace: bool = True,
    ) -> None:
        """A one-node workflow running `model_id`; one of the same id is replaced (`replace=False`: refused)."""
        with self.store.lock:
            app = self._app(user_id, app_id, "add_workflow")
            _refuse_taken("add_workflow", "workflow", id, app.workflows if not replace else {}, app)
            if model_id not in app.models:
                raise _refused("add_workflow", f"no model {model_id!r} in this app", "model_id")
            app.put_workflow(FakeWorkflow(id=id, model_id=model_id, version_id=version_id or self.store.ids.new_id()))

    # -- helpers -----------------------------------------------------------------------------
    def _now(self) -> Any:
        return to_timestamp(self.store.clock.now())

    def _require_user(self, user_id: str, call: str, argument: str) -> None:
        if user_id not in self.store.users:
            problem = f"no user {user_id!r}: add_user() it first"
            raise _refused(call, problem, argument, in_document=f"no user {user_id!r} (add it under users)")

    def _claim_token(self, token: str, call: str, argument: str) -> None:
        if token in self.store.tokens:
            raise _refused(call, f"the token {token!r} is already in use", argument)

    def _app(self, user_id: str, app_id: str, call: str) -> AppState:
        app = self.store.app(user_id, app_id)
        if app is None:
            raise _refused(call, f"no app {user_id}/{app_id}: add_app() it first")
        return app


def _refuse_taken(call: str, kind: str, record_id: str, taken: Mapping[str, Any], app: AppState) -> None:
    if record_id in taken:
        raise _refused(call, f"duplicate {kind} id {record_id!r} ({app.user_id}/{app.app_id} has one)", "id")


def _refused(call: str, problem: str, argument: str | None = None, *, in_document: str | None = None) -> seed.SeedError:
    """The one seeding error: a refused `FakeClarifai.add_*` call is a `SeedError` (a ValueError) naming the
    call and the `argument` at fault; `load_seed` reports it at the document path instead."""
    return seed.SeedError(call, problem, "FakeClarifai", argument=argument, in_document=in_document)
