"""The scheduled monthly run: 06:00 on the 1st of each month."""

from __future__ import annotations

from typing import Any

from prefect.schedules import Cron, Schedule

from flows import settings
from flows.pipeline import pipeline

DEPLOYMENT_NAME = "monthly"
MONTHLY_CRON = "0 6 1 * *"


def monthly_schedule(timezone: str | None = None) -> Schedule:
    return Cron(MONTHLY_CRON, timezone=timezone or settings.get("timezone"))


def default_parameters() -> dict[str, Any]:
    # Deployment parameters are JSON: the paths as text.
    return {"sources_dir": str(settings.get("sources")),
            "warehouse": str(settings.get("warehouse")), "out_dir": str(settings.get("out")),
            "publish": True}


def monthly_deployment(timezone: str | None = None, parameters: dict[str, Any] | None = None
                       ) -> Any:
    """The pipeline as a Prefect deployment on the monthly schedule."""
    return pipeline.to_deployment(
        name=DEPLOYMENT_NAME, schedules=[monthly_schedule(timezone)],
        parameters=parameters or default_parameters(),
        description="polystat: mine sources/ into the warehouse and publish the reports.",
        tags=["polystat", "monthly"])


def serve(timezone: str | None = None, parameters: dict[str, Any] | None = None) -> None:
    """Serve the monthly deployment until interrupted (needs a running Prefect server)."""
    from prefect import serve as prefect_serve

    prefect_serve(monthly_deployment(timezone, parameters))
