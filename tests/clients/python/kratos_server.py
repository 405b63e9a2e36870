"""Starts `serverless-kratos serve` on free loopback ports with a fresh store.

Used by the pytest session fixture (conftest.py) and, as a command, by
scripts/client-tests.sh to run the npm suite against a server:

    python kratos_server.py --store sqlite -- node --test test/*.test.mjs

runs the command with KRATOS_PUBLIC_URL and KRATOS_ADMIN_URL set, stops the server and
exits with the command's status.

Stores:
- `sqlite`: a new `sqlite://` file in a temporary directory;
- `memory`: the embedded in-memory store;
- `dynamodb`: a new table on the emulator at AWS_ENDPOINT_URL, created with
  `serverless-kratos create-table`.

The binary is KRATOS_BIN, else the debug build under CARGO_TARGET_DIR or ./target.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENTS = HERE.parent
REPO = CLIENTS.parent.parent
CONFIG = CLIENTS / "kratos.yml"


def binary() -> Path:
    if os.environ.get("KRATOS_BIN"):
        return Path(os.environ["KRATOS_BIN"]).resolve()
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "serverless-kratos"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict[str, str]:
    """This environment minus whatever could point the server elsewhere or past loopback."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DSN", "SERVE_", "KRATOS_CONFIG", "AWS_PROFILE", "AWS_SESSION_TOKEN"))}
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    env.setdefault("AWS_REGION", "us-east-1")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


@dataclass
class Server:
    store: str
    public_url: str
    admin_url: str
    process: subprocess.Popen
    log: Path

    def public(self, path: str) -> str:
        return self.public_url + path

    def admin(self, path: str) -> str:
        return self.admin_url + path

    def stop(self) -> None:
        """Stops the server; raises if it had crashed or does not stop."""
        crashed = self.process.poll()
        if crashed is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"the {self.store} server ignored SIGINT:\n{self.log.read_text()}")
        if crashed is not None or self.process.returncode != 0:
            raise RuntimeError(f"the {self.store} server exited with {self.process.returncode}:\n{self.log.read_text()}")


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:  # refused, reset, timed out (URLError is an OSError)
        return False


def start(store: str, workdir: Path) -> Server:
    env = server_env()
    if store == "sqlite":
        env["DSN"] = f"sqlite://{workdir / 'kratos.db'}"
    elif store == "memory":
        env["DSN"] = "memory"
    elif store == "dynamodb":
        if not env.get("AWS_ENDPOINT_URL"):
            raise RuntimeError("the dynamodb store needs AWS_ENDPOINT_URL (run through scripts/client-tests.sh)")
        env["DSN"] = f"dynamodb://client-tests-{uuid.uuid4().hex[:12]}"
        subprocess.run([str(binary()), "--config", str(CONFIG), "create-table"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    else:
        raise RuntimeError(f"unknown store {store!r}; use sqlite, memory or dynamodb")

    public_port, admin_port = free_port(), free_port()
    public_url, admin_url = f"http://127.0.0.1:{public_port}", f"http://127.0.0.1:{admin_port}"
    env["SERVE_PUBLIC_BASE_URL"] = public_url + "/"
    env["SERVE_ADMIN_BASE_URL"] = admin_url + "/"
    log = workdir / "server.log"
    # --dev makes the admin courier API show message bodies, which is how the flow tests
    # read the codes that the courier would have sent.
    process = subprocess.Popen(
        [str(binary()), "--config", str(CONFIG), "serve", "--dev",
         "--public-port", str(public_port), "--admin-port", str(admin_port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=workdir,
    )
    server = Server(store, public_url, admin_url, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {store} server exited with {process.returncode}:\n{log.read_text()}")
        if ready(admin_url + "/health/ready"):
            return server
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError(f"the {store} server did not become ready:\n{log.read_text()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="sqlite", choices=["sqlite", "memory", "dynamodb"])
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    with tempfile.TemporaryDirectory(prefix=f"kratos-{args.store}-") as workdir:
        server = start(args.store, Path(workdir))
        try:
            env = dict(os.environ, KRATOS_PUBLIC_URL=server.public_url, KRATOS_ADMIN_URL=server.admin_url)
            status = subprocess.run(command, env=env).returncode
        finally:
            server.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
