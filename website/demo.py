"""The demo institute: a believable polytechnic, built deterministically.

Everything is created through the same services users go through, and only
when missing, so running it twice changes nothing.
"""

import random
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction

from records import services
from records.models import AcademicSession, Department, Teacher, User
from records.roles import AccountStatus, Role

SEED = 20261123

DEPARTMENTS = [
    (
        "CST",
        "Computer Science and Technology",
        "কম্পিউটার সায়েন্স অ্যান্ড টেকনোলজি",
        "Computer",
    ),
    ("CT", "Civil Technology", "সিভিল টেকনোলজি", "Civil"),
    ("ET", "Electrical Technology", "ইলেকট্রিক্যাল টেকনোলজি", "Electrical"),
    ("MT", "Mechanical Technology", "মেকানিক্যাল টেকনোলজি", "Mechanical"),
    ("ENT", "Electronics Technology", "ইলেকট্রনিক্স টেকনোলজি", "Electronics"),
    ("PT", "Power Technology", "পাওয়ার টেকনোলজি", "Power"),
]

# (English, Bangla) given names and family names, common in Bangladesh.
MALE_GIVEN = [
    ("Abdur Rahim", "আব্দুর রহিম"),
    ("Mahmudul Hasan", "মাহমুদুল হাসান"),
    ("Shafiqul Islam", "শফিকুল ইসলাম"),
    ("Tanvir Ahmed", "তানভীর আহমেদ"),
    ("Rakibul Hasan", "রাকিবুল হাসান"),
    ("Kamrul Islam", "কামরুল ইসলাম"),
    ("Mizanur Rahman", "মিজানুর রহমান"),
    ("Arif Hossain", "আরিফ হোসেন"),
    ("Sabbir Rahman", "সাব্বির রহমান"),
    ("Nazmul Huda", "নাজমুল হুদা"),
]
FEMALE_GIVEN = [
    ("Rahima Khatun", "রহিমা খাতুন"),
    ("Nusrat Jahan", "নুসরাত জাহান"),
    ("Farzana Akter", "ফারজানা আক্তার"),
    ("Sharmin Sultana", "শারমিন সুলতানা"),
    ("Tahmina Begum", "তাহমিনা বেগম"),
    ("Shirin Akter", "শিরিন আক্তার"),
    ("Jannatul Ferdous", "জান্নাতুল ফেরদৌস"),
    ("Sumaiya Islam", "সুমাইয়া ইসলাম"),
]
FAMILY = [
    ("Chowdhury", "চৌধুরী"),
    ("Sarkar", "সরকার"),
    ("Talukder", "তালুকদার"),
    ("Mia", "মিয়া"),
    ("Bhuiyan", "ভূঁইয়া"),
    ("Khan", "খান"),
    ("Sheikh", "শেখ"),
    ("Mollah", "মোল্লা"),
    ("Howlader", "হাওলাদার"),
    ("Pramanik", "প্রামানিক"),
]
DESIGNATIONS = [
    "Chief Instructor",
    "Instructor",
    "Instructor",
    "Junior Instructor",
    "Junior Instructor",
]
TEACHERS_PER_DEPARTMENT = 5


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    name: str


DEMO_USERS = [
    DemoLogin(Role.INSTITUTE_HEAD, "head", "Shafiqul Islam Chowdhury"),
    DemoLogin(Role.REGISTRAR, "registrar", "Rahima Khatun"),
    DemoLogin(Role.TEACHER, "teacher", "Tanvir Ahmed Sarkar"),
    DemoLogin(Role.CAPTAIN, "captain", "Nusrat Jahan Mia"),
    DemoLogin(Role.STUDENT, "student", "Arif Hossain Talukder"),
]


def current_session_bounds(today: date) -> tuple[str, date, date]:
    """Sessions run July to June: on 2026-11-23 the session is 2026-27."""
    start_year = today.year if today.month >= 7 else today.year - 1
    name = f"{start_year}-{(start_year + 1) % 100:02d}"
    return name, date(start_year, 7, 1), date(start_year + 1, 6, 30)


def _person_name(rng: random.Random) -> tuple[str, str]:
    given = rng.choice(MALE_GIVEN + FEMALE_GIVEN)
    family = rng.choice(FAMILY)
    return f"{given[0]} {family[0]}", f"{given[1]} {family[1]}"


def _mobile(rng: random.Random) -> str:
    return f"01{rng.choice('3456789')}{rng.randrange(10**8):08d}"


@transaction.atomic
def build_demo_institute(*, today: date | None = None) -> list[DemoLogin]:
    rng = random.Random(SEED)
    today = today or date.today()

    departments = {}
    for code, name, name_bn, short in DEPARTMENTS:
        department = Department.objects.filter(code=code).first()
        if department is None:
            department = services.department_create(
                code=code, name=name, name_bangla=name_bn, short_name=short
            )
        departments[code] = department

    session_name, start, end = current_session_bounds(today)
    if not AcademicSession.objects.filter(name=session_name).exists():
        services.academic_session_create(
            name=session_name, start_date=start, end_date=end, is_current=True
        )

    users = {}
    for login in DEMO_USERS:
        user = User.objects.filter(username=login.username).first()
        if user is None:
            first, _sep, last = login.name.rpartition(" ")
            user = services.user_create(
                username=login.username,
                password=settings.CAMPUSDESK_DEMO_PASSWORD,
                role=login.role,
                email=f"{login.username}@demo.campusdesk.edu.bd",
                first_name=first,
                last_name=last,
            )
            if user.account_status != AccountStatus.ACTIVE:
                # The demo teacher has been approved by the head already.
                user = services.user_set_account_status(
                    user=user, account_status=AccountStatus.ACTIVE
                )
        users[login.username] = user

    for code, department in departments.items():
        for index in range(TEACHERS_PER_DEPARTMENT):
            english, bangla = _person_name(rng)
            email = f"{code.lower()}.teacher{index + 1}@demo.campusdesk.edu.bd"
            mobile = _mobile(rng)
            joined = date(
                2010 + rng.randrange(15), rng.randrange(1, 13), rng.randrange(1, 28)
            )
            if Teacher.objects.filter(email=email).exists():
                continue
            user = users["teacher"] if (code == "CST" and index == 1) else None
            if user is not None:
                first, last = user.first_name, user.last_name
                english = f"{first} {last}"
                bangla = "তানভীর আহমেদ সরকার"
            teacher = services.teacher_create(
                full_name_english=english,
                full_name_bangla=bangla,
                designation=DESIGNATIONS[index],
                department=department,
                email=email,
                mobile_number=mobile,
                joining_date=joined,
                qualifications="B.Sc. in Engineering\nDiploma in Engineering",
                user=user,
            )
            if index == 0 and department.head_id is None:
                department.head = teacher
                department.save(update_fields=["head"])
    return DEMO_USERS
