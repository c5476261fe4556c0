"""The feedback item's search document also holds its contact's name, as the inbox's From column shows it.

The item's trigger function reads the contact's name beside the customer's. A third trigger, on the contact, rebuilds
its items' documents when the name changes: a rename, and an erasure, which replaces the name (the item is then no
longer found by the old one). It and the customer's trigger now only touch the items, whose own trigger rebuilds each
document from its current rows: the document is spelled out once. Every trigger runs as the writer under row-level
security (an item's contact and a contact's items are of the same organisation). Existing items are rebuilt, as the
owner role, which the policy exempts. SQLite has no triggers; its search reads the contact's name directly.
"""

from django.db import migrations

ITEM_FUNCTION = """
CREATE OR REPLACE FUNCTION feedback_item_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document := to_tsvector('english'::regconfig, concat_ws(' ', NEW.reference, NEW.text, NEW.product,
        NEW.submitter_name, (SELECT c.name FROM customers_customer c WHERE c.id = NEW.customer_id),
        {contact}));
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""
CONTACT_NAME = "(SELECT p.name FROM customers_contact p WHERE p.id = NEW.contact_id)"

FORWARDS = f"""
{ITEM_FUNCTION.format(contact=CONTACT_NAME)}
-- A renamed customer's items: touching them runs their own trigger, which reads the new name.
CREATE OR REPLACE FUNCTION feedback_customer_search_document() RETURNS trigger AS $$
BEGIN
    UPDATE feedback_feedbackitem i SET search_document = NULL WHERE i.customer_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION feedback_contact_search_document() RETURNS trigger AS $$
BEGIN
    UPDATE feedback_feedbackitem i SET search_document = NULL WHERE i.contact_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER feedback_contact_search_document AFTER UPDATE OF name ON customers_contact
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION feedback_contact_search_document();

UPDATE feedback_feedbackitem SET search_document = NULL WHERE contact_id IS NOT NULL;
"""

# As 0002 and 0005 left them.
BACKWARDS = f"""
DROP TRIGGER IF EXISTS feedback_contact_search_document ON customers_contact;
DROP FUNCTION IF EXISTS feedback_contact_search_document();
CREATE OR REPLACE FUNCTION feedback_customer_search_document() RETURNS trigger AS $$
BEGIN
    UPDATE feedback_feedbackitem i SET search_document = to_tsvector('english'::regconfig, concat_ws(' ',
        i.reference, i.text, i.product, i.submitter_name, NEW.name))
        WHERE i.customer_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
{ITEM_FUNCTION.format(contact="NULL")}
UPDATE feedback_feedbackitem SET search_document = NULL WHERE contact_id IS NOT NULL;
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("feedback", "0006_links_move_to_the_shared_table"), ("customers", "0002_tables_renamed_in_place")]
    operations = [migrations.RunPython(_run(FORWARDS), _run(BACKWARDS))]
