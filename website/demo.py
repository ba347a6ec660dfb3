"""The demo institute: a believable polytechnic, built deterministically.

Everything is created through the same services users go through, and only
when missing, so running it twice changes nothing. The shape:

- 6 departments, the current session, 10 teachers per department;
- 5-6 subjects per department and semester (codes like ``CST-301``);
- a clash-free weekly routine (Sunday to Thursday) for each of the 96 class
  groups (6 departments x 8 semesters x 2 shifts);
- about 2,000 students with Bangla and English names, parents, Bangladeshi
  mobiles, addresses and SSC results;
- a graduating cohort with final results for semesters 1-8, converted to
  alumni; the last weeks of attendance (some students below 75 %);
  midterm, assignment and practical marks (some failing); a few students
  discontinued part-way, with their reasons.

The size is a parameter (``students_per_group``) so tests can build a small
institute of the same shape.
"""

from __future__ import annotations

import random
import time as time_module
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from records import services
from records.models import (
    SEMESTERS,
    AcademicSession,
    Alumni,
    AttendanceRecord,
    BloodGroup,
    ClassRoutine,
    Department,
    Division,
    EducationBoard,
    ExamGroup,
    ExamType,
    Gender,
    MarksRecord,
    PreviousExam,
    Religion,
    Shift,
    Student,
    StudentStatus,
    Subject,
    Teacher,
    User,
    Weekday,
)
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

# (English, Bangla) given names and family names, common in Bangladesh. The
# first teachers are drawn from these lists, so they stay as they are; the
# students draw from the longer lists below.
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
STUDENT_MALE_GIVEN = [
    *MALE_GIVEN,
    ("Md. Sakib Hasan", "মোঃ সাকিব হাসান"),
    ("Md. Rifat Hossain", "মোঃ রিফাত হোসেন"),
    ("Md. Imran Hossain", "মোঃ ইমরান হোসেন"),
    ("Md. Jahid Hasan", "মোঃ জাহিদ হাসান"),
    ("Md. Shahadat Hossain", "মোঃ শাহাদাত হোসেন"),
    ("Md. Ashikur Rahman", "মোঃ আশিকুর রহমান"),
    ("Md. Nayeem Islam", "মোঃ নাঈম ইসলাম"),
    ("Md. Sohel Rana", "মোঃ সোহেল রানা"),
    ("Md. Mehedi Hasan", "মোঃ মেহেদী হাসান"),
    ("Md. Rasel Mia", "মোঃ রাসেল মিয়া"),
    ("Md. Shakil Ahmed", "মোঃ শাকিল আহমেদ"),
    ("Md. Hasibul Islam", "মোঃ হাসিবুল ইসলাম"),
    ("Tanjim Ahmed", "তানজিম আহমেদ"),
    ("Fahim Faisal", "ফাহিম ফয়সাল"),
    ("Minhazul Abedin", "মিনহাজুল আবেদীন"),
    ("Rashedul Karim", "রাশেদুল করিম"),
    ("Ariful Islam", "আরিফুল ইসলাম"),
    ("Sajjad Hossain", "সাজ্জাদ হোসেন"),
    ("Tareq Aziz", "তারেক আজিজ"),
    ("Mushfiqur Rahim", "মুশফিকুর রহিম"),
    ("Al Amin", "আল আমিন"),
    ("Emon Ali", "ইমন আলী"),
    ("Shanto Islam", "শান্ত ইসলাম"),
    ("Abu Bakar Siddik", "আবু বকর সিদ্দিক"),
    ("Omar Faruk", "ওমর ফারুক"),
    ("Monirul Islam", "মনিরুল ইসলাম"),
]
STUDENT_FEMALE_GIVEN = [
    *FEMALE_GIVEN,
    ("Mst. Sadia Afrin", "মোসাঃ সাদিয়া আফরিন"),
    ("Mst. Tania Akter", "মোসাঃ তানিয়া আক্তার"),
    ("Mst. Mim Akter", "মোসাঃ মীম আক্তার"),
    ("Sanjida Islam", "সানজিদা ইসলাম"),
    ("Afsana Mimi", "আফসানা মিমি"),
    ("Lamia Akter", "লামিয়া আক্তার"),
    ("Fatema Tuz Zohra", "ফাতেমা তুজ জোহরা"),
    ("Tasnim Jahan", "তাসনিম জাহান"),
    ("Nafisa Anjum", "নাফিসা আনজুম"),
    ("Sabrina Yasmin", "সাবরিনা ইয়াসমিন"),
    ("Ayesha Siddika", "আয়েশা সিদ্দিকা"),
    ("Umme Habiba", "উম্মে হাবিবা"),
    ("Israt Jahan", "ইসরাত জাহান"),
    ("Rumana Afroz", "রুমানা আফরোজ"),
]
STUDENT_FAMILY = [
    *FAMILY,
    ("Hossain", "হোসেন"),
    ("Rahman", "রহমান"),
    ("Uddin", "উদ্দিন"),
    ("Ali", "আলী"),
    ("Akand", "আকন্দ"),
    ("Mondal", "মন্ডল"),
    ("Prodhan", "প্রধান"),
    ("Miah", "মিঞা"),
    ("Sikder", "শিকদার"),
    ("Munshi", "মুন্সী"),
]
# Hindu students keep their own given and family names.
HINDU_MALE_GIVEN = [
    ("Sourav", "সৌরভ"),
    ("Pritom", "প্রীতম"),
    ("Anik", "অনিক"),
    ("Dipankar", "দীপঙ্কর"),
    ("Joy", "জয়"),
    ("Subrata", "সুব্রত"),
    ("Partha", "পার্থ"),
    ("Rajib", "রাজীব"),
]
HINDU_FEMALE_GIVEN = [
    ("Priya", "প্রিয়া"),
    ("Mitu", "মিতু"),
    ("Tanushree", "তনুশ্রী"),
    ("Shampa", "শম্পা"),
    ("Papiya", "পাপিয়া"),
]
HINDU_FAMILY = [
    ("Das", "দাস"),
    ("Roy", "রায়"),
    ("Saha", "সাহা"),
    ("Paul", "পাল"),
    ("Ghosh", "ঘোষ"),
    ("Dey", "দে"),
    ("Biswas", "বিশ্বাস"),
    ("Chakraborty", "চক্রবর্তী"),
]
FATHER_GIVEN = [
    "Md. Abdul Karim",
    "Md. Abdul Jalil",
    "Md. Nurul Islam",
    "Md. Abul Kalam",
    "Md. Shahidul Islam",
    "Md. Anwar Hossain",
    "Md. Delwar Hossain",
    "Md. Mofizur Rahman",
    "Md. Harun-or-Rashid",
    "Md. Jamal Uddin",
    "Md. Abdus Sattar",
    "Md. Rafiqul Islam",
]
MOTHER_GIVEN = [
    "Mst. Rokeya Begum",
    "Mst. Rashida Begum",
    "Mst. Hasina Akter",
    "Mst. Nasima Khatun",
    "Mst. Fatema Begum",
    "Mst. Shahnaz Parvin",
    "Mst. Morjina Begum",
    "Mst. Salma Khatun",
    "Mst. Anowara Begum",
    "Mst. Kohinur Akter",
]
HINDU_FATHER_GIVEN = ["Sunil", "Nitai", "Gopal", "Haripada", "Shyamal", "Ratan"]
HINDU_MOTHER_GIVEN = ["Shefali", "Anjali", "Kalpana", "Minati", "Sandhya", "Gita"]

