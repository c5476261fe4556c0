"""The directory's tables and indexes take the app's name, in place: ALTER TABLE ... RENAME keeps every row and id,
the foreign keys pointing at them, their row-level-security policy and their triggers (PostgreSQL keeps all of
these with the table, not its name). feedback's 0005 re-points the one function that named a table.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
    ]

    operations = [
        migrations.RenameIndex(
            model_name='contact',
            new_name='customers_c_organiz_39782d_idx',
            old_name='feedback_co_organiz_c7e523_idx',
        ),
        migrations.RenameIndex(
            model_name='contact',
            new_name='customers_c_organiz_a91520_idx',
            old_name='feedback_co_organiz_584c1f_idx',
        ),
        migrations.RenameIndex(
            model_name='customer',
            new_name='customers_c_organiz_484379_idx',
            old_name='feedback_cu_organiz_f0b185_idx',
        ),
        migrations.RenameIndex(
            model_name='customer',
            new_name='customers_c_organiz_9ff770_idx',
            old_name='feedback_cu_organiz_ca75d4_idx',
        ),
        migrations.RenameIndex(
            model_name='customer',
            new_name='customers_c_organiz_2de56d_idx',
            old_name='feedback_cu_organiz_db086b_idx',
        ),
        migrations.RenameIndex(
            model_name='importjob',
            new_name='customers_i_organiz_58f5c1_idx',
            old_name='feedback_im_organiz_587019_idx',
        ),
        migrations.AlterModelTable(
            name='contact',
            table=None,
        ),
        migrations.AlterModelTable(
            name='customer',
            table=None,
        ),
        migrations.AlterModelTable(
            name='importjob',
            table=None,
        ),
    ]
