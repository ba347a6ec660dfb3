"""Helpers for the back-office tests: records built through the real services."""

from datetime import time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from records import services
from records.models import (
    AttendanceRecord,
    ClassRoutine,
    ExamType,
    MarksRecord,
    Weekday,
)
from tests.factories import ClassRoutineFactory, SubjectFactory, last_weekday

# The smallest file `filetype` recognises as a PDF.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name="certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def document_for(student, *, kind="ssc_certificate", name="certificate.pdf"):
    return services.document_upload(
        student=student, kind=kind, uploaded_file=pdf_upload(name)
    )


def attendance_for(student, *, present: int, absent: int, subject=None):
    """``present + absent`` past Sunday classes of a subject for the student."""
    subject = subject or SubjectFactory(
        department=student.department, semester=student.semester
    )
    # One hour per slot, so several subjects of a class group do not clash.
    hour = 8 + ClassRoutine.objects.filter(session=student.session).count()
    ClassRoutineFactory(
        subject=subject,
        session=student.session,
        shift=student.shift,
        day_of_week=Weekday.SUNDAY,
        start_time=time(hour, 0),
        end_time=time(hour, 45),
    )
    day = last_weekday(Weekday.SUNDAY)

    for n in range(present + absent):
        services.attendance_record_save(
            record=AttendanceRecord(
                student=student,
                subject=subject,
                semester=student.semester,
                date=day - timedelta(weeks=n),
                is_present=n < present,
            )
        )
    return subject


def final_mark_for(student, *, subject, obtained, total=100, semester=None):
    return services.marks_record_save(
        record=MarksRecord(
            student=student,
            subject=subject,
            semester=semester or subject.semester,
            exam_type=ExamType.FINAL,
            marks_obtained=Decimal(obtained),
            total_marks=Decimal(total),
        )
    )
