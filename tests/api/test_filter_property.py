"""Property 11 on the student list: any combination of filters returns exactly
the students matching all of them."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.models import Shift, Student, StudentStatus


@pytest.mark.django_db
def test_any_filter_combination_matches_exactly(api, institute):
    api.force_login(institute.head)
    students = list(Student.objects.all())
    choices = {
        "department": [institute.department_a.pk, institute.department_b.pk],
        "semester": [1, 3],
        "shift": [Shift.MORNING, Shift.DAY],
        "session": [institute.session.pk, institute.other_session.pk],
        "status": [StudentStatus.ACTIVE, StudentStatus.DISCONTINUED],
    }
    attribute = {"department": "department_id", "session": "session_id"}

    @settings(
        max_examples=40,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        deadline=None,
    )
    @given(
        st.fixed_dictionaries(
            {},
            optional={
                name: st.sampled_from(values) for name, values in choices.items()
            },
        )
    )
    def check(filters):
        response = api.get("/api/v1/students/", filters)
        assert response.status_code == 200
        got = {row["id"] for row in response.json()["results"]}
        expected = {
            s.pk
            for s in students
            if all(
                getattr(s, attribute.get(name, name)) == value
                for name, value in filters.items()
            )
        }
        assert got == expected

    check()
