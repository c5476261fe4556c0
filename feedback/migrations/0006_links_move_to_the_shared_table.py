"""A feedback item's links move into the organisation-scoped link table every module shares (qms/links).

Every row keeps its id, organisation, author and date. A link to another feedback item ("feedback" before) names
it by its object type, as the audit trail does; a link to a converted record keeps its kind, reference and label.
The old table is then dropped.
"""

from django.db import migrations

ITEM = "feedback.feedbackitem"


def _all_organisations(schema_editor, on: bool):
    # Row-level security is forced on the owner too: a data migration reads every organisation explicitly.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('app.cross_tenant', %s, true)", ["on" if on else ""])


def _reset_sequence(schema_editor, table):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
            f"FROM {table}"
        )


def forwards(apps, schema_editor):
    FeedbackLink, Link = apps.get_model("feedback", "FeedbackLink"), apps.get_model("links", "Link")
    _all_organisations(schema_editor, True)
    Link.objects.bulk_create(
        Link(
            id=old.id,
            organization_id=old.organization_id,
            from_type=ITEM,
            from_id=str(old.feedback_id),
            to_type=ITEM if old.target_type == "feedback" else old.target_type,
            to_id=old.target_id,
            to_label="" if old.target_type == "feedback" else old.target_label,
            created_by_id=old.created_by_id,
            created_at=old.created_at,
        )
        for old in FeedbackLink.objects.order_by("id").iterator()
    )
    _reset_sequence(schema_editor, Link._meta.db_table)
    _all_organisations(schema_editor, False)


def backwards(apps, schema_editor):
    FeedbackLink, Link = apps.get_model("feedback", "FeedbackLink"), apps.get_model("links", "Link")
    FeedbackItem = apps.get_model("feedback", "FeedbackItem")
    _all_organisations(schema_editor, True)
    references = dict(FeedbackItem.objects.values_list("id", "reference"))
    FeedbackLink.objects.bulk_create(
        FeedbackLink(
            id=link.id,
            organization_id=link.organization_id,
            feedback_id=int(link.from_id),
            target_type="feedback" if link.to_type == ITEM else link.to_type,
            target_id=link.to_id,
            target_label=references.get(int(link.to_id), "") if link.to_type == ITEM else link.to_label,
            created_by_id=link.created_by_id,
            created_at=link.created_at,
        )
        for link in Link.objects.filter(from_type=ITEM).order_by("id").iterator()
    )
    _reset_sequence(schema_editor, FeedbackLink._meta.db_table)
    _all_organisations(schema_editor, False)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0005_search_document_reads_customers_table"), ("links", "0001_initial")]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="FeedbackLink"),
    ]
