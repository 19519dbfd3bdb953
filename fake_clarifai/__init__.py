"""fake_clarifai: an in-memory emulator of the Clarifai API's labeling Tasks, over real gRPC."""

from fake_clarifai.errors import ApiError
from fake_clarifai.ids import Clock, IdFactory
from fake_clarifai.seed import DEFAULT_SEED, SeedError
from fake_clarifai.server import FakeClarifai

__all__ = ["DEFAULT_SEED", "ApiError", "Clock", "FakeClarifai", "IdFactory", "SeedError"]
__version__ = "0.1.0"
