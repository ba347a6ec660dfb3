# History tables keep the indexes they are read by (records.models.RecordHistory).

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0010_history_tables_lean_indexes'),
        ('workflows', '0005_admission_submitted_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='application_number',
            field=models.CharField(editable=False, max_length=30, verbose_name='application number'),
        ),
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='desired_department',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by'),
        ),
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='session',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.academicsession', verbose_name='session'),
        ),
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='stage',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='The stage waiting to act; empty once decided.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='workflows.workflowstage', verbose_name='stage'),
        ),
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('returned', 'Returned for more information'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], default='pending', max_length=20, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='student',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='Created when the application is approved.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.student', verbose_name='student'),
        ),
        migrations.AlterField(
            model_name='historicaladmissionapplication',
            name='user',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name="applicant's account"),
        ),
        migrations.AlterField(
            model_name='historicalcorrectionrequest',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by'),
        ),
        migrations.AlterField(
            model_name='historicalcorrectionrequest',
            name='stage',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='The stage waiting to act; empty once decided.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='workflows.workflowstage', verbose_name='stage'),
        ),
        migrations.AlterField(
            model_name='historicalcorrectionrequest',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('returned', 'Returned for more information'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], default='pending', max_length=20, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='historicalcorrectionrequest',
            name='student',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.student', verbose_name='student'),
        ),
        migrations.AlterField(
            model_name='historicalteachersignuprequest',
            name='department',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='historicalteachersignuprequest',
            name='email',
            field=models.EmailField(max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='historicalteachersignuprequest',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by'),
        ),
        migrations.AlterField(
            model_name='historicalteachersignuprequest',
            name='stage',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, help_text='The stage waiting to act; empty once decided.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='workflows.workflowstage', verbose_name='stage'),
        ),
        migrations.AlterField(
            model_name='historicalteachersignuprequest',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('returned', 'Returned for more information'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], default='pending', max_length=20, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='historicalteachersignuprequest',
            name='user',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='historicalteachersignuprequest',
            name='username',
            field=models.CharField(max_length=150, validators=[django.core.validators.MinLengthValidator(3)], verbose_name='username'),
        ),
    ]
