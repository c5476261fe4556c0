"""The feedback item's search-document trigger reads the customer's name from the renamed table (customers' 0002).

A PL/pgSQL function names its tables by text, so unlike the triggers and policies it does not follow a rename.
The function is replaced in place; the triggers that call it stay as they are. SQLite has no triggers here.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION feedback_item_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document := to_tsvector('english'::regconfig, concat_ws(' ', NEW.reference, NEW.text, NEW.product,
        NEW.submitter_name, (SELECT c.name FROM {table} c WHERE c.id = NEW.customer_id)));
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


def _replace(table):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FUNCTION.format(table=table), params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_customers_move_to_their_own_app"), ("customers", "0002_tables_renamed_in_place")]
    operations = [migrations.RunPython(_replace("customers_customer"), _replace("feedback_customer"))]
