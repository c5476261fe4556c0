"""Customers, contacts and import jobs now belong to customers/ (its 0001): drop them from this app's state and
point the feedback item's foreign keys at them there. Nothing changes in the database.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('feedback', '0003_alter_attachment_organization_and_more'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='feedbackitem',
                    name='contact',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='feedback', to='customers.contact'),
                ),
                migrations.RemoveField(
                    model_name='customer',
                    name='account_owner',
                ),
                migrations.RemoveField(
                    model_name='customer',
                    name='organization',
                ),
                migrations.AlterField(
                    model_name='feedbackitem',
                    name='customer',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='feedback', to='customers.customer'),
                ),
                migrations.RemoveField(
                    model_name='importjob',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='importjob',
                    name='organization',
                ),
                migrations.DeleteModel(
                    name='Contact',
                ),
                migrations.DeleteModel(
                    name='Customer',
                ),
                migrations.DeleteModel(
                    name='ImportJob',
                ),
            ],
            database_operations=[],
        ),
    ]
