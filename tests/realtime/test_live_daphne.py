"""A real WebSocket client against daphne: close codes, Origin, delivery, and seq under load."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid

import pytest
from websockets.exceptions import InvalidStatus

from .live_stack import PYTHON, ROOT, run_script
from .wsclient import LiveClient, close_code, ws_connect


@pytest.mark.parametrize(
    ("who", "which", "code"),
    [
        (None, "session", 4401),
        ("outsider", "session", 4403),
        ("banned", "session", 4403),
        ("pending", "session", 4403),
        ("suspended", "session", 4403),
        ("member1", "unknown", 4404),
        ("outsider", "hidden_session", 4404),
        ("member1", "hidden_session", 4404),
    ],
)
async def test_refusals_reach_a_real_client_as_close_codes(stack, daphne_port, who, which, code):
    session_id = 987654321 if which == "unknown" else getattr(stack, which)
    cookie = stack.cookies[who] if who else None
    assert await close_code(daphne_port, f"/ws/live/{session_id}/", cookie) == code


async def test_foreign_origin_fails_the_handshake(stack, daphne_port):
    with pytest.raises(InvalidStatus) as excinfo:
        async with ws_connect(
            daphne_port,
            f"/ws/live/{stack.session}/",
            stack.cookies["member1"],
            origin="https://evil.example",
        ):
            pass
    assert excinfo.value.response.status_code == 403


async def test_member_sends_and_receives_through_daphne(stack, daphne_port):
    async with ws_connect(
        daphne_port, f"/ws/live/{stack.session}/", stack.cookies["member1"]
    ) as ws:
        client = LiveClient(ws)
        welcome = await client.hello()
        assert welcome["you"]["id"] == stack.users["member1"]
        msg_id = str(uuid.uuid4())
        await client.send_message("Through daphne", msg_id)
        await client.read_until_seq(welcome["last_seq"] + 1)
        while not client.acks:
            await client._read(5)
        assert client.acks[0]["client_msg_id"] == msg_id
        assert client.stream[-1]["body_html"] == "<p>Through daphne</p>"


def test_seq_has_no_gaps_with_concurrent_writer_processes(stack):
    """Four processes store 25 messages each at once: seqs run 1..N without gap or repeat."""
    session = stack.second_session
    # The stack is shared with other files' tests (a breakout round stores two events here).
    before = json.loads(run_script(stack.env, "seqs", str(session)))["last_seq"]
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "tests.realtime.live_stack",
                "send",
                str(session),
                str(stack.users[f"member{n}"]),
                "25",
                f"w{n}",
            ],
            cwd=ROOT,
            env=stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(1, 5)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    result = json.loads(run_script(stack.env, "seqs", str(session)))
    assert result["seqs"] == list(range(1, before + 101))
    assert result["last_seq"] == before + 100


async def test_many_clients_one_process_all_receive_in_order(stack, daphne_port):
    path = f"/ws/live/{stack.session}/"
    names = [f"member{n}" for n in range(1, 7)]
    connections = [ws_connect(daphne_port, path, stack.cookies[name]) for name in names]
    sockets = [await conn.__aenter__() for conn in connections]
    try:
        clients = [LiveClient(ws) for ws in sockets]
        start = max([(await client.hello())["last_seq"] for client in clients])
        if start:
            for client in clients:
                await client.read_until_seq(start)
        senders = clients[:3]

        async def burst(client: LiveClient, tag: str) -> None:
            for n in range(10):
                await client.send_message(f"{tag} {n}", f"{tag}-{uuid.uuid4()}")

        await asyncio.gather(*(burst(c, f"s{i}") for i, c in enumerate(senders)))
        for client in clients:
            await client.read_until_seq(start + 30)
            tail = [s for s in client.seqs if s > start]
            assert tail == list(range(start + 1, start + 31))
    finally:
        for conn in connections:
            await conn.__aexit__(None, None, None)
