"""消息预览: the office admin sees each queued or sent message as its receiver would,
with what people typed escaped; others may not."""

from sqlalchemy import update

from service.delivery.models import Notification
from service.reminders.scan import scan
from service.web.previews import clean_html, markdown_html
from service.workdays import WorkdayCalendar
from tests.factories import NOW, build_world


def test_the_admin_sees_the_queued_messages_as_received(session, client_factory, web_settings):
    build_world(session)
    scan(session, web_settings.model_copy(update={"secret_key": "x"}), WorkdayCalendar(), NOW)
    session.commit()
    admin = client_factory().login("city_admin")
    # Queued digests are not rendered yet: the page shows them as they will be sent.
    queued = admin.get("/messages").text
    assert "交办通知" in queued and f"{web_settings.base_url.rstrip('/')}/m/" in queued
    session.execute(update(Notification).values(body_text="交办通知", body_markdown="### 交办通知\n> 1. <script>alert(1)</script>**要点**"
                                                 "　[签收](https://duban.example/m/1)", channel_type="wecom"))
    session.commit()
    page = admin.get("/messages")
    assert page.status_code == 200 and "消息预览" in page.text and 'href="/messages"' in page.text
    assert "<h4>交办通知</h4>" in page.text and "<strong>要点</strong>" in page.text
    assert '<a href="https://duban.example/m/1" rel="noreferrer">签收</a>' in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    first = page.text.split('data-message="')[1].split('"')[0]
    assert admin.get(f"/messages/{first}").status_code == 200
    assert 'href="/messages/' in admin.get("/notifications").text
    department = client_factory().login("ip_user")
    assert department.get("/messages").status_code == 403
    assert 'href="/messages"' not in department.get("/inbox").text


def test_markdown_and_html_are_rendered_safely():
    assert markdown_html("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>"
    assert str(markdown_html('**<font color="warning">失败</font>**')) == '<p><strong><span class="md-warning">失败</span></strong></p>'
    cleaned = clean_html('<p onclick="x()" style="color:red">甲<script>bad()</script><a href="javascript:x">乙</a>'
                         '<a href="https://a.example/?q=1&amp;r=2">丙</a></p>')
    assert cleaned == '<p>甲<a>乙</a><a href="https://a.example/?q=1&amp;r=2" rel="noreferrer">丙</a></p>'
