"""Starting service processes: a port taken between picking and binding is retried, other failures are not."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from mobius_gate.fixtures.servers import free_port
from mobius_gate.fixtures.stack.launcher import APPS, App, PortTaken, StackError, wait_all

pytestmark = pytest.mark.servers


def _rag_app(redis_db: str, log: Path, port: int, module: str = APPS["mobius-rag"]) -> App:
    # /health of mobius-rag needs only Redis; the database is not touched.
    env = {"REDIS_URL": redis_db, "CHAT_RAG_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/unused"}
    return App("rag-under-test", "mobius-rag", module, env, log, port=port)


def test_service_whose_port_was_taken_starts_again_on_another(redis_db: str, tmp_path: Path) -> None:
    with socket.socket() as squatter:  # someone else binds the port first
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        app = _rag_app(redis_db, tmp_path / "rag.log", taken).start()
        try:
            wait_all([app], timeout=30)
            assert app.port != taken
            with httpx.Client(trust_env=False) as http:
                assert http.get(f"{app.url}/health").json()["service"] == "mobius-rag"
            assert "address already in use" in app.log_text().lower(), "the first attempt did hit the taken port"
        finally:
            app.stop()


def test_other_start_failures_are_not_retried(redis_db: str, tmp_path: Path) -> None:
    free = free_port()
    app = _rag_app(
        redis_db, tmp_path / "broken.log", free, module="mobius_gate.fixtures.stack.no_such_module:app"
    ).start()
    try:
        with pytest.raises(StackError) as info:
            wait_all([app], timeout=30)
        assert not isinstance(info.value, PortTaken)
        assert info.value.args[0].startswith("rag-under-test exited with")
        assert app.port == free
    finally:
        app.stop()
