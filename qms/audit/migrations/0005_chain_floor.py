"""The chain's end is the database's to keep: TRUNCATE of the events is refused for every role (a statement
trigger), and the chain head advances only by a trigger on each new event, which checks that the event extends
the chain; the application role may read the head and start one, never change it (qms/tenancy/rls.py revokes)."""

from django.db import migrations

CREATE = """
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();

CREATE OR REPLACE FUNCTION audit_chain_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    head record;
BEGIN
    SELECT seq, hash INTO head FROM audit_auditchainhead WHERE organization_id = NEW.organization_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organisation % has no audit chain', NEW.organization_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
        RAISE EXCEPTION 'audit event % does not extend the chain, whose head is event %', NEW.seq, head.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    UPDATE audit_auditchainhead SET seq = NEW.seq, hash = NEW.hash WHERE organization_id = NEW.organization_id;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION audit_chain_advance() FROM PUBLIC;
CREATE TRIGGER audit_event_advances_head BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_chain_advance();

CREATE OR REPLACE FUNCTION audit_head_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' OR (TG_OP = 'UPDATE' AND pg_trigger_depth() < 2) OR TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head moves only with a new event: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_refuse_change();
CREATE TRIGGER audit_head_moves_with_events BEFORE UPDATE OR DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_refuse_change();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_head_moves_with_events ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;
DROP FUNCTION IF EXISTS audit_head_refuse_change();
DROP TRIGGER IF EXISTS audit_event_advances_head ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_chain_advance();
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_alter_auditevent_organization_and_more")]
    operations = [migrations.RunPython(forwards, backwards)]
