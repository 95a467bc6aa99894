"""必做/选做 on the pages: the city marks a draft's task and sets the 选做申报 date; the district
takes and drops the task on 选做申报 (reached from 上级交办); after the date its change is a request
the city refuses with a reason on the plan's 下级办公室落实情况 page. Chinese only."""

from tests.cascade.test_choice_authorization import _optional_draft, _start
from tests.cascade.test_pages import _visible
from tests.web.conftest import client_factory, clock, web_settings  # noqa: F401 (fixtures)
from tests.web.test_chinese_pages import problems


def test_the_city_sets_the_choice_and_the_district_chooses_on_the_pages(chain, session_factory, client_factory):  # noqa: F811
    plan_id, task_id, _ = _optional_draft(session_factory, chain)
    city = client_factory().login("city_admin")
    draft = city.get(f"/plans/{plan_id}")
    assert draft.status_code == 200 and problems(_visible(draft.text, "city_admin"), set()) == []
    assert f'action="/plans/{plan_id}/tasks/{task_id}/mandatory"' in draft.text and "必做与选做" in draft.text
    assert city.submit(f"/plans/{plan_id}/tasks/{task_id}/mandatory", {"mandatory": "1"}, page=f"/plans/{plan_id}",
                       follow_redirects=False).status_code == 303
    assert "选做申报截止日期" not in city.get(f"/plans/{plan_id}").text  # no optional task left
    city.submit(f"/plans/{plan_id}/tasks/{task_id}/mandatory", {"mandatory": "0"}, page=f"/plans/{plan_id}")
    bad = city.submit(f"/plans/{plan_id}/choice-deadline", {"choice_deadline": "明天"}, page=f"/plans/{plan_id}")
    assert "格式不正确" in bad.text
    city.submit(f"/plans/{plan_id}/choice-deadline", {"choice_deadline": "2026-11-20"}, page=f"/plans/{plan_id}")
    assert "2026年11月20日" in city.get(f"/plans/{plan_id}").text
    _start(session_factory, chain, plan_id)

    district = client_factory().login("district_admin")
    assert 'href="/issued/choices"' in district.get("/issued").text
    page = district.get("/issued/choices")
    assert page.status_code == 200 and problems(_visible(page.text, "district_admin"), set()) == []
    assert "推进知识产权管理体制机制改革" in page.text and "未选做" in page.text
    taken = district.submit(f"/issued/choices/{task_id}", {"take": "1"}, page="/issued/choices", follow_redirects=False)
    assert taken.status_code == 303
    assert "已选做" in district.get("/issued/choices").text
    unconfirmed = district.submit(f"/issued/choices/{task_id}", {"take": "0"}, page="/issued/choices")
    assert unconfirmed.status_code == 422 and "请勾选确认后再退选" in unconfirmed.text and "已选做" in unconfirmed.text

    # The date moved into the past: dropping is now a request, its reason kept when refused.
    city.submit(f"/plans/{plan_id}/choice-deadline", {"choice_deadline": "2026-10-30"}, page=f"/plans/{plan_id}")
    no_reason = district.submit(f"/issued/choices/{task_id}", {"take": "0", "confirm": "1"}, page="/issued/choices")
    assert no_reason.status_code == 422 and "说明理由" in no_reason.text
    asked = district.submit(f"/issued/choices/{task_id}", {"take": "0", "confirm": "1", "reason": "区里人手不足"},
                            page="/issued/choices")
    assert "待上级审批" in asked.text

    shares = city.get(f"/plans/{plan_id}/issued")
    assert shares.status_code == 200 and problems(_visible(shares.text, "city_admin"), set()) == []
    assert "选做任务申报情况" in shares.text and "申请退选：区里人手不足" in shares.text
    choice = shares.text.split('action="/choices/')[1].split("/")[0]
    refused = city.submit(f"/choices/{choice}/decision", {"decision": "refuse", "reason": " "}, page=f"/plans/{plan_id}/issued")
    assert refused.status_code == 422 and "说明理由" in refused.text
    done = city.submit(f"/choices/{choice}/decision", {"decision": "refuse", "reason": "请按计划继续推进"},
                       page=f"/plans/{plan_id}/issued")
    assert "上次申请未同意：请按计划继续推进" in done.text
    assert "上级未同意上次变更：请按计划继续推进" in district.get("/issued/choices").text
    # The district never reaches the decision.
    assert district.submit(f"/choices/{choice}/decision", {"decision": "approve", "confirm": "1"},
                           page="/issued/choices").status_code == 404
