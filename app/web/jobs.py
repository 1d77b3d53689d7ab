"""Training pages for engineers: export a dataset, launch a job with its config as editable YAML, watch it
live (a self-polling fragment that stops when the job ends), and compare jobs on one chart."""

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from app.deps import ENGINEER_ROLES, SessionDep, SettingsDep
from app.models import Dataset, Export, TrainingJob, User
from app.services import artifacts, jobs
from app.services.errors import NotFound, ServiceError
from app.services.exports import FORMATS, VIEWS, create_export
from app.services.job_kinds import KINDS, PRESETS, JobConfigError, get_kind, preset_config
from app.web.line_chart import line_chart
from app.web.pages import page_user
from app.web.render import render

router = APIRouter(prefix="/jobs", include_in_schema=False)
EngineerPage = Annotated[User, Depends(page_user(*ENGINEER_ROLES))]

# The curves a job page draws, in order, when the job logs them.
CHART_METRICS = (
    ("loss", "Training loss"), ("val_edit_pair_accuracy", "Validation accuracy (edit pairs)"),
    ("val_original_pair_accuracy", "Validation accuracy (original pairs)"),
    ("val_token_auroc", "Validation token AUROC"), ("reward", "Reward"),
    ("gold_score", "Gold score"), ("kl", "KL to the reference"), ("entropy", "Entropy"),
)
TRAIN_ROLES = ("step", "total_steps", "epoch", "elapsed_s")


def _lists(session: SessionDep) -> dict[str, Any]:
    return {
        "datasets": list(session.scalars(select(Dataset).order_by(Dataset.name))),
        "exports": list(session.scalars(select(Export).order_by(Export.created_at.desc()).limit(50))),
        "jobs": list(session.scalars(select(TrainingJob).order_by(TrainingJob.id.desc()).limit(100))),
        "kinds": KINDS, "presets": PRESETS, "views": VIEWS, "formats": FORMATS,
    }


def _index(request: Request, session: SessionDep, user: User, form: dict[str, Any] | None = None,
           errors: list[dict[str, str]] | None = None, notice: Any = None, status_code: int = 200) -> HTMLResponse:
    form = form or {"kind": "reward-token", "preset": "cpu-tiny", "export_id": "", "dataset": ""}
    if "config_yaml" not in form:
        form["config_yaml"] = _preset_yaml(form["kind"], form["preset"])
    return render(request, "jobs/index.html", {
        "user": user, "section": "jobs", "title": "Training", "form": form, "errors": errors or [],
        "notice": notice, **_lists(session),
    }, status_code=status_code)


def _preset_yaml(kind: str, preset: str) -> str:
    try:
        return yaml.safe_dump(preset_config(get_kind(kind), preset), sort_keys=True)
    except ServiceError as exc:
        return f"# {exc.message}\n"


@router.get("", response_class=HTMLResponse)
def get_jobs(request: Request, session: SessionDep, settings: SettingsDep, user: EngineerPage) -> HTMLResponse:
    jobs.reap_stale_jobs(session, settings.job_heartbeat_timeout_s)
    return _index(request, session, user)


@router.get("/config", response_class=HTMLResponse)
def get_config_fragment(request: Request, user: EngineerPage, kind: str = "reward-token", preset: str = "cpu-tiny"
                        ) -> HTMLResponse:
    """The preset's config as YAML, swapped into the launch form when the kind or preset changes."""
    return render(request, "jobs/_config.html", {"config_yaml": _preset_yaml(kind, preset)})


@router.post("", response_class=HTMLResponse)
def post_job(request: Request, session: SessionDep, settings: SettingsDep, user: EngineerPage,
             kind: Annotated[str, Form(max_length=40)], preset: Annotated[str, Form(max_length=40)],
             config_yaml: Annotated[str, Form(max_length=100_000)] = "",
             export_id: Annotated[str, Form(max_length=40)] = "", dataset: Annotated[str, Form(max_length=200)] = "",
             ) -> Response:
    """Validate and queue; a refused config re-renders the form with the fields named beside it."""
    form = {"kind": kind, "preset": preset, "config_yaml": config_yaml, "export_id": export_id, "dataset": dataset}
    try:
        values = yaml.safe_load(config_yaml) if config_yaml.strip() else {}
        if not isinstance(values, dict):
            raise JobConfigError([{"field": "config", "message": "the config must be a YAML mapping of field: value"}])
        job = jobs.submit_job(session, settings, kind, preset, values, export_id or None, dataset or None, user)
    except yaml.YAMLError as exc:
        return _index(request, session, user, form, [{"field": "config", "message": f"not valid YAML: {exc}"}],
                      status_code=422)
    except JobConfigError as exc:
        return _index(request, session, user, form, exc.errors, status_code=422)
    return Response(status_code=303, headers={"Location": f"/jobs/{job.id}", "HX-Redirect": f"/jobs/{job.id}"})


