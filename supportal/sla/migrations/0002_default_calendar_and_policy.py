"""Ship the working-hours calendar as the default, a 24/7 calendar, and the default goals as the
default policy: 30 minutes to first response, 2 hours to resolution (docs/requirements.md#sla,
S2 and S3). Reversible: it removes exactly what it added, when nothing refers to it yet."""

import datetime

from django.db import migrations

DEFAULT_CALENDAR = "Working hours, Romania"
ALWAYS_OPEN_CALENDAR = "24/7"
DEFAULT_POLICY = "Default"


def add_defaults(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    WorkingPeriod = apps.get_model("sla", "WorkingPeriod")
    Policy = apps.get_model("sla", "Policy")
    # docs/requirements.md#sla (S3): Monday to Friday 08:00-17:00, except Romanian public holidays.
    office, created = Calendar.objects.get_or_create(
        name=DEFAULT_CALENDAR,
        defaults={
            "time_zone": "Europe/Bucharest",
            "country_code": "RO",
            "is_default": not Calendar.objects.filter(is_default=True).exists(),
        },
    )
    if created:
        WorkingPeriod.objects.bulk_create(
            WorkingPeriod(
                calendar=office,
                weekday=weekday,
                start_time=datetime.time(8),
                end_time=datetime.time(17),
            )
            for weekday in range(5)
        )
    Calendar.objects.get_or_create(
        name=ALWAYS_OPEN_CALENDAR,
        defaults={"time_zone": "Europe/Bucharest", "is_always_open": True},
    )
    if not Policy.objects.exists():
        Policy.objects.create(
            name=DEFAULT_POLICY,
            calendar=office,
            first_response_duration=datetime.timedelta(minutes=30),
            resolution_duration=datetime.timedelta(hours=2),
        )


def remove_defaults(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    Policy = apps.get_model("sla", "Policy")
    Clock = apps.get_model("sla", "Clock")
    DeskSlaSettings = apps.get_model("sla", "DeskSlaSettings")
    Policy.objects.filter(name=DEFAULT_POLICY, clocks__isnull=True).delete()
    for name in (DEFAULT_CALENDAR, ALWAYS_OPEN_CALENDAR):
        calendar = Calendar.objects.filter(name=name).first()
        if (
            calendar is not None
            and not Policy.objects.filter(calendar=calendar).exists()
            and not Clock.objects.filter(calendar=calendar).exists()
            and not DeskSlaSettings.objects.filter(customer_reply_calendar=calendar).exists()
        ):
            calendar.delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
