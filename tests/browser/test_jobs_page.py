"""An engineer, in the browser alone: export a dataset, launch a reward-model job, watch its chart grow.

The server and a worker process share the embedded broker (kombu's SQLAlchemy transport on the same
PostgreSQL database), so this also runs the embedded default's task path for real.
"""

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy.orm import sessionmaker

from tests.browser.conftest import PASSWORD, Site, _database, log_in, screenshot
from tests.browser.server import REPO_ROOT, running_server
from training.alignment import align

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

EDITS = [
    ("What is the capital of France?", "Paris.", "The capital of France is Lyon.", "The capital of France is Paris."),
    ("How many legs does a spider have?", "Eight.", "Honestly, I think spiders have six legs.",
     "Spiders have eight legs."),
    ("Name a primary colour.", "Red.", "Um, well, maybe red, I guess.", "Red."),
    ("What is 3 + 4?", "7", "3 + 4 is 8.", "3 + 4 is 7."),
]


@pytest.fixture(scope="module")
def training_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from app.db import make_engine
    from app.models import Dataset, Edit, EditStatus, Item, Role, User
    from app.security import hash_password
    from training.tiny import tiny_model_dir

    tmp = tmp_path_factory.mktemp("jobs-site")
    models = tmp_path_factory.getbasetemp() / "models"
    tok_dir = str(tiny_model_dir(models))
    env = {"ARTIFACT_DIR": str(tmp / "artifacts"), "MODEL_CACHE_DIR": str(models), "HF_HUB_OFFLINE": "1",
           "SECRET_KEY": "jobs-browser-" + uuid.uuid4().hex}
    with _database("postgres", tmp) as url:
        engine = make_engine(url)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        with sessions.begin() as s:
            s.add(User(email="eng@example.org", role=Role.engineer, password_hash=hash_password(PASSWORD)))
            ds = Dataset(name="edits", tokenizer=tok_dir)
            s.add(ds)
            s.flush()
            for n, (prompt, chosen, rejected, edited) in enumerate(EDITS * 4):
                item = Item(dataset_id=ds.id, external_id=str(n), prompt=f"{prompt} #{n}", chosen=chosen,
                            rejected=rejected, content_hash=f"h{n}")
                s.add(item)
                s.flush()
                hunks = [list(h) for h in align(rejected, edited, tokenizer=tok_dir).hunks]
                s.add(Edit(item_id=item.id, edited_text=edited, status=EditStatus.accepted, hunks=hunks))
            dataset_id = ds.id
        worker_env = {**os.environ, **env, "DATABASE_URL": url}
        worker_env.pop("REDIS_URL", None)
        with (tmp / "worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker", "-Q", "gpu",
                 "-P", "threads", "-c", "1", "--loglevel", "INFO", "-n", "jobs-browser@%h"],
                cwd=REPO_ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            with running_server(url, tmp / "server.log", **env) as base_url:
                yield Site(base_url, url, sessions, dataset_id, dataset_id, "postgres")
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            engine.dispose()


def test_engineer_exports_launches_and_watches_a_job(training_site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, training_site, "eng@example.org")
    page.goto(f"{training_site.base_url}/jobs")

    page.select_option("#export-dataset", "edits")
    page.click("#export-form button[type=submit]", timeout=60_000)  # the first export loads the tokenizer
    expect(page.locator(".notice.ok")).to_contain_text("Exported 16 rows", timeout=60_000)
    expect(page.locator("#exports-table tbody tr")).to_have_count(1)

    page.select_option("#job-kind", "reward-token")
    page.select_option("#job-preset", "cpu-tiny")
    expect(page.locator("#job-config")).to_have_value(re.compile(r"model_type: token"))
    page.select_option("#job-export", index=1)
    config = page.locator("#job-config").input_value()
    config = re.sub(r"(?m)^max_steps: .*$", "max_steps: 40", config)
    config = re.sub(r"(?m)^eval_every: .*$", "eval_every: 10", config)
    page.fill("#job-config", config)
    page.click("#launch-form button[type=submit]", timeout=60_000)
    page.wait_for_url(re.compile(r"/jobs/\d+$"), timeout=60_000)

    expect(page.locator("#job-state")).to_have_text("running", timeout=90_000)
    expect(page.locator("#job-charts svg").first).to_be_visible(timeout=60_000)
    first_step = page.locator("#job-step").inner_text()
    if first_step.strip() == "step 40 of 40":  # training already ended; only the state can change now
        expect(page.locator("#job-state")).to_have_text("succeeded", timeout=180_000)  # the fragment re-polled
    else:
        expect(page.locator("#job-step")).not_to_have_text(first_step, timeout=60_000)  # the fragment re-polled
    screenshot(page, "job-running.png")
    expect(page.locator("#job-state")).to_have_text("succeeded", timeout=180_000)
    expect(page.locator("#artifacts")).to_contain_text("metrics.jsonl")
    expect(page.locator("#job-charts svg")).not_to_have_count(0)
    screenshot(page, "job-finished.png")

    page.goto(f"{training_site.base_url}/jobs")
    page.locator("#jobs-table input[name=ids]").first.check()
    page.click("#compare-form button[type=submit]")
    expect(page.locator("#compare-charts svg").first).to_be_visible()
    expect(page.locator("#compare-table")).to_contain_text("val_edit_pair_accuracy")
    screenshot(page, "jobs-compare.png")


def test_a_bad_config_is_shown_beside_the_form(training_site: Site, context: BrowserContext,
                                               browser_errors) -> None:
    page = context.new_page()
    log_in(page, training_site, "eng@example.org")
    page.goto(f"{training_site.base_url}/jobs")
    page.select_option("#job-dataset", "edits")
    page.fill("#job-config", "learning_rate: fast\nno_such_field: 1\n")
    page.click("#launch-form button[type=submit]")
    errors = page.locator("#job-errors")
    expect(errors).to_contain_text("learning_rate")
    expect(errors).to_contain_text("no_such_field")
    assert Path(page.url).name == "jobs"
    # The refused form answers 422 on purpose; Chromium logs that status, and nothing else may be logged.
    expected = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert browser_errors.messages == [expected]
    browser_errors.messages.clear()