# district -> (division, education board, upazilas)
DISTRICTS = [
    ("Gazipur", Division.DHAKA, EducationBoard.DHAKA, ["Kaliakair", "Sreepur"]),
    ("Tangail", Division.DHAKA, EducationBoard.DHAKA, ["Mirzapur", "Sakhipur"]),
    ("Narsingdi", Division.DHAKA, EducationBoard.DHAKA, ["Shibpur", "Raipura"]),
    ("Manikganj", Division.DHAKA, EducationBoard.DHAKA, ["Singair", "Saturia"]),
    (
        "Mymensingh",
        Division.MYMENSINGH,
        EducationBoard.MYMENSINGH,
        ["Trishal", "Bhaluka"],
    ),
    (
        "Jamalpur",
        Division.MYMENSINGH,
        EducationBoard.MYMENSINGH,
        ["Melandaha", "Sarishabari"],
    ),
    (
        "Netrokona",
        Division.MYMENSINGH,
        EducationBoard.MYMENSINGH,
        ["Kendua", "Purbadhala"],
    ),
    ("Bogura", Division.RAJSHAHI, EducationBoard.RAJSHAHI, ["Sherpur", "Shibganj"]),
    (
        "Sirajganj",
        Division.RAJSHAHI,
        EducationBoard.RAJSHAHI,
        ["Ullapara", "Shahjadpur"],
    ),
    ("Pabna", Division.RAJSHAHI, EducationBoard.RAJSHAHI, ["Ishwardi", "Sujanagar"]),
    ("Rangpur", Division.RANGPUR, EducationBoard.DINAJPUR, ["Mithapukur", "Pirganj"]),
    ("Dinajpur", Division.RANGPUR, EducationBoard.DINAJPUR, ["Birganj", "Phulbari"]),
    ("Kurigram", Division.RANGPUR, EducationBoard.DINAJPUR, ["Ulipur", "Nageshwari"]),
    (
        "Jashore",
        Division.KHULNA,
        EducationBoard.JASHORE,
        ["Jhikargachha", "Manirampur"],
    ),
    ("Kushtia", Division.KHULNA, EducationBoard.JASHORE, ["Kumarkhali", "Mirpur"]),
    ("Cumilla", Division.CHATTOGRAM, EducationBoard.CUMILLA, ["Chandina", "Daudkandi"]),
    ("Noakhali", Division.CHATTOGRAM, EducationBoard.CUMILLA, ["Begumganj", "Senbagh"]),
    (
        "Chattogram",
        Division.CHATTOGRAM,
        EducationBoard.CHATTOGRAM,
        ["Sitakunda", "Patiya"],
    ),
    ("Barishal", Division.BARISHAL, EducationBoard.BARISHAL, ["Bakerganj", "Gournadi"]),
    (
        "Patuakhali",
        Division.BARISHAL,
        EducationBoard.BARISHAL,
        ["Galachipa", "Kalapara"],
    ),
    ("Sylhet", Division.SYLHET, EducationBoard.SYLHET, ["Beanibazar", "Golapganj"]),
    ("Habiganj", Division.SYLHET, EducationBoard.SYLHET, ["Nabiganj", "Madhabpur"]),
]
VILLAGES = [
    "Uttarpara",
    "Dakshinpara",
    "Madhyapara",
    "Purbapara",
    "Rampur",
    "Shibpur",
    "Kalikapur",
    "Hazipur",
    "Nayanpur",
    "Goalbari",
    "Sonatola",
    "Chandpur",
    "Kashimpur",
    "Baliadanga",
    "Dighirpar",
    "Char Kalibari",
    "Nischintapur",
    "Fulbaria",
]
# Students from further away live in a mess or the hostel near the institute.
TOWN_ADDRESSES = [
    ("Polytechnic Hostel, Block B", "Mymensingh", "Mymensingh Sadar"),
    ("Maskanda, Polytechnic Road", "Mymensingh", "Mymensingh Sadar"),
    ("Kewatkhali, Ananda Mess", "Mymensingh", "Mymensingh Sadar"),
    ("Shankipara, Nirala Chhatrabas", "Mymensingh", "Mymensingh Sadar"),
]

TEACHER_DESIGNATIONS = [
    "Chief Instructor",
    "Instructor",
    "Instructor",
    "Junior Instructor",
    "Junior Instructor",
]
DESIGNATIONS = TEACHER_DESIGNATIONS  # the name the first version used
EXTRA_DESIGNATIONS = [
    "Instructor",
    "Junior Instructor",
    "Junior Instructor",
    "Craft Instructor",
    "Craft Instructor",
]
TEACHERS_PER_DEPARTMENT = 5  # the first teachers, as the demo always had them
EXTRA_TEACHERS_PER_DEPARTMENT = 5  # enough to staff a clash-free routine

DEFAULT_STUDENTS_PER_GROUP = 21  # 96 class groups x 21 = 2,016 students
ALUMNI_PER_DEPARTMENT_SHIFT = 2
DISCONTINUED_SHARE = 0.025
LOW_ATTENDANCE_SHARE = 0.08
ATTENDANCE_WEEKS = 4

# --- Subjects -------------------------------------------------------------------

