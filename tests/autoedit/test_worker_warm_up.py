"""A starting auto-edit worker loads the grading tokenizer without torch or transformers: importing
them cost a fresh worker tens of seconds of CPU that its first items competed for."""

import subprocess
import sys

CHECK = """
import sys
from worker.celery_app import celery_app
celery_app.loader.import_default_modules()
from worker import tasks_autoedit
tasks_autoedit._load_grading_tokenizer()
from training.tokenizers import _bundled_backends
assert _bundled_backends, "the bundled tokenizer was not loaded"
heavy = sorted({"torch", "transformers"} & set(sys.modules))
assert not heavy, f"the warm-up imported {heavy}"
"""


def test_the_warm_up_loads_the_bundled_tokenizer_and_nothing_heavy() -> None:
    from app.config import get_settings
    from training.bundled import bundled_tokenizer_dir

    bundled_tokenizer_dir(get_settings().model_cache_dir)  # converted once per cache (that step needs transformers)
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
