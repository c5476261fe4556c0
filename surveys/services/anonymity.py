"""Anonymous answers reach the results only in shuffled batches of at least the survey's threshold.

A submitted anonymous answer waits as an AnonymousSubmission (no invitation, no contact, only its day). Once a
survey version has at least `anonymity_threshold` of them waiting, they are written as responses in a random order
and deleted, so neither the time nor the order of the responses matches the order in which invitations were used.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from surveys.models import AnonymousSubmission, Question, Survey, SurveyVersion

from .responses import response_record


def anonymous_release(*, survey: Survey, version: SurveyVersion) -> int:
    """Release the waiting answers of a version when there are enough of them; returns how many were released."""
    with transaction.atomic():
        waiting = list(
            AnonymousSubmission.objects.select_for_update(skip_locked=True).filter(
                organization=survey.organization, survey=survey, version=version
            )
        )
        if len(waiting) < survey.anonymity_threshold:
            return 0
        questions = tuple(Question.objects.filter(organization=survey.organization, version=version))
        shuffled = sorted(waiting, key=lambda _row: secrets.randbits(64))
        for submission in shuffled:
            response_record(
                organization=survey.organization,
                version=version,
                questions=questions,
                source=submission.source,
                language=submission.language,
                submitted_on=submission.submitted_on,
                attributes=submission.attributes,
                answers=submission.answers,
            )
        AnonymousSubmission.objects.filter(pk__in=[s.pk for s in waiting]).delete()
    return len(waiting)
