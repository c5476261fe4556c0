"""Customers, contacts and import jobs move from feedback/ to their own app: in Django's state only.

The tables stay where they are, with every row, id, index, constraint, row-level-security policy and trigger;
0002 then renames them (and their indexes) in place. feedback's 0004 drops the models from its own state.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('feedback', '0003_alter_attachment_organization_and_more'),
        ('tenancy', '0003_alter_membership_organization_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Customer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('organisation', 'Organisation'), ('person', 'Person')], default='organisation', max_length=16)),
                        ('name', models.CharField(max_length=200)),
                        ('segment', models.CharField(blank=True, max_length=100)),
                        ('region', models.CharField(blank=True, max_length=100)),
                        ('external_ref', models.CharField(blank=True, max_length=100, verbose_name='external reference')),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('archived_at', models.DateTimeField(blank=True, null=True)),
                        ('account_owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.organization')),
                    ],
                    options={
                        'db_table': 'feedback_customer',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Contact',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('email', models.EmailField(blank=True, max_length=254)),
                        ('phone', models.CharField(blank=True, max_length=40)),
                        ('preferred_language', models.CharField(blank=True, default='en', max_length=10)),
                        ('consent', models.CharField(choices=[('unknown', 'Not asked'), ('granted', 'Consented'), ('opted_out', 'Opted out')], default='unknown', max_length=16)),
                        ('consent_changed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('erased_at', models.DateTimeField(blank=True, help_text='Personal data erased on request.', null=True)),
                        ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.organization')),
                        ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='customers.customer')),
                    ],
                    options={
                        'db_table': 'feedback_contact',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='ImportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file', models.FileField(upload_to='imports/')),
                        ('original_name', models.CharField(max_length=255)),
                        ('status', models.CharField(choices=[('validating', 'Checking the file'), ('preview', 'Ready to import'), ('invalid', 'File could not be read'), ('importing', 'Importing'), ('done', 'Imported'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='validating', max_length=16)),
                        ('mode', models.CharField(choices=[('all', 'Import only if every row is valid'), ('valid_only', 'Import the valid rows, skip the others')], default='all', max_length=16)),
                        ('total_rows', models.PositiveIntegerField(default=0)),
                        ('processed_rows', models.PositiveIntegerField(default=0)),
                        ('valid_rows', models.PositiveIntegerField(default=0)),
                        ('error_rows', models.PositiveIntegerField(default=0)),
                        ('errors', models.JSONField(blank=True, default=list, help_text='[{row, column, message}], the first 1000.')),
                        ('summary', models.JSONField(blank=True, default=dict)),
                        ('message', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.organization')),
                    ],
                    options={
                        'db_table': 'feedback_importjob',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.AddIndex(
                    model_name='customer',
                    index=models.Index(fields=['organization', 'name'], name='feedback_cu_organiz_f0b185_idx'),
                ),
                migrations.AddIndex(
                    model_name='customer',
                    index=models.Index(fields=['organization', 'segment'], name='feedback_cu_organiz_ca75d4_idx'),
                ),
                migrations.AddIndex(
                    model_name='customer',
                    index=models.Index(fields=['organization', 'region'], name='feedback_cu_organiz_db086b_idx'),
                ),
                migrations.AddConstraint(
                    model_name='customer',
                    constraint=models.UniqueConstraint(condition=models.Q(('external_ref', ''), _negated=True), fields=('organization', 'external_ref'), name='customer_external_ref_unique'),
                ),
                migrations.AddIndex(
                    model_name='contact',
                    index=models.Index(fields=['organization', 'customer'], name='feedback_co_organiz_c7e523_idx'),
                ),
                migrations.AddIndex(
                    model_name='contact',
                    index=models.Index(fields=['organization', 'name'], name='feedback_co_organiz_584c1f_idx'),
                ),
                migrations.AddConstraint(
                    model_name='contact',
                    constraint=models.UniqueConstraint(condition=models.Q(models.Q(('email', ''), _negated=True), ('erased_at__isnull', True)), fields=('organization', 'email'), name='contact_email_unique'),
                ),
                migrations.AddIndex(
                    model_name='importjob',
                    index=models.Index(fields=['organization', 'created_at'], name='feedback_im_organiz_587019_idx'),
                ),
            ],
            database_operations=[],
        ),
    ]