# Subjects without a lab or workshop part.
THEORY_ONLY = {
    "Bangla-I",
    "Bangla-II",
    "English-I",
    "English-II",
    "Mathematics-I",
    "Mathematics-II",
    "Mathematics-III",
    "Social Science",
    "Business Communication",
    "Accounting",
    "Industrial Management",
    "Environmental Studies",
    "Innovation and Entrepreneurship",
    "Professional Ethics",
}
SUBJECT_BANGLA = {
    "Bangla-I": "বাংলা-১",
    "Bangla-II": "বাংলা-২",
    "English-I": "ইংরেজি-১",
    "English-II": "ইংরেজি-২",
    "Mathematics-I": "গণিত-১",
    "Mathematics-II": "গণিত-২",
    "Mathematics-III": "গণিত-৩",
    "Physics-I": "পদার্থবিজ্ঞান-১",
    "Physics-II": "পদার্থবিজ্ঞান-২",
    "Chemistry": "রসায়ন",
    "Social Science": "সামাজিক বিজ্ঞান",
    "Accounting": "হিসাববিজ্ঞান",
    "Industrial Management": "শিল্প ব্যবস্থাপনা",
    "Environmental Studies": "পরিবেশ বিজ্ঞান",
    "Innovation and Entrepreneurship": "উদ্ভাবন ও উদ্যোক্তা উন্নয়ন",
    "Professional Ethics": "পেশাগত নৈতিকতা",
    "Computer Application": "কম্পিউটার অ্যাপ্লিকেশন",
}
_CORE = {
    1: ["Bangla-I", "English-I", "Mathematics-I", "Physics-I"],
    2: ["English-II", "Mathematics-II", "Physics-II", "Social Science"],
    3: ["Mathematics-III", "Chemistry"],
    4: ["Accounting"],
    5: ["Industrial Management"],
    6: ["Environmental Studies"],
    7: ["Innovation and Entrepreneurship"],
    8: ["Professional Ethics"],
}
# Each department's own subjects per semester; with the core subjects above
# they make 5 or 6 a semester.
_TECHNICAL = {
    "CST": {
        1: ["Computer Office Application", "Basic Electricity"],
        2: ["Python Programming"],
        3: [
            "Object Oriented Programming",
            "Web Design",
            "Computer Graphics Design",
            "Business Communication",
        ],
        4: [
            "Data Structure and Algorithm",
            "Operating System",
            "Computer Architecture and Microprocessor",
            "Java Programming",
            "Digital Electronics",
        ],
        5: [
            "Database Management System",
            "Data Communication",
            "Web Development Project",
            "Computer Peripherals and Interfacing",
        ],
        6: [
            "Computer Networking",
            "Software Engineering",
            "Microcontroller Application",
            "Multimedia and Animation",
            "Web Programming with PHP",
        ],
        7: [
            "Network Administration and Services",
            "Cyber Security and Ethics",
            "Apps Development",
            "Project Work-I",
        ],
        8: [
            "Project Work-II",
            "Cloud Computing",
            "Embedded Systems and IoT",
            "Digital Marketing Technique",
            "Industrial Attachment",
        ],
    },
    "CT": {
        1: ["Engineering Drawing", "Basic Workshop Practice"],
        2: ["Construction Materials"],
        3: ["Surveying-I", "Construction Process", "Computer Application"],
        4: [
            "Surveying-II",
            "Structural Mechanics",
            "Hydraulics",
            "Civil Drawing with AutoCAD",
            "Estimating and Costing-I",
        ],
        5: [
            "Soil Mechanics",
            "Design of Structure-I",
            "Transportation Engineering-I",
            "Water Supply Engineering",
        ],
        6: [
            "Design of Structure-II",
            "Transportation Engineering-II",
            "Sanitary Engineering",
            "Irrigation Engineering",
            "Estimating and Costing-II",
        ],
        7: [
            "Foundation Engineering",
            "Steel Structure Design",
            "Construction Management",
            "Project Work-I",
        ],
        8: [
            "Project Work-II",
            "Bridge Engineering",
            "Advanced Surveying with GIS and GPS",
            "Building Services",
            "Industrial Attachment",
        ],
    },
    "ET": {
        1: ["Basic Electricity", "Engineering Drawing"],
        2: ["Electrical Circuits-I"],
        3: [
            "Electrical Circuits-II",
            "Electrical Installation and Planning",
            "Computer Application",
        ],
        4: [
            "DC Machines",
            "Electrical Measurements-I",
            "Electronic Devices and Circuits",
            "Digital Electronics",
            "Electrical Appliances",
        ],
        5: [
            "AC Machines-I",
            "Generation of Electrical Power",
            "Electrical Measurements-II",
            "Power Electronics",
        ],
        6: [
            "AC Machines-II",
            "Transmission and Distribution",
            "Switchgear and Protection",
            "Microprocessor and Microcontroller",
            "Electrical Estimating and Costing",
        ],
        7: [
            "Utilization of Electrical Power",
            "Programmable Logic Controller",
            "Renewable Energy",
            "Project Work-I",
        ],
        8: [
            "Project Work-II",
            "Power System Operation and Control",
            "Industrial Automation",
            "Substation Operation",
            "Industrial Attachment",
        ],
    },
    "MT": {
        1: ["Engineering Drawing", "Basic Workshop Practice"],
        2: ["Engineering Materials"],
        3: ["Machine Shop Practice-I", "Engineering Mechanics", "Computer Application"],
        4: [
            "Machine Shop Practice-II",
            "Thermal Engineering-I",
            "Strength of Materials",
            "Mechanical Drafting with CAD",
            "Welding-I",
        ],
        5: [
            "Thermal Engineering-II",
            "Fluid Mechanics",
            "Machine Design-I",
            "Metrology and Measurement",
        ],
        6: [
            "Hydraulic Machines",
            "Machine Design-II",
            "Refrigeration and Air Conditioning",
            "Production Planning and Control",
            "CNC Machining",
        ],
        7: [
            "Power Plant Engineering",
            "Industrial Robotics",
            "Maintenance Engineering",
            "Project Work-I",
        ],
        8: [
            "Project Work-II",
            "Mechatronics",
            "Plant Layout and Material Handling",
            "Quality Control",
            "Industrial Attachment",
        ],
    },
    "ENT": {
        1: ["Basic Electricity", "Engineering Drawing"],
        2: ["Basic Electronics"],
        3: [
            "Electronic Devices and Circuits",
            "Digital Electronics-I",
            "Computer Application",
        ],
        4: [
            "Digital Electronics-II",
            "Communication Engineering-I",
            "Industrial Electronics",
            "Programming in C",
            "Electronic Measurement and Instrumentation",
        ],
        5: [
            "Communication Engineering-II",
            "Microprocessor and Interfacing",
            "Audio and Video Systems",
            "PCB Design",
        ],
        6: [
            "Microcontroller Based System Design",
            "Data Communication",
            "Power Electronics",
            "Antenna and Wave Propagation",
            "Television and Display Technology",
        ],
        7: [
            "Mobile and Wireless Communication",
            "Biomedical Instrumentation",
            "Control System",
            "Project Work-I",
        ],
        8: [
            "Project Work-II",
            "Embedded Systems",
            "Internet of Things",
            "Optical Fibre Communication",
            "Industrial Attachment",
        ],
    },
    "PT": {
        1: ["Basic Electricity", "Basic Workshop Practice"],
        2: ["Engineering Drawing"],
        3: ["Applied Thermodynamics", "Electrical Circuits", "Computer Application"],
        4: [
            "Internal Combustion Engines",
            "Fluid Mechanics and Machinery",
            "DC Machines",
            "Mechanical Drafting with CAD",
            "Welding Practice",
        ],
        5: [
            "Steam Power Plant",
            "AC Machines",
            "Heat Transfer",
            "Automobile Engineering",
        ],
        6: [
            "Diesel Power Plant",
            "Gas Turbine Power Plant",
            "Hydro Power Plant",
            "Switchgear and Protection",
            "Refrigeration and Air Conditioning",
        ],
        7: [
            "Power Plant Instrumentation and Control",
            "Renewable Energy Technology",
            "Power Plant Maintenance",
            "Project Work-I",
        ],
        8: [
            "Project Work-II",
            "Energy Management and Audit",
            "Power System Protection",
            "Nuclear Power Plant Fundamentals",
            "Industrial Attachment",
        ],
    },
}


@dataclass(frozen=True)
class SubjectSpec:
    code: str
    name: str
    name_bangla: str
    semester: int
    credits: Decimal
    practical: bool


def subject_specs(department_code: str) -> list[SubjectSpec]:
    """The department's curriculum: 5-6 subjects a semester, codes like CST-301."""
    specs = []
    for semester in SEMESTERS:
        names = [*_TECHNICAL[department_code][semester], *_CORE[semester]][:6]
        for index, name in enumerate(names, start=1):
            practical = name not in THEORY_ONLY
            specs.append(
                SubjectSpec(
                    code=f"{department_code}-{semester}{index:02d}",
                    name=name,
                    name_bangla=SUBJECT_BANGLA.get(name, ""),
                    semester=semester,
                    credits=Decimal("4.0") if practical else Decimal("2.0"),
                    practical=practical,
                )
            )
    return specs


# --- Logins ---------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    name: str


