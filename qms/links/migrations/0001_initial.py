"""Links between any two records of one organisation (qms/links/models.py)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenancy', '0003_alter_membership_organization_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Link',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_type', models.CharField(max_length=100)),
                ('from_id', models.CharField(max_length=40)),
                ('to_type', models.CharField(max_length=100)),
                ('to_id', models.CharField(max_length=40)),
                ('to_label', models.CharField(blank=True, help_text='Shown when the linked record is not a model.', max_length=200)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.organization')),
            ],
            options={
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['organization', 'from_type', 'from_id'], name='link_from_idx'), models.Index(fields=['organization', 'to_type', 'to_id'], name='link_to_idx')],
                'constraints': [models.UniqueConstraint(fields=('organization', 'from_type', 'from_id', 'to_type', 'to_id'), name='link_once_per_direction')],
            },
        ),
    ]
