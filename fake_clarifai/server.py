"""`FakeClarifai`: the emulator as a Python object — a real gRPC server plus the harness API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent import futures
from typing import Any

import grpc
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2_grpc

from fake_clarifai import seed
from fake_clarifai.ids import Clock, IdFactory, to_timestamp
from fake_clarifai.store import AppState, FakeModel, FakeWorkflow, Predict, Snapshot, Store, Token, new_input
from fake_clarifai.wire import FakeV2Servicer

Metadata = tuple[tuple[str, str], ...]


class FakeClarifai:
    """An in-memory Clarifai API on a loopback gRPC port.

    >>> with FakeClarifai() as fake:
    ...     pat = fake.add_user("alice")
    ...     fake.add_app("alice", "main")
    ...     stub = fake.stub()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        id_seed: int | None = None,
        clock: Clock | None = None,
        max_workers: int = 16,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.store = Store(ids=IdFactory(id_seed), clock=clock or Clock())
        self.servicer = FakeV2Servicer(self.store)
        self._max_workers = max_workers
        self._server: grpc.Server | None = None
        self._port: int | None = None
        self._channel: grpc.Channel | None = None
        self._baseline: Snapshot = self.store.snapshot()
        self.starts = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeClarifai:
        if self._server is not None:
            return self
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="fake-clarifai"),
            options=[("grpc.so_reuseport", 0)],
        )
        service_pb2_grpc.add_V2Servicer_to_server(self.servicer, server)
        port = server.add_insecure_port(f"{self.host}:{self._requested_port}")
        if port == 0:
            raise OSError(f"fake_clarifai could not bind {self.host}:{self._requested_port}")
        server.start()
        self._server, self._port = server, port
        self.starts += 1
        return self

    def stop(self, grace: float | None = None) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._server is not None:
            self._server.stop(grace).wait()
            self._server = None

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

    # -- clients -----------------------------------------------------------------------------
    def channel(self) -> grpc.Channel:
        """A channel made the way Clarifai's client makes one (`get_insecure_grpc_channel`), shared."""
        if self._channel is None:
            self._channel = ClarifaiChannel.get_insecure_grpc_channel(base=self.host, port=self.port)
        return self._channel

    def stub(self) -> service_pb2_grpc.V2Stub:
        return service_pb2_grpc.V2Stub(self.channel())

    @staticmethod
    def metadata(token: str) -> Metadata:
        return (("authorization", f"Key {token}"),)

    # -- isolation ---------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return self.store.snapshot()

    def restore(self, snapshot: Snapshot) -> None:
        self.store.restore(snapshot)

    def save_baseline(self) -> None:
        """Make the current state the one `reset()` returns to."""
        self._baseline = self.store.snapshot()

    def reset(self) -> None:
        """Return to the baseline (empty, or what `save_baseline()` last captured)."""
        self.store.restore(self._baseline)

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

    def add_user(self, user_id: str, pat: str | None = None) -> str:
        """Create `user_id` if new and give it a PAT (generated when not given); returns the PAT."""
        with self.store.lock:
            token = pat or self.store.ids.new_id()
            self._claim_token(token)
            if user_id not in self.store.users:
                self.store.users[user_id] = resources_pb2.User(id=user_id, created_at=self._now())
            self.store.tokens[token] = Token(token, user_id)
            return token

    def add_app(self, user_id: str, app_id: str, *, name: str | None = None) -> AppState:
        with self.store.lock:
            self._require_user(user_id)
            if self.store.app(user_id, app_id) is not None:
                raise ValueError(f"app {user_id}/{app_id} already exists")
            app = resources_pb2.App(id=app_id, user_id=user_id, name=name or app_id, created_at=self._now())
            app.modified_at.CopyFrom(app.created_at)
            state = AppState(app=app)
            self.store.apps[(user_id, app_id)] = state
            return state

    def add_collaborator(self, user_id: str, app_id: str, collaborator_id: str) -> None:
        with self.store.lock:
            app = self._app(user_id, app_id)
            self._require_user(collaborator_id)
            app.collaborators[collaborator_id] = resources_pb2.Collaborator(
                id=self.store.ids.new_id(), user=self.store.users[collaborator_id], app=app.app, created_at=self._now()
            )

    def add_api_key(self, user_id: str, app_id: str, key: str | None = None) -> str:
        """An app-specific API key bound to `user_id/app_id`; returns the key."""
        with self.store.lock:
            self._app(user_id, app_id)
            token = key or self.store.ids.new_id()
            self._claim_token(token)
            self.store.tokens[token] = Token(token, user_id, app_id)
            return token

    def add_concept(self, user_id: str, app_id: str, id: str, name: str | None = None) -> None:
        with self.store.lock:
            app = self._app(user_id, app_id)
            app.concepts[id] = resources_pb2.Concept(
                id=id, name=name or id, value=1.0, app_id=app_id, user_id=user_id, created_at=self._now()
            )

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
            app = self._app(user_id, app_id)
            if id in app.inputs:
                raise ValueError(f"input {id!r} already exists in {user_id}/{app_id}")
            app.inputs[id] = new_input(id, url=url, text=text, metadata=metadata, created_at=self.store.clock.now())

    def add_dataset(self, user_id: str, app_id: str, id: str, input_ids: Sequence[str] = ()) -> None:
        with self.store.lock:
            app = self._app(user_id, app_id)
            missing = [i for i in input_ids if i not in app.inputs]
            if missing:
                raise ValueError(f"inputs {missing} do not exist in {user_id}/{app_id}")
            now = self._now()
            app.datasets[id] = resources_pb2.Dataset(
                id=id, app_id=app_id, user_id=user_id, created_at=now, modified_at=now
            )
            app.dataset_members[id] = {
                i: resources_pb2.DatasetInput(input=app.inputs[i], created_at=now) for i in input_ids
            }

    def add_model(
        self,
        user_id: str,
        app_id: str,
        id: str,
        version_id: str | None = None,
        predict: Predict | None = None,
        predictions: Mapping[str, Mapping[str, float]] | None = None,
        name: str = "",
    ) -> FakeModel:
        """A fake model: `predict(input) -> {concept_id: score}`, or a static `predictions` table."""
        if predict is None:
            table = {k: dict(v) for k, v in (predictions or {}).items()}

            def predict(item: resources_pb2.Input, table: dict[str, dict[str, float]] = table) -> dict[str, float]:
                return table.get(item.id, {})

        with self.store.lock:
            app = self._app(user_id, app_id)
            model = FakeModel(id=id, version_id=version_id or self.store.ids.new_id(), predict=predict, name=name or id)
            app.models[id] = model
            return model

    def add_workflow(
        self,
        user_id: str,
        app_id: str,
        id: str,
        model_id: str,
        version_id: str | None = None,
    ) -> None:
        with self.store.lock:
            app = self._app(user_id, app_id)
            if model_id not in app.models:
                raise ValueError(f"model {model_id!r} does not exist in {user_id}/{app_id}")
            app.workflows[id] = FakeWorkflow(id=id, model_id=model_id, version_id=version_id or self.store.ids.new_id())

    # -- helpers -----------------------------------------------------------------------------
    def _now(self) -> Any:
        return to_timestamp(self.store.clock.now())

    def _require_user(self, user_id: str) -> None:
        if user_id not in self.store.users:
            raise ValueError(f"no user {user_id!r}: add_user() it first")

    def _claim_token(self, token: str) -> None:
        if token in self.store.tokens:
            raise ValueError(f"the token {token!r} is already in use")

    def _app(self, user_id: str, app_id: str) -> AppState:
        app = self.store.app(user_id, app_id)
        if app is None:
            raise ValueError(f"no app {user_id}/{app_id}: add_app() it first")
        return app