DEMO_USERS = [
    DemoLogin(Role.INSTITUTE_HEAD, "head", "Shafiqul Islam Chowdhury"),
    DemoLogin(Role.REGISTRAR, "registrar", "Rahima Khatun"),
    # A registrar who keeps only the Computer department's records.
    DemoLogin(Role.REGISTRAR, "registrar-cst", "Kamrul Islam Sheikh"),
    DemoLogin(Role.TEACHER, "teacher", "Tanvir Ahmed Sarkar"),
    DemoLogin(Role.CAPTAIN, "captain", "Nusrat Jahan Mia"),
    DemoLogin(Role.STUDENT, "student", "Arif Hossain Talukder"),
]
# The demo student and captain study here; the demo teacher teaches them.
DEMO_CLASS_GROUP = ("CST", 3, Shift.MORNING)
DEMO_TEACHER_EMAIL = "cst.teacher2@demo.campusdesk.edu.bd"
DEMO_TEACHER_SUBJECT = "CST-301"  # Object Oriented Programming


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


# --- The timetable ---------------------------------------------------------------


# Seven 45-minute periods a shift, as Bangladeshi polytechnics run them: the
# morning shift 08:00-13:15, the day shift 13:30-18:45. The day shift starts
# after the morning shift has left, so a classroom serves one semester in both.
def _periods(first: time) -> list[tuple[time, time]]:
    start = datetime.combine(date(2000, 1, 1), first)
    return [
        (
            (start + timedelta(minutes=45 * n)).time(),
            (start + timedelta(minutes=45 * (n + 1))).time(),
        )
        for n in range(7)
    ]


PERIODS = {Shift.MORNING: _periods(time(8, 0)), Shift.DAY: _periods(time(13, 30))}
PERIODS_PER_SHIFT = 7
# A practical class is a three-period block in a lab; a theory class one period.
LAB_BLOCK = 3
LABS_PER_DEPARTMENT = 4
SHIFTS = (Shift.MORNING, Shift.DAY)


@dataclass(frozen=True)
class PlannedSlot:
    department: str
    semester: int
    shift: str
    day: int
    first_period: int
    periods: int
    subject: str
    teacher: str  # teacher email
    room: str

    @property
    def start_time(self) -> time:
        return PERIODS[self.shift][self.first_period][0]

    @property
    def end_time(self) -> time:
        return PERIODS[self.shift][self.first_period + self.periods - 1][1]


class TimetableError(RuntimeError):
    pass


def classroom(department: str, semester: int) -> str:
    return f"{department} Room {semester}01"


def plan_timetable(
    curricula: dict[str, list[SubjectSpec]], teachers: dict[str, list[str]]
) -> list[PlannedSlot]:
    """A weekly routine for every class group, clash-free by construction.

    Time is a grid of (day, shift, period) cells that never overlap, and every
    slot books whole cells of its class group, its teacher and its room, so no
    two slots can share a class group, teacher or room at the same time.
    A practical subject has one theory period and one three-period lab block a
    week, a theory subject two periods: about 12 classes a week per group.
    """
    rng = random.Random(f"{SEED}-timetable")
    booked: set[tuple] = set()
    slots: list[PlannedSlot] = []
    for department, specs in curricula.items():
        staff = teachers[department]
        load = dict.fromkeys(staff, 0)
        labs = [f"{department} Lab {n}" for n in range(1, LABS_PER_DEPARTMENT + 1)]
        for shift in SHIFTS:
            classes = []
            for spec in specs:
                preferred = min(staff, key=lambda t: (load[t], rng.random()))
                if (
                    (department, spec.semester, shift) == DEMO_CLASS_GROUP
                    and spec.code == DEMO_TEACHER_SUBJECT
                    and DEMO_TEACHER_EMAIL in staff
                ):
                    preferred = DEMO_TEACHER_EMAIL
                lengths = [LAB_BLOCK, 1] if spec.practical else [1, 1]
                load[preferred] += sum(lengths)
                classes.extend((length, spec, preferred) for length in lengths)
            # Lab blocks first: they are the hardest to fit.
            classes.sort(key=lambda c: -c[0])
            for length, spec, preferred in classes:
                slot = _place(
                    rng, booked, department, shift, spec, length, preferred, staff, labs
                )
                slots.append(slot)
    return slots


def _place(rng, booked, department, shift, spec, length, preferred, staff, labs):
    group = (department, spec.semester, shift)
    starts = range(PERIODS_PER_SHIFT - length + 1)
    cells = [(day, p) for day in Weekday.values for p in starts]
    rng.shuffle(cells)
    # Spread a subject over the week and fill the days evenly.
    cells.sort(
        key=lambda c: (
            ("subject-day", group, spec.code, c[0]) in booked,
            sum(("group", group, c[0], p) in booked for p in range(PERIODS_PER_SHIFT)),
        )
    )
    others = sorted((t for t in staff if t != preferred), key=lambda t: rng.random())
    rooms = labs if length > 1 else [classroom(department, spec.semester)]
    for teacher in [preferred, *others]:
        for day, first in cells:
            periods = range(first, first + length)
            if any(("group", group, day, p) in booked for p in periods):
                continue
            if any(("teacher", teacher, day, shift, p) in booked for p in periods):
                continue
            room = next(
                (
                    r
                    for r in rooms
                    if not any(("room", r, day, shift, p) in booked for p in periods)
                ),
                None,
            )
            if room is None:
                continue
            for p in periods:
                booked.add(("group", group, day, p))
                booked.add(("teacher", teacher, day, shift, p))
                booked.add(("room", room, day, shift, p))
            booked.add(("subject-day", group, spec.code, day))
            return PlannedSlot(
                department=department,
                semester=spec.semester,
                shift=shift,
                day=day,
                first_period=first,
                periods=length,
                subject=spec.code,
                teacher=teacher,
                room=room,
            )
    raise TimetableError(f"No free period for {spec.code} in {group}")


# --- Students -----------------------------------------------------------------------

_BLOOD_GROUPS = [
    (BloodGroup.B_POS, 30),
    (BloodGroup.O_POS, 29),
    (BloodGroup.A_POS, 24),
    (BloodGroup.AB_POS, 8),
    (BloodGroup.O_NEG, 3),
    (BloodGroup.A_NEG, 2),
    (BloodGroup.B_NEG, 2),
    (BloodGroup.AB_NEG, 1),
    ("", 15),
]
_FEMALE_SHARE = {"CST": 0.3, "ENT": 0.2, "CT": 0.15, "ET": 0.12, "MT": 0.05, "PT": 0.06}


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _gpa(rng: random.Random) -> Decimal:
    if rng.random() < 0.22:
        return Decimal("5.00")
    return Decimal(f"{min(4.94, max(3.0, rng.gauss(4.1, 0.45))):.2f}")


