"""Repository-level pytest configuration: hypothesis profiles (the plugin itself comes via pytest11)."""

import os

from hypothesis import HealthCheck, settings

import fake_clarifai.store

# Every restore (each test's reset, `isolated()`) checks that its snapshot is unchanged: a write that skipped
# the copy-on-write barrier (`Store.app`, `AppState.task`, `PMap.edit`) fails the test that made it.
fake_clarifai.store.CHECK_SNAPSHOTS = True

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
# At length, on demand (README, "Running the state machine at length"): HYPOTHESIS_PROFILE=long.
settings.register_profile(
    "long", max_examples=2000, stateful_step_count=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