@router.post("/exports", response_class=HTMLResponse)
def post_export(request: Request, session: SessionDep, settings: SettingsDep, user: EngineerPage,
                dataset: Annotated[str, Form(max_length=200)], view: Annotated[str, Form(max_length=40)] = "token-labels",
                format: Annotated[str, Form(max_length=20)] = "jsonl") -> HTMLResponse:
    try:
        files = create_export(settings, dataset, view=view, fmt=format, user_id=user.id)
    except ServiceError as exc:
        return _index(request, session, user, notice={"kind": "error", "text": exc.message}, status_code=422)
    e = files.export
    text = f"Exported {e.row_count} rows as snapshot {e.id[:8]} (hash {e.content_hash[:12]})."
    return _index(request, session, user, notice={"kind": "ok", "text": text}, status_code=201)


def _job_context(session: SessionDep, settings: SettingsDep, job: TrainingJob) -> dict[str, Any]:
    metrics = jobs.read_metrics(job, settings)
    charts = [line_chart([(f"job {job.id}", _curve(metrics, key))], title=title)
              for key, title in CHART_METRICS if any(_value(m, key) is not None for m in metrics)]
    final = {k: v for k, v in (job.latest_metrics or {}).items() if k not in TRAIN_ROLES}
    return {
        "job": job, "charts": charts, "final": final, "log_tail": jobs.log_tail(job, settings),
        "artifacts": artifacts.list_artifacts(settings, job.id, jobs.job_dir(settings, job.id))
        if job.status in jobs.FINAL_STATES else [],
        "running": job.status not in jobs.FINAL_STATES, "eta": _eta(job),
    }


def _value(row: dict[str, Any], key: str) -> float | None:
    name = key.removeprefix("val_")
    if key.startswith("val_") != (row.get("split") == "validation"):
        return None
    value = row.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _curve(metrics: list[dict[str, Any]], key: str) -> list[tuple[float, float]]:
    return [(float(m["step"]), v) for m in metrics if "step" in m and (v := _value(m, key)) is not None]


def _eta(job: TrainingJob) -> float | None:
    if job.status != "running" or not job.started_at or not job.step or not job.total_steps:
        return None
    if isinstance((job.latest_metrics or {}).get("eta_s"), int | float):
        return float(job.latest_metrics["eta_s"])
    from datetime import UTC, datetime

    started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=UTC)
    elapsed = (datetime.now(UTC) - started).total_seconds()
    return elapsed / job.step * max(0, job.total_steps - job.step)


@router.get("/compare", response_class=HTMLResponse)
def get_compare(request: Request, session: SessionDep, settings: SettingsDep, user: EngineerPage,
                ids: Annotated[list[int], Query()] = []) -> HTMLResponse:  # noqa: B006 (FastAPI reads it)
    picked = [j for j in (session.get(TrainingJob, i) for i in ids[:8]) if j is not None]
    series = {j.id: jobs.read_metrics(j, settings) for j in picked}
    charts = []
    for key, title in CHART_METRICS:
        lines = [(f"#{j.id} {j.kind}", _curve(series[j.id], key)) for j in picked]
        if any(points for _, points in lines):
            charts.append(line_chart(lines, title=title))
    keys = sorted({k for j in picked for k in (j.latest_metrics or {}) if k not in TRAIN_ROLES})
    return render(request, "jobs/compare.html", {
        "user": user, "section": "jobs", "title": "Compare jobs", "picked": picked, "charts": charts,
        "keys": keys, "all_jobs": _lists(session)["jobs"],
    })


@router.get("/{job_id}", response_class=HTMLResponse)
def get_job_page(job_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: EngineerPage
                 ) -> HTMLResponse:
    jobs.reap_stale_jobs(session, settings.job_heartbeat_timeout_s)
    job = _get(session, job_id)
    return render(request, "jobs/job.html", {
        "user": user, "section": "jobs", "title": f"Job {job.id}", **_job_context(session, settings, job),
    }, fragment="jobs/_status.html")


@router.post("/{job_id}/cancel", response_class=HTMLResponse)
def post_cancel(job_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: EngineerPage
                ) -> HTMLResponse:
    job = _get(session, job_id)
    try:
        jobs.cancel_job(session, job)
    except ServiceError:
        pass  # already final: the fragment shows the state it ended in
    return render(request, "jobs/job.html", {"user": user, "section": "jobs", "title": f"Job {job.id}",
                                             **_job_context(session, settings, job)}, fragment="jobs/_status.html")


def _get(session: SessionDep, job_id: int) -> TrainingJob:
    job = session.get(TrainingJob, job_id)
    if job is None:
        raise NotFound(f"training job {job_id} not found")
    return job
