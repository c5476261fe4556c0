"""PostgreSQL: a stored, GIN-indexed text-search document for each feedback item, kept by triggers.

The inbox's search used to build every item's document at query time (2 s over 100,000 items). The document is
the item's reference, text, product and submitter name and its customer's name, so it is kept by two triggers:
one on the item (every insert and update, which also covers erasure replacing a name) and one on the customer
(a renamed customer's items). The column is not a model field: the ORM never reads or writes it, so lists do not
carry it; feedback/selectors/inbox.py queries it. Both triggers run as the writer, under row-level security: an
item's customer and a customer's items are always of the same organisation. SQLite keeps its word search.
"""

from django.db import migrations

DOCUMENT = (
    "to_tsvector('english'::regconfig, concat_ws(' ', {item}.reference, {item}.text, {item}.product, "
    "{item}.submitter_name, {customer_name}))"
)
CREATE = f"""
ALTER TABLE feedback_feedbackitem ADD COLUMN search_document tsvector;

CREATE FUNCTION feedback_item_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document := {DOCUMENT.format(
        item="NEW", customer_name="(SELECT c.name FROM feedback_customer c WHERE c.id = NEW.customer_id)"
    )};
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER feedback_item_search_document BEFORE INSERT OR UPDATE ON feedback_feedbackitem
    FOR EACH ROW EXECUTE FUNCTION feedback_item_search_document();

CREATE FUNCTION feedback_customer_search_document() RETURNS trigger AS $$
BEGIN
    UPDATE feedback_feedbackitem i SET search_document = {DOCUMENT.format(item="i", customer_name="NEW.name")}
        WHERE i.customer_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER feedback_customer_search_document AFTER UPDATE OF name ON feedback_customer
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION feedback_customer_search_document();

-- Existing items, of every organisation (row-level security is forced on the owner too).
SELECT set_config('app.cross_tenant', 'on', true);
UPDATE feedback_feedbackitem SET search_document = NULL;
SELECT set_config('app.cross_tenant', '', true);

CREATE INDEX feedback_item_search_gin ON feedback_feedbackitem USING gin (search_document);
"""
DROP = """
DROP INDEX IF EXISTS feedback_item_search_gin;
DROP TRIGGER IF EXISTS feedback_customer_search_document ON feedback_customer;
DROP FUNCTION IF EXISTS feedback_customer_search_document();
DROP TRIGGER IF EXISTS feedback_item_search_document ON feedback_feedbackitem;
DROP FUNCTION IF EXISTS feedback_item_search_document();
ALTER TABLE feedback_feedbackitem DROP COLUMN IF EXISTS search_document;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
