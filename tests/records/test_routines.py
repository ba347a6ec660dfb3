"""Class routines: no room, teacher or class-group clash; the error names the clash."""

from datetime import time

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from records import services
from records.models import ClassRoutine, Weekday
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    SubjectFactory,
    TeacherFactory,
)


@pytest.fixture
def slot(db):
    return ClassRoutineFactory(
        day_of_week=Weekday.SUNDAY,
        start_time=time(9, 0),
        end_time=time(9, 45),
        room_number="301",
        teacher=TeacherFactory(full_name_english="Nusrat Jahan"),
    )


def other_slot(slot, **overrides):
    subject = SubjectFactory(department=slot.department, semester=slot.semester + 1)
    fields = {
        "subject": subject,
        "department": slot.department,
        "semester": subject.semester,
        "shift": slot.shift,
        "session": slot.session,
        "day_of_week": slot.day_of_week,
        "start_time": time(9, 30),
        "end_time": time(10, 15),
        "room_number": "302",
    }
    fields.update(overrides)
    return fields


def test_same_room_overlapping_is_refused_naming_the_clash(slot):
    with pytest.raises(ValidationError) as info:
        services.routine_create(**other_slot(slot, room_number="301"))
    message = info.value.message_dict["room_number"][0]
    assert "Room 301 is already booked" in message
    assert "Sunday 09:00–09:45" in message
    assert slot.subject.code in message


def test_same_teacher_overlapping_is_refused(slot):
    with pytest.raises(ValidationError) as info:
        services.routine_create(**other_slot(slot, teacher=slot.teacher))
    assert "Nusrat Jahan already teaches then" in info.value.message_dict["teacher"][0]


def test_same_class_group_overlapping_is_refused(slot):
    subject = SubjectFactory(department=slot.department, semester=slot.semester)
    with pytest.raises(ValidationError) as info:
        services.routine_create(
            **other_slot(slot, subject=subject, semester=slot.semester)
        )
    assert "already has a class then" in info.value.message_dict[NON_FIELD_ERRORS][0]


def test_back_to_back_other_day_other_session_and_inactive_are_fine(slot):
    services.routine_create(
        **other_slot(
            slot, room_number="301", start_time=time(9, 45), end_time=time(10, 30)
        )
    )
    services.routine_create(
        **other_slot(slot, room_number="301", day_of_week=Weekday.MONDAY)
    )
    services.routine_create(
        **other_slot(slot, room_number="301", session=AcademicSessionFactory())
    )
    services.routine_create(**other_slot(slot, room_number="301", is_active=False))
    assert ClassRoutine.objects.count() == 5


def test_editing_a_slot_does_not_clash_with_itself(slot):
    services.routine_update(routine=slot, end_time=time(10, 0))
    slot.refresh_from_db()
    assert slot.end_time == time(10, 0)


class TestNoClashProperty(HypothesisTestCase):
    @given(
        slots=st.lists(
            st.tuples(
                st.integers(0, 4),  # day
                st.integers(8 * 4, 17 * 4),  # start in quarter hours
                st.integers(1, 8),  # length in quarter hours
                st.sampled_from(["101", "102"]),
            ),
            max_size=8,
        )
    )
    def test_stored_slots_never_overlap_in_a_room(self, slots):
        session = AcademicSessionFactory()
        for day, start, length, room in slots:
            subject = SubjectFactory()
            end = min(start + length, 23 * 4)
            try:
                services.routine_create(
                    subject=subject,
                    department=subject.department,
                    semester=subject.semester,
                    shift="morning",
                    session=session,
                    day_of_week=day,
                    start_time=time(start // 4, start % 4 * 15),
                    end_time=time(end // 4, end % 4 * 15),
                    room_number=room,
                )
            except ValidationError:
                pass
        stored = list(ClassRoutine.objects.all())
        for a in stored:
            for b in stored:
                if (
                    a.pk < b.pk
                    and a.room_number == b.room_number
                    and a.day_of_week == b.day_of_week
                ):
                    assert a.end_time <= b.start_time or b.end_time <= a.start_time
