"""Potato (potato-annotation on PyPI) as the peer under the same load: a `text_edit` project and its server.

Potato is a benchmark-only dependency: `.venv/bin/pip install potato-annotation`. Its annotation page
autosaves through `POST /updateinstance` with the schema's hidden input, a JSON blob holding the edited
text (potato/server_utils/schemas/text_edit.py); that request is what each simulated user sends.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.load.http_client import PersonClient
from benchmarks.load.redline_site import free_port, wait_ready_url
from benchmarks.load.texts import response_text

SCHEMA = "post_edit"
PASSWORD = "load-test-password"
CONFIG = """\
annotation_task_name: Redline comparison (minimal edits)
task_dir: {task_dir}
output_annotation_dir: {task_dir}/annotation_output
export_annotation_format: jsonl
data_files:
  - data/items.jsonl
item_properties:
  id_key: id
  text_key: text
user_config:
  allow_all_users: true
  users: []
annotation_schemes:
  - annotation_type: text_edit
    name: {schema}
    description: Edit the response minimally
    source_field: text
    show_diff: true
    show_edit_distance: true
"""


def write_project(task_dir: Path, items: int, words: int) -> Path:
    """A text_edit project of `items` responses of ~`words` words; returns its config file."""
    (task_dir / "data").mkdir(parents=True, exist_ok=True)
    with (task_dir / "data" / "items.jsonl").open("w", encoding="utf-8") as fh:
        for k in range(items):
            fh.write(json.dumps({"id": f"item-{k}", "text": response_text(words, seed=k % 50) + f" (variant {k})"}))
            fh.write("\n")
    config = task_dir / "config.yaml"
    config.write_text(CONFIG.format(task_dir=task_dir, schema=SCHEMA), encoding="utf-8")
    return config


def check_installed(python: str) -> None:
    probe = subprocess.run([python, "-c", "import potato"], capture_output=True)
    if probe.returncode != 0:
        raise SystemExit(f"potato is not installed for {python}: run `{python} -m pip install potato-annotation` "
                         "(a benchmark-only package, never a dependency of the project)")


@contextmanager
def potato_server(config: Path, log_path: Path, python: str = sys.executable) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`potato start CONFIG` on a free local port (Potato's own server: Flask, threaded)."""
    check_installed(python)
    port = free_port()
    cmd = [python, "-m", "potato", "start", str(config), "-p", str(port), "--host", "127.0.0.1"]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, cwd=config.parent, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready_url(f"{base}/", proc, log_path)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def sign_in(client: PersonClient, user: str) -> str:
    """Register and log in `user` on this client (cookies); returns the id of the user's current instance."""
    await client.post("/register", data={"action": "signup", "email": user, "pass": PASSWORD})
    reply = await client.post("/auth", data={"action": "login", "email": user, "pass": PASSWORD})
    reply.raise_for_status()
    current = await client.get("/api/current_instance")
    current.raise_for_status()
    return str(current.json()["instance_id"])


def autosave_body(instance_id: str, original: str, edited: str) -> dict[str, object]:
    """What Potato's page posts when the text_edit editor changes (the hidden input's JSON blob)."""
    blob = {"edited_text": edited, "original_text": original, "edit_distance_chars": abs(len(edited) - len(original)),
            "edit_distance_words": 1}
    return {"instance_id": instance_id, "annotations": {f"{SCHEMA}:::{SCHEMA}": json.dumps(blob)},
            "span_annotations": []}
