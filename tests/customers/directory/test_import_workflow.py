"""An import job's workflow is declared on the model; its page offers what this member may do to it now."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import ImportJob
from customers.services.imports import import_job_cancel

from .conftest import confirm_and_run, create_job, csv_bytes, fresh, row, url, validate

Status = ImportJob.Status


def test_the_workflow_is_declared_on_the_model():
    assert ImportJob.workflow.table() == {
        "checked": ((Status.VALIDATING,), Status.PREVIEW),
        "unreadable": ((Status.VALIDATING,), Status.INVALID),
        "confirm": ((Status.PREVIEW,), Status.IMPORTING),
        "cancel": ((Status.VALIDATING, Status.PREVIEW), Status.CANCELLED),
        "finish": ((Status.IMPORTING,), Status.DONE),
        "fail": ((Status.VALIDATING, Status.IMPORTING), Status.FAILED),
    }


@pytest.mark.parametrize(("role", "offered"), [("manager", ["confirm", "cancel"]), ("auditor", [])])
def test_a_preview_offers_confirm_and_cancel_to_those_who_may_import(alpha, login, role, offered):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    page = login(alpha.member(role)).get(url("import_detail", alpha, job_id=job.pk))
    assert [name for name in page.context["transitions"] if name in ("confirm", "cancel")] == offered
    assert ("Cancel this import" in page.content.decode()) == bool(offered)


def test_a_finished_import_offers_nothing_and_cannot_be_cancelled(alpha, login):
    job = confirm_and_run(alpha, validate(alpha, create_job(alpha, csv_bytes([row()]))))
    assert fresh(alpha, job).status == Status.DONE
    page = login(alpha.manager).get(url("import_detail", alpha, job_id=job.pk))
    assert page.context["transitions"] == []
    with alpha.context(), pytest.raises(ValidationError, match="has not started writing"):
        import_job_cancel(job=job, actor=alpha.manager)
