"""Each department's calendar feed has its own secret, which its users and the
office's admin replace to end the old URL (not the deployment key)."""

from sqlalchemy import select

from service.audit.models import AuditEvent
from service.departments.feeds import CalendarFeed
from tests.factories import build_world


def test_a_new_feed_url_ends_the_old_one_and_no_other(session, client_factory):
    world = build_world(session)
    ip, dev = world.departments["ip"].id, world.departments["dev"].id
    department = client_factory().login("ip_user")
    assert 'action="/departments/%d/calendar-feed"' % ip in department.get("/inbox").text
    old = department.new_calendar_feed(ip)
    other = client_factory().login("dev_user").new_calendar_feed(dev)
    anonymous = client_factory()
    assert "BEGIN:VEVENT" in anonymous.get(old).text

    # The department's user leaves: the office's admin replaces the feed from the department page.
    admin = client_factory().login("city_admin")
    assert f"/departments/{ip}/calendar-feed" in admin.get(f"/departments/{ip}").text
    new = admin.new_calendar_feed(ip, page=f"/departments/{ip}")
    assert anonymous.get(old).status_code == 404
    assert "BEGIN:VEVENT" in anonymous.get(new).text
    assert "BEGIN:VEVENT" in anonymous.get(other).text  # another department's feed goes on
    # Only the hash is kept; the change is in the office's audit log.
    stored = session.scalars(select(CalendarFeed.token_hash)).all()
    assert all(new.removeprefix("/calendar/").removesuffix(".ics") not in h for h in stored)
    assert len(session.scalars(
        select(AuditEvent).where(AuditEvent.action == "calendar_feed.rotate", AuditEvent.entity_id == ip)
    ).all()) == 2


def test_no_one_else_replaces_a_departments_feed(session, client_factory):
    world = build_world(session)
    ip = world.departments["ip"].id
    for username, status in [("dev_user", 403), ("city_leader", 403), ("other_admin", 404), ("district_admin", 404)]:
        client = client_factory().login(username)
        answer = client.submit(f"/departments/{ip}/calendar-feed", page="/account")
        assert answer.status_code == status, username
    # The parent office reads its district, it does not manage the district's feeds.
    yuexiu = world.departments["yuexiu_ip"].id
    assert client_factory().login("city_admin").submit(
        f"/departments/{yuexiu}/calendar-feed", page="/account").status_code == 403
    assert session.scalars(select(CalendarFeed)).all() == []


def test_the_old_id_derived_url_no_longer_serves(session, client_factory):
    from itsdangerous import URLSafeSerializer

    world = build_world(session)
    signed = URLSafeSerializer("test-secret", salt="duban.calendar").dumps(world.departments["ip"].id)
    assert client_factory().get(f"/calendar/{signed}.ics").status_code == 404
