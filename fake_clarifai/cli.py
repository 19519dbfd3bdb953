"""`fake-clarifai serve`: the emulator as a standalone server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from fake_clarifai.plugin import default_identity
from fake_clarifai.seed import DEFAULT_SEED, SeedError
from fake_clarifai.server import FakeClarifai


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fake-clarifai", description="An in-memory Clarifai API emulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the emulator until Ctrl-C or SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=18080, help="gRPC port (default 18080, the port get_insecure_grpc_channel uses)"
    )
    serve.add_argument("--seed", metavar="FILE", help="JSON seed file (default: a demo user, app and PAT)")
    return parser


def serve(host: str, port: int, seed_file: str | None) -> int:
    fake = FakeClarifai(host=host, port=port)
    source = seed_file or DEFAULT_SEED
    try:
        fake.load_seed(source)
    except SeedError as error:
        print(f"fake-clarifai: bad seed: {error}", file=sys.stderr)
        return 2
    fake.start()
    who = default_identity(source)
    print(f"fake-clarifai serving clarifai.api.V2 on {fake.address}", flush=True)
    print(f"  user_id={who.user_id} app_id={who.app_id} PAT={who.pat}")
    print("  client code: ClarifaiChannel.get_insecure_grpc_channel() with")
    print(f"    export CLARIFAI_GRPC_BASE={fake.host}")
    print(f"    # port {fake.port}: pass port={fake.port} if it is not 18080")
    print(f"    export CLARIFAI_PAT={who.pat}")
    print(f"    export CLARIFAI_USER_ID={who.user_id}")
    print(f"    export CLARIFAI_APP_ID={who.app_id}", flush=True)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    while not stopping.wait(0.2):
        pass
    fake.stop(grace=1.0)
    print("fake-clarifai stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return serve(args.host, args.port, args.seed)


if __name__ == "__main__":
    sys.exit(main())