def student_fields(
    rng: random.Random,
    *,
    department: Department,
    semester: int,
    shift: str,
    session: AcademicSession,
    name: tuple[str, str, str] | None = None,
) -> dict:
    """The form a new student fills in, as believable values."""
    female = rng.random() < _FEMALE_SHARE.get(department.code, 0.1)
    hindu = rng.random() < 0.09
    if name is not None:
        english, bangla, gender = name
        female, hindu = gender == Gender.FEMALE, False
        family_english = english.rsplit(" ", 1)[-1]
    elif hindu:
        given = rng.choice(HINDU_FEMALE_GIVEN if female else HINDU_MALE_GIVEN)
        family = rng.choice(HINDU_FAMILY)
        english, bangla = f"{given[0]} {family[0]}", f"{given[1]} {family[1]}"
        family_english = family[0]
    else:
        given = rng.choice(STUDENT_FEMALE_GIVEN if female else STUDENT_MALE_GIVEN)
        family = rng.choice(STUDENT_FAMILY)
        english, bangla = f"{given[0]} {family[0]}", f"{given[1]} {family[1]}"
        family_english = family[0]
    if hindu:
        father = f"{rng.choice(HINDU_FATHER_GIVEN)} {family_english}"
        mother = f"{rng.choice(HINDU_MOTHER_GIVEN)} {family_english}"
    else:
        father = f"{rng.choice(FATHER_GIVEN)} {family_english}"
        mother = rng.choice(MOTHER_GIVEN)

    district, division, board, upazilas = rng.choice(DISTRICTS)
    upazila = rng.choice(upazilas)
    village = rng.choice(VILLAGES)
    post_office = rng.choice([upazila, f"{village} Bazar", f"{upazila} Sadar"])
    permanent = {
        "permanent_village": village,
        "permanent_post_office": post_office,
        "permanent_upazila": upazila,
        "permanent_district": district,
        "permanent_division": division,
    }
    if division == Division.MYMENSINGH and rng.random() < 0.6:
        present = {k.replace("permanent", "present"): v for k, v in permanent.items()}
    else:
        town, town_district, town_upazila = rng.choice(TOWN_ADDRESSES)
        present = {
            "present_village": town,
            "present_post_office": town_district,
            "present_upazila": town_upazila,
            "present_district": town_district,
            "present_division": Division.MYMENSINGH,
        }

    # Semesters 1-2 passed SSC this year or last, semesters 3-4 a year earlier...
    session_year = session.start_date.year
    passing_year = min(
        session_year - (semester - 1) // 2 - (rng.random() < 0.15),
        timezone.localdate().year,
    )
    birth = date(passing_year - 16, rng.randrange(1, 13), rng.randrange(1, 29))
    exam_kind = rng.random()
    if exam_kind < 0.12:
        exam, exam_board, group = (
            PreviousExam.SSC_VOCATIONAL,
            EducationBoard.TECHNICAL,
            ExamGroup.VOCATIONAL,
        )
        institution = f"{upazila} Technical School and College"
    elif exam_kind < 0.2 and not hindu:
        exam, exam_board = PreviousExam.DAKHIL, EducationBoard.MADRASAH
        group = _weighted(rng, [(ExamGroup.SCIENCE, 4), (ExamGroup.GENERAL, 6)])
        institution = f"{upazila} Islamia Dakhil Madrasah"
    else:
        exam, exam_board = PreviousExam.SSC, board
        group = _weighted(
            rng,
            [
                (ExamGroup.SCIENCE, 70),
                (ExamGroup.BUSINESS, 15),
                (ExamGroup.HUMANITIES, 15),
            ],
        )
        institution = rng.choice(
            [
                f"{upazila} Pilot {'Girls' if female else 'Boys'} High School",
                f"{village} High School",
                f"{upazila} Government High School",
            ]
        )
    guardian = _mobile(rng)
    return {
        "full_name_english": english,
        "full_name_bangla": bangla,
        "father_name": father,
        "father_nid": f"{rng.randrange(10**9, 10**10)}",
        "mother_name": mother,
        "mother_nid": f"{rng.randrange(10**9, 10**10)}" if rng.random() < 0.7 else "",
        "date_of_birth": birth,
        "birth_certificate_no": f"{birth.year}{rng.randrange(10**12, 10**13)}",
        "gender": Gender.FEMALE if female else Gender.MALE,
        "religion": Religion.HINDUISM if hindu else Religion.ISLAM,
        "blood_group": _weighted(rng, _BLOOD_GROUPS),
        "mobile_student": _mobile(rng) if rng.random() < 0.85 else "",
        "guardian_mobile": guardian,
        "emergency_contact": f"{father} (father), {guardian}",
        **present,
        **permanent,
        "previous_exam": exam,
        "previous_exam_board": exam_board,
        "previous_exam_group": group,
        "previous_exam_roll": f"{rng.randrange(100000, 999999)}",
        "previous_exam_registration": f"{rng.randrange(10**9, 10**10)}",
        "previous_exam_passing_year": passing_year,
        "previous_exam_gpa": _gpa(rng),
        "previous_institution": institution,
        "department": department,
        "semester": semester,
        "shift": shift,
        "session": session,
    }


DISCONTINUE_REASONS = [
    "Admitted to a B.Sc. programme at a public university.",
    "Family moved to Chattogram; transferred to another polytechnic.",
    "Financial hardship: working to support the family.",
    "Left for work abroad (Malaysia).",
    "Long illness; the guardian applied to discontinue.",
    "Married; the guardian applied to discontinue.",
    "Absent for more than three months without leave.",
    "Took a job as a technician in a garment factory.",
]
ALUMNI_CAREERS = {
    "CST": [
        ("Junior Software Engineer", "BJIT Limited"),
        ("Web Developer", "Brain Station 23"),
        ("IT Support Officer", "BRAC Bank"),
        ("B.Sc. student", "Dhaka University of Engineering & Technology"),
    ],
    "CT": [
        ("Sub-Assistant Engineer", "Local Government Engineering Department"),
        ("Site Engineer", "Concord Engineers & Construction"),
        ("B.Sc. student", "Dhaka University of Engineering & Technology"),
    ],
    "ET": [
        ("Sub-Assistant Engineer", "Bangladesh Power Development Board"),
        ("Electrical Technician", "Palli Bidyut Samity"),
        ("Maintenance Technician", "Square Pharmaceuticals"),
    ],
    "MT": [
        ("Production Supervisor", "Walton Hi-Tech Industries"),
        ("Maintenance Technician", "Akij Group"),
        ("B.Sc. student", "Dhaka University of Engineering & Technology"),
    ],
    "ENT": [
        ("Network Technician", "Grameenphone"),
        ("Service Engineer", "Walton Hi-Tech Industries"),
        ("Biomedical Technician", "Mymensingh Medical College Hospital"),
    ],
    "PT": [
        ("Plant Operator", "Ghorashal Power Station"),
        ("Sub-Assistant Engineer", "Bangladesh Power Development Board"),
        ("Maintenance Technician", "Summit Power"),
    ],
}
# Fixed-date public holidays: no classes, no attendance.
HOLIDAYS = {(2, 21), (3, 17), (3, 26), (4, 14), (5, 1), (12, 16), (12, 25)}


# --- The build ------------------------------------------------------------------------


@dataclass
class DemoSummary:
    departments: int
    teachers: int
    subjects: int
    routine_slots: int
    class_groups: int
    students: int
    active: int
    discontinued: int
    alumni: int
    attendance_records: int
    marks_records: int

    def lines(self) -> list[str]:
        return [
            f"{self.departments} departments, {self.teachers} teachers, "
            f"{self.subjects} subjects, {self.routine_slots} weekly routine slots",
            f"{self.students} students in {self.class_groups} class groups: "
            f"{self.active} active, {self.discontinued} discontinued, "
            f"{self.alumni} alumni",
            f"{self.attendance_records} attendance records, "
            f"{self.marks_records} marks records",
        ]


