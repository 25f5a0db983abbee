# The patient search matches names, email and phone by substring (UPPER(column) LIKE UPPER('%term%')) and the chart
# number whole (UPPER(chart_number) = UPPER(term)): a trigram GIN index over exactly each of those expressions
# serves every arm of its OR, and a date-of-birth index the arm for a term that is a date.
#
# pg_trgm is a trusted extension (PostgreSQL 13 and later), so the owner role that runs migrations creates it
# without being a superuser, as it does btree_gist (docs/database-roles.md).

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0002_birth_dates_from_1900'),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name='patient',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('legal_first_name'), name='gin_trgm_ops'), fastupdate=False, name='patient_first_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('legal_last_name'), name='gin_trgm_ops'), fastupdate=False, name='patient_last_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('preferred_name'), name='gin_trgm_ops'), fastupdate=False, name='patient_preferred_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('email'), name='gin_trgm_ops'), fastupdate=False, name='patient_email_trgm'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('phone'), name='gin_trgm_ops'), fastupdate=False, name='patient_phone_trgm'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('chart_number'), name='gin_trgm_ops'), fastupdate=False, name='patient_chart_number_trgm'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['date_of_birth'], name='patient_birth_date'),
        ),
    ]
