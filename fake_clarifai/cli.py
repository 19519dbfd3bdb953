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
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve gRPC over TLS with a throwaway CA (needs trustme) for unmodified get_grpc_channel() code",
    )
    serve.add_argument(
        "--http-port", type=int, metavar="PORT", help="also serve the JSON/HTTP gateway on PORT (0: any free port)"
    )
    return parser


def serve(host: str, port: int, seed_file: str | None, tls: bool = False, http_port: int | None = None) -> int:
    fake = FakeClarifai(host=host, port=port, tls=tls, http_port=http_port)
    source = seed_file or DEFAULT_SEED
    try:
        fake.load_seed(source)
        who = default_identity(source)
    except SeedError as error:
        print(f"fake-clarifai: bad seed: {error}", file=sys.stderr)
        return 2
    try:
        fake.start()
    except (RuntimeError, OSError) as error:
        print(f"fake-clarifai: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    print(f"fake-clarifai serving clarifai.api.V2 on {fake.address}{' (TLS)' if tls else ''}", flush=True)
    print(f"  user_id={who.user_id} app_id={who.app_id} PAT={who.pat}")
    for line in client_lines(fake, who.pat, who.user_id, who.app_id):
        print(line)
    sys.stdout.flush()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    while not stopping.wait(0.2):
        pass
    fake.stop(grace=1.0)
    print("fake-clarifai stopped", flush=True)
    return 0


def client_lines(fake: FakeClarifai, pat: str, user_id: str, app_id: str) -> list[str]:
    """What each client family needs to reach `fake`, as shell lines to copy."""
    identity = [f"    export CLARIFAI_PAT={pat}", f"    export CLARIFAI_USER_ID={user_id}"]
    identity.append(f"    export CLARIFAI_APP_ID={app_id}")
    lines = ["  clarifai SDK (pip install clarifai): User(...), App(...) read"]
    lines += [f"    export {name}={value}" for name, value in fake.sdk_env().items()]
    if fake.tls:
        lines.append("  clarifai-grpc: unmodified get_grpc_channel(), Node.js: ClarifaiStub.grpc(), with")
        lines += [f"    export {name}={value}" for name, value in fake.tls_env().items()]
    else:
        lines.append("  clarifai-grpc: ClarifaiChannel.get_insecure_grpc_channel() with")
        lines.append(f"    export CLARIFAI_GRPC_BASE={fake.host}")
        lines.append(f"    # port {fake.port}: pass port={fake.port} if it is not 18080")
        lines.append("  Node.js: insecureGrpc() always dials api-grpc.clarifai.com: serve --tls, ClarifaiStub.grpc()")
    lines += identity
    if fake.http_running:
        lines.append(f"  JSON/HTTP gateway: ClarifaiChannel.get_json_channel(base_url={fake.http_url!r}), or curl:")
        lines.append(f"    curl -H 'Authorization: Key {pat}' {fake.http_url}/v2/users/{user_id}/apps/{app_id}/inputs")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return serve(args.host, args.port, args.seed, args.tls, args.http_port)


if __name__ == "__main__":
    sys.exit(main())
