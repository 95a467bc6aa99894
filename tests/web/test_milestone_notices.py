"""How a milestone page words deliveries that have not gone out yet."""

from sqlalchemy import update

from service.delivery.models import Notification
from service.reminders.scan import scan
from service.workdays import WorkdayCalendar
from tests.factories import NOW, build_world, milestones_of

ERROR = "SMTP connection failed: ConnectionRefusedError: [Errno 111]"


def test_a_failed_delivery_is_explained_in_chinese_with_the_technical_error_kept_in_the_markup(session, client_factory, web_settings):
    world = build_world(session)
    milestone = milestones_of(session, world, "ip")[0]
    scan(session, web_settings.model_copy(update={"secret_key": "x"}), WorkdayCalendar(), NOW)
    session.execute(update(Notification).values(
        status="retry", last_error=ERROR, last_error_words="无法连接到接收方，系统将稍后重试"
    ))
    session.commit()
    page = client_factory().login("ip_user").get(f"/milestones/{milestone.id}").text
    assert "暂未送达，系统将自动重试" in page
    assert 'title="无法连接到接收方，系统将稍后重试"' in page and f'data-detail="{ERROR}"' in page
    assert page.count("ConnectionRefusedError") == 1  # only inside the data attribute

    session.execute(update(Notification).values(status="dead"))
    session.commit()
    page = client_factory().login("ip_user").get(f"/milestones/{milestone.id}").text
    assert "无法送达，已提醒办公室处理" in page and "暂未送达" not in page


def test_delivery_results_read_in_chinese_on_the_notifications_page(session, client_factory, web_settings):
    build_world(session)
    scan(session, web_settings.model_copy(update={"secret_key": "x"}), WorkdayCalendar(), NOW)
    session.execute(update(Notification).values(
        status="dead", last_error="robot refused: 93000 invalid webhook url",
        last_error_words="机器人拒收（错误码 93000），请检查密钥、关键词或签名设置",
    ))
    session.commit()
    page = client_factory().login("city_admin").get("/notifications").text
    assert "机器人拒收（错误码 93000），请检查密钥、关键词或签名设置" in page
    assert ">robot refused" not in page

