"""The dashboard: progress bars per dataset, a per-annotator table, and edits per day as an SVG chart."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.deps import SessionDep
from app.services.datasets import list_datasets
from app.services.progress import dataset_progress
from app.services.stats import annotator_stats, daily_edits
from app.web.charts import bar_chart
from app.web.pages import DashboardPage
from app.web.render import render

router = APIRouter(prefix="/dashboard", include_in_schema=False)

CHART_DAYS = 30


@router.get("", response_class=HTMLResponse)
def get_dashboard(request: Request, session: SessionDep, user: DashboardPage, dataset_id: int | None = None
                  ) -> HTMLResponse:
    datasets = list_datasets(session)
    shown = [d for d in datasets if dataset_id is None or d.id == dataset_id]
    series = daily_edits(session, CHART_DAYS, dataset_id)
    return render(request, "dashboard/index.html", {
        "user": user, "section": "dashboard", "title": "Dashboard", "datasets": datasets,
        "dataset_id": dataset_id, "progress": [(d, dataset_progress(session, d.id)) for d in shown],
        "annotators": annotator_stats(session, dataset_id), "chart_total": sum(c for _, c in series),
        "chart": bar_chart(series, title=f"Edits submitted per day, last {CHART_DAYS} days"),
        "chart_days": CHART_DAYS,
    })
