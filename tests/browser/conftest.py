"""Browser fixtures: the real server on SQLite and on PostgreSQL, seeded, and headless Debian Chromium."""

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.server import REPO_ROOT, running_server
from tests.conftest import PG_ADMIN_DSN

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"

# Two short responses the editor tests change; the XSS dataset holds script in every text field.
PAIRS = [
    ("How do I boil an egg?",
     "Place the egg in boiling water for 9 minutes, then cool it in cold water.",
     "Put the egg in cold water. Boil it for 30 minutes.\nThen eat it hot."),
    ("Name a prime number larger than ten.",
     "Eleven is a prime number larger than ten.",
     "Twelve is a prime number larger than ten."),
    ("What is the capital of France?",
     "The capital of France is Paris.",
     "The capital of France is Lyon, a city in the north."),
    ("Write a Python function that adds two numbers.",
     "```python\ndef add(a, b):\n    return a + b\n```",
     "```python\ndef add(a, b):\n    return a - b\n```"),
    ("List three primary colours.", "Red, yellow and blue.", "- Red\n- Green\n- Purple"),
    ("How many legs does a spider have?", "Eight.", "A spider has six legs."),
    ("What does HTML stand for?", "HyperText Markup Language.", "HighText Machine Language."),
    ("Is the sun a star?", "Yes, the sun is a star.", "No, the sun is a planet."),
    ("How do I reverse a list in Python?", "Use `items.reverse()` or `items[::-1]`.", "Use `items.sort()`."),
    ("What is 7 times 8?", "56.", "7 times 8 is 54."),
    ("Name the largest ocean.", "The Pacific Ocean.", "The Atlantic Ocean is the largest."),
    ("What gas do plants take in?", "Carbon dioxide.", "Plants take in oxygen only."),
]
XSS_SCRIPT = "<script>window.__pwned = 1</script>"
XSS_IMG = '<img src=x onerror="window.__pwned = 2">'
XSS_PAIR = (f"Explain this markup: {XSS_SCRIPT} {XSS_IMG}",
            f"It is HTML. {XSS_IMG}",
            f"It runs {XSS_SCRIPT} and {XSS_IMG} in a page.")
GUIDELINES = "# Edit, don't rewrite\n\n- Fix **only** what is wrong.\n- Keep the author's wording.\n\n<b>raw html stays text</b>"


@dataclass
class Site:
    """One running server and the handles a test needs to check what it stored."""

    base_url: str
    database_url: str
    sessions: sessionmaker[Session]
    dataset_id: int
    xss_dataset_id: int
    backend: str


def _seed(sessions: sessionmaker[Session]) -> tuple[int, int]:
    from app.models import Dataset, Item, Role, User
    from app.security import hash_password

    pw_hash = hash_password(PASSWORD)
    with sessions.begin() as s:
        accounts = [("admin@example.org", Role.admin), ("rev@example.org", Role.reviewer)]
        accounts += [(f"ann{n}@example.org", Role.annotator) for n in range(1, 6)]
        for email, role in accounts:
            s.add(User(email=email, role=role, password_hash=pw_hash))
        datasets = []
        for name, pairs in [("everyday", PAIRS), ("hostile", [XSS_PAIR])]:
            ds = Dataset(name=name, guidelines=GUIDELINES, soft_max_changed_words=6, hard_max_changed_words=12)
            s.add(ds)
            s.flush()
            for n, (prompt, chosen, rejected) in enumerate(pairs):
                digest = hashlib.sha256(f"{prompt}\x00{rejected}".encode()).hexdigest()
                s.add(Item(dataset_id=ds.id, external_id=f"{name}-{n}", prompt=prompt, chosen=chosen,
                           rejected=rejected, content_hash=digest))
            datasets.append(ds.id)
    return datasets[0], datasets[1]


@contextmanager
def _database(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh, migrated database of the given backend, dropped afterwards."""
    from app.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'browser.db'}"
        upgrade(url)
        yield url
        return
    name = f"redline_b_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{base}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Session scope: pytest runs every browser test on SQLite, then every one on PostgreSQL, starting two
# servers in all. Tests share the seeded data, so each uses its own accounts or checks what it wrote.
@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real server in a subprocess, on a seeded database of each backend in turn."""
    from app.db import make_engine

    tmp = tmp_path_factory.mktemp(f"site-{request.param}")
    with _database(request.param, tmp) as url:
        engine = make_engine(url)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        dataset_id, xss_id = _seed(sessions)
        with running_server(url, tmp / "server.log", SECRET_KEY="browser-tests-" + uuid.uuid4().hex,
                            LEASE_TTL_SECONDS="600") as base_url:
            yield Site(base_url, url, sessions, dataset_id, xss_id, request.param)
        engine.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class BrowserErrors:
    """Console errors and uncaught exceptions of every page of a context (a CSP violation is one)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("console", lambda msg: self.messages.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.messages.append(f"uncaught: {exc}"))


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def context(chromium: Browser, browser_errors: BrowserErrors) -> Iterator[BrowserContext]:
    """A fresh browser profile; the test fails if any of its pages logged an error."""
    ctx = chromium.new_context(viewport={"width": 1360, "height": 900})
    ctx.set_default_timeout(15_000)
    ctx.on("page", browser_errors.watch)
    yield ctx
    ctx.close()
    assert browser_errors.messages == [], f"errors in the browser console: {browser_errors.messages}"


@pytest.fixture
def second_context(chromium: Browser, browser_errors: BrowserErrors) -> Iterator[BrowserContext]:
    ctx = chromium.new_context(viewport={"width": 1360, "height": 900})
    ctx.set_default_timeout(15_000)
    ctx.on("page", browser_errors.watch)
    yield ctx
    ctx.close()


def log_in(page: Page, site: Site, email: str) -> None:
    page.goto(f"{site.base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


ITEM_URL = re.compile(r".*/annotate/items/(\d+)(\?.*)?$")


def start_dataset(page: Page, site: Site, name: str) -> int:
    """Open the queue, press Start on a dataset, and return the id of the leased item."""
    page.goto(f"{site.base_url}/annotate")
    page.click(f"button[data-dataset='{name}']")
    page.wait_for_url(ITEM_URL)
    match = ITEM_URL.match(page.url)
    assert match is not None
    return int(match.group(1))


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
