"""Seeding from Python and JSON: all or nothing, errors naming the path inside the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fake_clarifai import DEFAULT_SEED, Clock, FakeClarifai, SeedError

GOOD = {
    "users": [{"id": "alice", "pats": ["alice-pat"]}, {"id": "bob", "pats": ["bob-pat"]}],
    "apps": [
        {
            "user_id": "alice",
            "id": "main",
            "collaborators": ["bob"],
            "api_keys": ["main-key"],
            "concepts": [{"id": "water"}],
            "inputs": [{"id": "in1", "url": "https://example.com/1.jpg"}, {"id": "in2", "text": "hello"}],
            "datasets": [{"id": "ds1", "input_ids": ["in1"]}],
            "models": [{"id": "m1", "version_id": "v1", "predictions": {"in1": {"water": 0.93}}}],
            "workflows": [{"id": "wf1", "model_id": "m1"}],
        }
    ],
}


def test_good_seed_builds_every_kind_of_state(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(GOOD))
    fake = FakeClarifai()
    fake.load_seed(path)
    app = fake.store.app("alice", "main")
    assert fake.store.tokens["alice-pat"].user_id == "alice"
    assert fake.store.tokens["main-key"].app_id == "main"
    assert list(app.collaborators) == ["bob"]
    assert list(app.concepts) == ["water"]
    assert list(app.inputs) == ["in1", "in2"]
    assert app.inputs["in1"].data.image.url == "https://example.com/1.jpg"
    assert app.inputs["in2"].data.text.raw == "hello"
    assert list(app.dataset_members["ds1"]) == ["in1"]
    assert app.models["m1"].predict(app.inputs["in1"]) == {"water": 0.93}
    assert app.workflows["wf1"].model_id == "m1"


@pytest.mark.parametrize(
    ("mutate", "path", "problem"),
    [
        (lambda s: s["users"][0].update(id=""), "users[0].id", "expected a non-empty string, got ''"),
        (lambda s: s["users"].append({"id": "alice"}), "users[2].id", "user 'alice' already exists"),
        (lambda s: s["apps"][0].update(user_id="carol"), "apps[0].user_id", "no user 'carol' (add it under users)"),
        (lambda s: s["apps"][0]["inputs"].append({"id": "in1"}), "apps[0].inputs[2].id", "duplicate input id 'in1'"),
        (
            lambda s: s["apps"][0]["datasets"][0]["input_ids"].append("nope"),
            "apps[0].datasets[0].input_ids[1]",
            "no input 'nope' in this app",
        ),
        (
            lambda s: s["apps"][0]["models"][0]["predictions"]["in1"].update(water=2),
            "apps[0].models[0].predictions.in1.water",
            "expected a score in [0, 1], got 2",
        ),
        (lambda s: s["apps"][0].update(colour="red"), "apps[0].colour", "unknown key"),
        (lambda s: s["apps"][0]["concepts"][0].update(name=7), "apps[0].concepts[0].name", "expected a string, got 7"),
        (lambda s: s["apps"][0]["models"].append({"id": "m1"}), "apps[0].models[1].id", "duplicate model id 'm1'"),
        (
            lambda s: s["apps"][0]["workflows"][0].update(model_id="m9"),
            "apps[0].workflows[0].model_id",
            "no model 'm9' in this app",
        ),
        (
            lambda s: s["apps"][0]["collaborators"].append("carol"),
            "apps[0].collaborators[1]",
            "no user 'carol' (add it under users)",
        ),
        (
            lambda s: s["apps"][0]["collaborators"].append("alice"),
            "apps[0].collaborators[1]",
            "'alice' owns alice/main",
        ),
        (
            lambda s: s["apps"][0]["api_keys"].append("bob-pat"),
            "apps[0].api_keys[1]",
            "the token 'bob-pat' is already in use",
        ),
        (
            lambda s: s["users"][1].update(pats=["alice-pat"]),
            "users[1].pats[0]",
            "the token 'alice-pat' is already in use",
        ),
    ],
)
def test_bad_seed_names_the_path_and_applies_nothing(mutate, path, problem) -> None:
    seed = json.loads(json.dumps(GOOD))
    mutate(seed)
    fake = FakeClarifai()
    with pytest.raises(SeedError) as raised:
        fake.load_seed(seed)
    assert raised.value.path == path
    assert raised.value.problem.startswith(problem)
    assert fake.store.users == {} and fake.store.apps == {}


def test_a_seed_refused_at_its_last_record_leaves_a_seeded_fake_as_it_was() -> None:
    fake = FakeClarifai(seed=7, clock=Clock(start=1_700_000_000))
    fake.load_seed(DEFAULT_SEED)
    before = fake.dump_state()
    seed = json.loads(json.dumps(GOOD))
    seed["apps"][0]["workflows"].append({"id": "wf2", "model_id": "nope"})
    with pytest.raises(SeedError) as raised:
        fake.load_seed(seed)
    assert str(raised.value) == "seed: apps[0].workflows[1].model_id: no model 'nope' in this app"
    assert fake.dump_state() == before
    fake.load_seed(GOOD)  # the id generator was put back too: the same seed now applies as on a fresh fake
    fresh = FakeClarifai(seed=7, clock=Clock(start=1_700_000_000))
    fresh.load_seed(DEFAULT_SEED)
    fresh.load_seed(GOOD)
    assert fake.dump_state() == fresh.dump_state()


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match=r"missing.json: \$: cannot read the file"):
        FakeClarifai().load_seed(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SeedError, match=r"bad.json: \$: not JSON: .* at line 1 column 2"):
        FakeClarifai().load_seed(bad)


def test_a_refused_seeding_call_is_a_seed_error_naming_the_call() -> None:
    fake = FakeClarifai()
    fake.load_seed(DEFAULT_SEED)
    before = fake.dump_state()
    with pytest.raises(SeedError) as raised:
        fake.add_input("owner", "nowhere", "in-1")
    assert (raised.value.path, raised.value.problem) == ("add_input", "no app owner/nowhere: add_app() it first")
    assert str(raised.value) == "FakeClarifai: add_input: no app owner/nowhere: add_app() it first"
    assert fake.dump_state() == before


def test_python_seeding_api_and_default_seed() -> None:
    fake = FakeClarifai()
    fake.load_seed(DEFAULT_SEED)
    pat = fake.add_user("newcomer")
    assert fake.store.tokens[pat].user_id == "newcomer"
    assert fake.add_user("newcomer", "second-pat") == "second-pat"
    key = fake.add_api_key("owner", "main")
    assert fake.store.tokens[key].app_id == "main"
    with pytest.raises(ValueError, match="already in use"):
        fake.add_user("someone", "owner-pat")
    with pytest.raises(ValueError, match="no user 'ghost'"):
        fake.add_app("ghost", "x")


def test_the_seeding_calls_check_what_the_seed_means() -> None:
    fake = FakeClarifai()
    fake.load_seed(GOOD)
    before = fake.dump_state()
    refusals = [
        (lambda: fake.add_user("alice", exist_ok=False), "add_user", "user_id", "user 'alice' already exists"),
        (lambda: fake.add_collaborator("alice", "main", "alice"), "add_collaborator", "collaborator_id",
         "'alice' owns alice/main: a collaborator is another user, added once"),
        (lambda: fake.add_collaborator("alice", "main", "bob"), "add_collaborator", "collaborator_id",
         "'bob' already collaborates on alice/main: a collaborator is another user, added once"),
        (lambda: fake.add_api_key("alice", "main", "bob-pat"), "add_api_key", "key",
         "the token 'bob-pat' is already in use"),
        (lambda: fake.add_input("alice", "main", "in1"), "add_input", "id",
         "duplicate input id 'in1' (alice/main has one)"),
        (lambda: fake.add_dataset("alice", "main", "ds2", ["in2", "in3"]), "add_dataset", "input_ids[1]",
         "no input 'in3' in this app"),
        (lambda: fake.add_concept("alice", "main", "water", replace=False), "add_concept", "id",
         "duplicate concept id 'water' (alice/main has one)"),
        (lambda: fake.add_model("alice", "main", "m2", predictions={"in1": {"water": -0.5}}), "add_model",
         "predictions.in1.water", "expected a score in [0, 1], got -0.5"),
        (lambda: fake.add_workflow("alice", "main", "wf1", "m1", replace=False), "add_workflow", "id",
         "duplicate workflow id 'wf1' (alice/main has one)"),
        (lambda: fake.add_workflow("alice", "main", "wf2", "m9"), "add_workflow", "model_id",
         "no model 'm9' in this app"),
    ]  # fmt: skip
    for call, path, argument, problem in refusals:
        with pytest.raises(SeedError) as raised:
            call()
        assert (raised.value.path, raised.value.argument, raised.value.problem) == (path, argument, problem)
        assert fake.dump_state() == before
    fake.add_concept("alice", "main", "water", name="Lake")  # by default a concept, model or workflow is replaced
    assert fake.store.app("alice", "main").concepts["water"].name == "Lake"