def demo_summary() -> DemoSummary:
    by_status = dict(
        Student.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    return DemoSummary(
        departments=Department.objects.count(),
        teachers=Teacher.objects.count(),
        subjects=Subject.objects.count(),
        routine_slots=ClassRoutine.objects.active().count(),
        class_groups=Student.objects.values(
            "department", "semester", "shift", "session"
        )
        .distinct()
        .count(),
        students=sum(by_status.values()),
        active=by_status.get(StudentStatus.ACTIVE, 0),
        discontinued=by_status.get(StudentStatus.DISCONTINUED, 0),
        alumni=Alumni.objects.count(),
        attendance_records=AttendanceRecord.objects.count(),
        marks_records=MarksRecord.objects.count(),
    )


@transaction.atomic
def build_demo_institute(
    *,
    today: date | None = None,
    students_per_group: int = DEFAULT_STUDENTS_PER_GROUP,
    attendance_weeks: int = ATTENDANCE_WEEKS,
    log=None,
) -> list[DemoLogin]:
    """Build (or complete) the demo institute; ``log`` gets one line per step."""
    step = _Stopwatch(log)
    rng = random.Random(SEED)
    today = today or timezone.localdate()

    departments = {}
    for code, name, name_bn, short in DEPARTMENTS:
        department = Department.objects.filter(code=code).first()
        if department is None:
            department = services.department_create(
                code=code, name=name, name_bangla=name_bn, short_name=short
            )
        departments[code] = department

    session_name, start, end = current_session_bounds(today)
    session = AcademicSession.objects.filter(name=session_name).first()
    if session is None:
        session = services.academic_session_create(
            name=session_name, start_date=start, end_date=end, is_current=True
        )

    users = _demo_users()
    _registrar_scopes(users, departments)
    teachers = _teachers(rng, departments, users)
    step("departments, session, logins and teachers")
    subjects = _subjects(departments, users["registrar"])
    step("subjects")
    _routines(departments, session, subjects, teachers, users["registrar"])
    step("routines")

    # Students, their results and attendance are built together, once: the
    # demo student's profile says whether they are there.
    if not Student.objects.filter(user=users["student"]).exists():
        _InstituteYear(
            today=today,
            session=session,
            departments=departments,
            subjects=subjects,
            users=users,
            students_per_group=students_per_group,
            attendance_weeks=attendance_weeks,
            step=step,
        ).build()
    _appoint_demo_captain(users["captain"])
    _public_pages(today, session, departments)
    _approval_desk(rng, today, session, departments, users)
    step("admission and signup pages; applications, signups, corrections")
    return DEMO_USERS


def _public_pages(today, session, departments) -> None:
    """The public admission form and the teacher signup page, published once."""
    from datetime import timedelta

    from .models import AdmissionFormPage, HomePage, TeacherSignupPage

    home = HomePage.objects.first()
    if home is None:
        return
    if not AdmissionFormPage.objects.exists():
        page = AdmissionFormPage(
            title=f"Admission {session.name}",
            slug="admission",
            intro=(
                "<p>Apply for the first semester of the four-year Diploma in "
                "Engineering. Fill in every field as written in your SSC "
                "certificate and attach the documents listed below.</p>"
            ),
            session=session,
            shifts_offered=[Shift.MORNING, Shift.DAY],
            opens_on=today - timedelta(days=30),
            closes_on=today + timedelta(days=60),
            required_documents=["ssc_certificate", "birth_certificate"],
            thank_you_text=(
                "<p>Thank you. Keep your application number; the status link "
                "shows every step of the review.</p>"
            ),
        )
        home.add_child(instance=page)
        page.departments.add(*departments.values())
        page.save_revision().publish()
    if not TeacherSignupPage.objects.exists():
        page = TeacherSignupPage(
            title="Teach with us",
            slug="teacher-signup",
            intro=(
                "<p>Teachers of the institute ask for their Campusdesk account "
                "here; the institute head approves it.</p>"
            ),
            thank_you_text="<p>The institute head will review your request.</p>",
        )
        home.add_child(instance=page)
        page.save_revision().publish()


def _approval_desk(rng, today, session, departments, users) -> None:
    """Requests in every state, so the approval desk is never empty.

    Admissions: waiting for the registrar, waiting for the head, approved,
    rejected and returned; teacher signups and correction requests likewise.
    Built once (the first application's presence says so).
    """
    from workflows import services as flow
    from workflows.models import AdmissionApplication, Workflow
    from workflows.models import RequestKind as Kind

    if AdmissionApplication.objects.exists():
        return
    if not Workflow.objects.filter(kind=Kind.ADMISSION).exists():
        # The shipped workflows come from a migration; a database emptied
        # since (e.g. by a test run) gets them back here.
        from django.apps import apps
        from django.db import connection

        from workflows.migrations import _defaults

        _defaults.create(apps, connection.alias)
    # Fresh objects: a user's scope is cached on the instance.
    registrar = User.objects.get(pk=users["registrar"].pk)
    head = User.objects.get(pk=users["head"].pk)
    plan = (["registrar"] * 5 + ["head"] * 3 + ["approved"] * 2 + ["rejected"] * 2) + [
        "returned"
    ]
    codes = list(departments)
    for n, state in enumerate(plan):
        department = departments[codes[n % len(codes)]]
        fields = student_fields(
            rng,
            department=department,
            semester=1,
            shift=Shift.MORNING if n % 2 else Shift.DAY,
            session=session,
        )
        for name in ("department", "semester", "shift"):
            fields.pop(name)
        fields["email"] = f"applicant{n + 1}@example.com"
        application = flow.admission_submit(
            **fields,
            desired_department=department,
            desired_shift=Shift.MORNING if n % 2 else Shift.DAY,
        )
        if state in ("head", "approved"):
            flow.request_approve(request=application, acting_user=registrar)
        if state == "approved":
            flow.request_approve(request=application, acting_user=head)
        elif state == "rejected":
            flow.request_reject(
                request=application,
                acting_user=registrar,
                note="The SSC GPA is below the department's minimum of 3.50.",
            )
        elif state == "returned":
            flow.request_return(
                request=application,
                acting_user=registrar,
                note="Please upload your SSC transcript; the certificate alone is "
                "not enough.",
            )

    signups = [
        ("Farhana Yasmin", "ফারহানা ইয়াসমিন", "farhana", "Instructor", None),
        ("Kamrul Hasan", "কামরুল হাসান", "kamrul", "Junior Instructor", None),
        ("Sadia Afrin", "সাদিয়া আফরিন", "sadia", "Instructor", "approved"),
        ("Mahbub Alam", "মাহবুব আলম", "mahbub", "Craft Instructor", "rejected"),
    ]
    for n, (english, bangla, username, designation, outcome) in enumerate(signups):
        signup = flow.teacher_signup_submit(
            password=settings.CAMPUSDESK_DEMO_PASSWORD,
            full_name_english=english,
            full_name_bangla=bangla,
            email=f"{username}@demo.campusdesk.edu.bd",
            mobile_number=_mobile(rng),
            designation=designation,
            department=departments[codes[n % len(codes)]],
            qualifications="B.Sc. in Engineering",
            username=f"{username}-signup",
        )
        if outcome == "approved":
            flow.request_approve(request=signup, acting_user=head)
        elif outcome == "rejected":
            flow.request_reject(
                request=signup,
                acting_user=head,
                note="No post is vacant in this department this session.",
            )

    student = Student.objects.filter(user=users["student"]).first()
    others = list(
        Student.objects.filter(status=StudentStatus.ACTIVE)
        .exclude(pk=getattr(student, "pk", None))
        .order_by("pk")[:3]
    )
    corrections = []
    if student is not None:
        corrections += [
            (student, "father_name", student.father_name + " Mia", "approved"),
            (student, "guardian_mobile", "01911223344", None),
        ]
    for other in others:
        corrections.append(
            (other, "full_name_english", other.full_name_english + "a", None)
        )
    if others:
        corrections.append(
            (others[0], "mother_name", "Someone Else", "rejected"),
        )
    for target, field, value, outcome in corrections:
        request = flow.correction_submit(
            student=target,
            field_name=field,
            requested_value=value,
            reason="The SSC certificate spells it this way.",
            acting_user=target.user,
        )
        if outcome == "approved":
            flow.request_approve(request=request, acting_user=registrar)
        elif outcome == "rejected":
            flow.request_reject(
                request=request,
                acting_user=registrar,
                note="The birth certificate shows the current spelling.",
            )


def _registrar_scopes(users, departments) -> None:
    """ "registrar" keeps every department's records, "registrar-cst" only CST's."""
    if not users["registrar"].has_perm("records.manage_all_departments"):
        services.registrar_set_departments(
            user=users["registrar"], departments=[], all_departments=True
        )
    services.registrar_set_departments(
        user=users["registrar-cst"], departments=[departments["CST"]]
    )


def _appoint_demo_captain(user) -> None:
    """The demo captain takes attendance for their class group's routine."""
    student = Student.objects.filter(user=user).first()
    if student is not None and not user.has_perm(
        "records.take_attendance",
        ClassRoutine.objects.for_class_group(
            department=student.department_id,
            semester=student.semester,
            shift=student.shift,
            session=student.session_id,
        ).first(),
    ):
        services.captain_appoint(student=student)


class _Stopwatch:
    def __init__(self, log):
        self.log = log
        self.last = time_module.perf_counter()

    def __call__(self, what: str) -> None:
        now = time_module.perf_counter()
        if self.log is not None:
            self.log(f"  {what}: {now - self.last:.1f} s")
        self.last = now


def _demo_users() -> dict[str, User]:
    users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
    for login in DEMO_USERS:
        if login.username in users:
            continue
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
    return users


def _usernames() -> list[str]:
    return [login.username for login in DEMO_USERS]


def _teachers(rng, departments, users) -> dict[str, list[Teacher]]:
    """Ten teachers a department; the first five as the demo always had them."""
    existing = {t.email: t for t in Teacher.objects.all()}
    by_department: dict[str, list[Teacher]] = defaultdict(list)

    def add(code, index, designation, draw):
        english, bangla = _person_name(draw)
        email = f"{code.lower()}.teacher{index + 1}@demo.campusdesk.edu.bd"
        mobile = _mobile(draw)
        joined = date(
            2010 + draw.randrange(15), draw.randrange(1, 13), draw.randrange(1, 28)
        )
        teacher = existing.get(email)
        if teacher is None:
            department = departments[code]
            user = users["teacher"] if email == DEMO_TEACHER_EMAIL else None
            if user is not None:
                english = f"{user.first_name} {user.last_name}"
                bangla = "তানভীর আহমেদ সরকার"
            teacher = services.teacher_create(
                full_name_english=english,
                full_name_bangla=bangla,
                designation=designation,
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
        by_department[code].append(teacher)

    for code in departments:
        for index in range(TEACHERS_PER_DEPARTMENT):
            add(code, index, TEACHER_DESIGNATIONS[index], rng)
    extra = random.Random(f"{SEED}-teachers")
    for code in departments:
        for offset in range(EXTRA_TEACHERS_PER_DEPARTMENT):
            index = TEACHERS_PER_DEPARTMENT + offset
            add(code, index, EXTRA_DESIGNATIONS[offset], extra)
    return by_department


def _subjects(departments, registrar) -> dict[str, Subject]:
    existing = {s.code: s for s in Subject.objects.all()}
    for code, department in departments.items():
        for spec in subject_specs(code):
            if spec.code in existing:
                continue
            existing[spec.code] = services.subject_create(
                code=spec.code,
                name=spec.name,
                name_bangla=spec.name_bangla,
                department=department,
                semester=spec.semester,
                credits=spec.credits,
                acting_user=registrar,
            )
    return existing


def _routines(departments, session, subjects, teachers, registrar) -> None:
    curricula = {code: subject_specs(code) for code in departments}
    staff = {code: [t.email for t in teachers[code]] for code in departments}
    by_email = {t.email: t for ts in teachers.values() for t in ts}
    existing = set(
        ClassRoutine.objects.filter(session=session).values_list(
            "department__code", "semester", "shift", "day_of_week", "start_time"
        )
    )
    for slot in plan_timetable(curricula, staff):
        key = (slot.department, slot.semester, slot.shift, slot.day, slot.start_time)
        if key in existing:
            continue
        services.routine_create(
            department=departments[slot.department],
            semester=slot.semester,
            shift=slot.shift,
            session=session,
            day_of_week=slot.day,
            start_time=slot.start_time,
            end_time=slot.end_time,
            subject=subjects[slot.subject],
            teacher=by_email[slot.teacher],
            room_number=slot.room,
            acting_user=registrar,
        )


def _mark(rng: random.Random, ability: float, total: int) -> Decimal:
    share = min(0.99, max(0.05, rng.gauss(ability, 0.1)))
    return Decimal(round(share * total * 2) / 2).quantize(Decimal("0.01"))


class _InstituteYear:
    """Students, the graduating cohort, attendance, marks and drop-outs."""

    def __init__(
        self,
        *,
        today,
        session,
        departments,
        subjects,
        users,
        students_per_group,
        attendance_weeks,
        step,
    ):
        self.step = step
        self.attendance_weeks = attendance_weeks
        self.rng = random.Random(f"{SEED}-students")
        self.today = today
        self.session = session
        self.departments = departments
        self.subjects = subjects
        self.users = users
        self.registrar = users["registrar"]
        self.students_per_group = students_per_group
        # student id -> how likely they come to class, how well they write exams
        self.presence: dict[int, float] = {}
        self.ability: dict[int, float] = {}
        self.groups: dict[tuple, list[int]] = defaultdict(list)

    def build(self) -> None:
        self.create_students()
        self.step("students")
        self.graduate_cohort()
        self.step("graduating cohort: results of semesters 1-8, alumni")
        leaving = self.choose_leavers()
        self.take_attendance(leaving)
        self.step("attendance and drop-outs")
        self.enter_marks()
        self.step("marks")

    def _admit(self, department, semester, shift, *, name=None, user=None):
        fields = student_fields(
            self.rng,
            department=department,
            semester=semester,
            shift=shift,
            session=self.session,
            name=name,
        )
        student = services.student_create(
            user=user, acting_user=self.registrar, reason="admission", **fields
        )
        self.ability[student.pk] = min(0.95, max(0.2, self.rng.gauss(0.66, 0.14)))
        low = self.rng.random() < LOW_ATTENDANCE_SHARE
        self.presence[student.pk] = (
            self.rng.uniform(0.5, 0.72) if low else self.rng.uniform(0.86, 0.98)
        )
        return student

    def create_students(self) -> None:
        demo_code, demo_semester, demo_shift = DEMO_CLASS_GROUP
        for code, department in self.departments.items():
            for semester in SEMESTERS:
                for shift in SHIFTS:
                    group = (code, semester, shift)
                    count = self.students_per_group
                    if group == DEMO_CLASS_GROUP:
                        for login, gender in (
                            ("student", Gender.MALE),
                            ("captain", Gender.FEMALE),
                        ):
                            user = self.users[login]
                            name = next(
                                u.name for u in DEMO_USERS if u.username == login
                            )
                            bangla = {
                                "student": "আরিফ হোসেন তালুকদার",
                                "captain": "নুসরাত জাহান মিয়া",
                            }[login]
                            student = self._admit(
                                department,
                                semester,
                                shift,
                                name=(name, bangla, gender),
                                user=user,
                            )
                            # The demo pair come to class and pass.
                            self.presence[student.pk] = 0.93
                            self.ability[student.pk] = 0.72
                            self.groups[group].append(student.pk)
                            count -= 1
                    for _ in range(count):
                        student = self._admit(department, semester, shift)
                        self.groups[group].append(student.pk)

    def graduate_cohort(self) -> None:
        """Students admitted in semester 1 who sat every final up to semester 8."""
        subjects_by_semester = defaultdict(list)
        for subject in self.subjects.values():
            subjects_by_semester[(subject.department_id, subject.semester)].append(
                subject
            )
        cohort = []
        for department in self.departments.values():
            for shift in SHIFTS:
                students = [
                    self._admit(department, 1, shift)
                    for _ in range(ALUMNI_PER_DEPARTMENT_SHIFT)
                ]
                for student in students:
                    self.ability[student.pk] = max(0.55, self.ability[student.pk])
                cohort.append((department, shift, students))
        for semester in SEMESTERS:
            for department, shift, students in cohort:
                for subject in subjects_by_semester[(department.pk, semester)]:
                    services.marks_grid_save(
                        subject=subject,
                        exam_type=ExamType.FINAL,
                        shift=shift,
                        session=self.session,
                        total_marks=Decimal(100),
                        entries={
                            s.pk: _mark(self.rng, self.ability[s.pk], 100)
                            for s in students
                        },
                        acting_user=self.registrar,
                    )
                if semester < 8:
                    for index, student in enumerate(students):
                        students[index] = services.student_update(
                            student=student,
                            semester=semester + 1,
                            acting_user=self.registrar,
                            reason=f"promoted to semester {semester + 1}",
                        )
        year = self.session.start_date.year
        for department, _shift, students in cohort:
            careers = ALUMNI_CAREERS[department.code]
            for student in students:
                occupation, organization = self.rng.choice(careers)
                services.student_convert_to_alumni(
                    student=student,
                    graduation_year=year,
                    current_occupation=occupation,
                    current_organization=organization,
                    contact_mobile=student.mobile_student or student.guardian_mobile,
                    acting_user=self.registrar,
                )

    def choose_leavers(self) -> dict[int, date]:
        """Students who drop out part-way, and the day they stop coming."""
        first = self._first_day()
        span = max(1, (self.today - first).days)
        protected = set(
            Student.objects.filter(user__isnull=False).values_list("pk", flat=True)
        )
        candidates = [
            pk for ids in self.groups.values() for pk in ids if pk not in protected
        ]
        count = max(1, round(len(candidates) * DISCONTINUED_SHARE))
        leaving = {}
        for pk in sorted(self.rng.sample(candidates, count)):
            leaving[pk] = first + timedelta(days=self.rng.randrange(span // 3, span))
            # They were drifting away before they left.
            self.presence[pk] = self.rng.uniform(0.4, 0.7)
        return leaving

    def _first_day(self) -> date:
        return max(
            self.session.start_date, self.today - timedelta(weeks=self.attendance_weeks)
        )

    def take_attendance(self, leaving: dict[int, date]) -> None:
        """Every class of the last weeks, day by day, up to what has happened."""
        today = min(self.today, timezone.localdate())
        now = timezone.localtime().time()
        routines = defaultdict(list)
        for routine in (
            ClassRoutine.objects.active()
            .filter(session=self.session)
            .select_related("department", "session", "subject", "teacher__user")
            .order_by("day_of_week", "start_time", "department__code", "semester")
        ):
            routines[routine.day_of_week].append(routine)
        members = {group: set(ids) for group, ids in self.groups.items()}
        pending = dict(sorted(leaving.items()))
        day = self._first_day()
        while day <= today:
            weekday = Weekday.of(day)
            if weekday is not None and (day.month, day.day) not in HOLIDAYS:
                for pk in [pk for pk, last in pending.items() if last <= day]:
                    del pending[pk]
                    self._discontinue(pk, members)
                for routine in routines[weekday]:
                    if day == today and routine.end_time > now:
                        continue
                    self._sheet(routine, day, members)
            day += timedelta(days=1)
        for pk in pending:
            self._discontinue(pk, members)

    def _discontinue(self, pk: int, members) -> None:
        student = Student.objects.select_related("department").get(pk=pk)
        if student.status != StudentStatus.ACTIVE:
            return
        services.student_discontinue(
            student=student,
            reason=self.rng.choice(DISCONTINUE_REASONS),
            acting_user=self.registrar,
        )
        members[(student.department.code, student.semester, student.shift)].discard(pk)

    def _sheet(self, routine, day, members) -> None:
        group = (routine.department.code, routine.semester, routine.shift)
        present = {
            pk: self.rng.random() < self.presence[pk] for pk in sorted(members[group])
        }
        if not present:
            return
        teacher_user = routine.teacher.user if routine.teacher else None
        services.attendance_sheet_save(
            routine=routine,
            day=day,
            present=present,
            acting_user=teacher_user or self.registrar,
        )

    def enter_marks(self) -> None:
        """This semester's midterm, assignment and (for labs) practical marks."""
        practical = {
            spec.code
            for code in self.departments
            for spec in subject_specs(code)
            if spec.practical
        }
        teacher_of = {
            (r.subject_id, r.shift): r.teacher.user
            for r in ClassRoutine.objects.filter(
                session=self.session, teacher__user__isnull=False
            ).select_related("teacher__user")
        }
        active = set(
            Student.objects.filter(
                session=self.session, status=StudentStatus.ACTIVE
            ).values_list("pk", flat=True)
        )
        codes = {d.pk: code for code, d in self.departments.items()}
        for subject in sorted(self.subjects.values(), key=lambda s: s.code):
            # Lab subjects are assessed by practical work, the others by an
            # assignment; every subject has had its midterm.
            exams = [(ExamType.MIDTERM, 30)]
            if subject.code in practical:
                exams.append((ExamType.PRACTICAL, 25))
            else:
                exams.append((ExamType.ASSIGNMENT, 10))
            for shift in SHIFTS:
                group = (codes.get(subject.department_id), subject.semester, shift)
                ids = [pk for pk in self.groups.get(group, []) if pk in active]
                if not ids:
                    continue
                for exam_type, total in exams:
                    entries = {}
                    for pk in ids:
                        # A few missed the exam: their cell stays blank.
                        missed = self.rng.random() < 0.03
                        entries[pk] = (
                            "" if missed else _mark(self.rng, self.ability[pk], total)
                        )
                    services.marks_grid_save(
                        subject=subject,
                        exam_type=exam_type,
                        shift=shift,
                        session=self.session,
                        total_marks=Decimal(total),
                        entries=entries,
                        acting_user=teacher_of.get((subject.pk, shift))
                        or self.registrar,
                    )
