# History tables keep the indexes they are read by (record id, version, time,
# batch, user); the copied fields lose theirs (records.models.RecordHistory).
# The activity log's user and department are indexed by its composite indexes.

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0009_dashboard_index_covers_id'),
    ]

    operations = [
        migrations.AlterField(
            model_name='activitylog',
            name='department',
            field=models.ForeignKey(blank=True, db_index=False, help_text="The department the record belongs to (for registrars' scope).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='records.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='activitylog',
            name='user',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AlterField(
            model_name='historicalacademicsession',
            name='name',
            field=models.CharField(max_length=20, validators=[django.core.validators.RegexValidator('^\\d{4}-\\d{2}$', 'Write the session as 2024-25.')], verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='historicalalumni',
            name='converted_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='converted by'),
        ),
        migrations.AlterField(
            model_name='historicalalumni',
            name='student',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.student', verbose_name='student'),
        ),
        migrations.AlterField(
            model_name='historicalattendancerecord',
            name='recorded_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.AlterField(
            model_name='historicalattendancerecord',
            name='student',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.student', verbose_name='student'),
        ),
        migrations.AlterField(
            model_name='historicalattendancerecord',
            name='subject',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.subject', verbose_name='subject'),
        ),
        migrations.AlterField(
            model_name='historicalclassroutine',
            name='department',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='historicalclassroutine',
            name='session',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.academicsession', verbose_name='session'),
        ),
        migrations.AlterField(
            model_name='historicalclassroutine',
            name='subject',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.subject', verbose_name='subject'),
        ),
        migrations.AlterField(
            model_name='historicalclassroutine',
            name='teacher',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.teacher', verbose_name='teacher'),
        ),
        migrations.AlterField(
            model_name='historicaldepartment',
            name='code',
            field=models.CharField(help_text='Short code used in roll and registration numbers, e.g. CST.', max_length=10, validators=[django.core.validators.RegexValidator('^[A-Z][A-Z0-9]{1,9}$', 'Use 2 to 10 capital letters or digits, starting with a letter, e.g. CST.')], verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='historicaldepartment',
            name='head',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.teacher', verbose_name='head teacher'),
        ),
        migrations.AlterField(
            model_name='historicaldepartment',
            name='name',
            field=models.CharField(max_length=150, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='historicaldocument',
            name='student',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.student', verbose_name='student'),
        ),
        migrations.AlterField(
            model_name='historicaldocument',
            name='uploaded_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by'),
        ),
        migrations.AlterField(
            model_name='historicalmarksrecord',
            name='recorded_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.AlterField(
            model_name='historicalmarksrecord',
            name='student',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.student', verbose_name='student'),
        ),
        migrations.AlterField(
            model_name='historicalmarksrecord',
            name='subject',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.subject', verbose_name='subject'),
        ),
        migrations.AlterField(
            model_name='historicalstudent',
            name='current_registration_number',
            field=models.CharField(editable=False, max_length=30, verbose_name='registration number'),
        ),
        migrations.AlterField(
            model_name='historicalstudent',
            name='current_roll_number',
            field=models.CharField(editable=False, max_length=30, verbose_name='roll number'),
        ),
        migrations.AlterField(
            model_name='historicalstudent',
            name='department',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='historicalstudent',
            name='session',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.academicsession', verbose_name='session'),
        ),
        migrations.AlterField(
            model_name='historicalstudent',
            name='status',
            field=models.CharField(choices=[('active', 'Active'), ('discontinued', 'Discontinued'), ('graduated', 'Graduated'), ('alumni', 'Alumni')], default='active', max_length=20, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='historicalstudent',
            name='user',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user account'),
        ),
        migrations.AlterField(
            model_name='historicalsubject',
            name='code',
            field=models.CharField(max_length=20, validators=[django.core.validators.RegexValidator('^[A-Z0-9][A-Z0-9-]{1,19}$', 'Use capital letters, digits and dashes, e.g. 66631 or CST-301.')], verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='historicalsubject',
            name='department',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='historicalteacher',
            name='department',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='historicalteacher',
            name='email',
            field=models.EmailField(max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='historicalteacher',
            name='user',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user account'),
        ),
    ]
