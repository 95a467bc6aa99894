"""The other seeds: outline found, warnings where nothing is annotated, no crash."""

import pytest

from service.plans.parser import parse_plan_file

from .conftest import seed_path


def parse_seed(prefix: str) -> dict:
    return parse_plan_file(seed_path(prefix).read_bytes(), f"{prefix}.txt").to_dict()


def codes(plan: dict) -> list[str]:
    return [w["code"] for w in plan["warnings"]]


def test_000_nine_tasks_first_four_mandatory():
    plan = parse_seed("000")
    assert plan["title"] == "2015年国家知识产权示范城市工作计划"
    assert [t["number"] for t in plan["tasks"]] == [str(n) for n in range(1, 10)]
    assert [t["mandatory"] for t in plan["tasks"]] == [True] * 4 + [False] * 5
    assert plan["tasks"][0]["title"] == "研究制定城市知识产权工作“十三五”规划"
    assert {t["section"] for t in plan["tasks"]} == {"具体任务"}
    # 工作目标 / 工作要求 / 工作支持 of each task; "2015年底之前" in the 工作要求 of tasks 1 and 5,
    # "年内出台政策措施" (the plan's year) in task 4's, "2015年完成…的运营业务" in task 7's
    assert [len(t["measures"]) for t in plan["tasks"]] == [3] * 9
    dated = [(t["number"], m["deadline"]) for t in plan["tasks"] for m in t["measures"] if m["deadline"]]
    assert dated == [("1", "2015-12-31"), ("4", "2015-12-31"), ("5", "2015-12-31"), ("7", "2015-12-31")]
    assert all(m["text"].startswith("工作要求") for t in plan["tasks"] for m in t["measures"] if m["deadline"])
    assert codes(plan).count("no_annotation") == 27
    # No phases: the other 23 measures say nothing about when they are due.
    [no_deadline] = [w for w in plan["warnings"] if w["code"] == "no_deadline"]
    assert "23 条措施" in no_deadline["message"]


def test_002_five_areas_twenty_one_measures():
    plan = parse_seed("002")
    assert [t["title"] for t in plan["tasks"]] == [
        "鼓励高价值知识产权创造",
        "实施高标准知识产权保护",
        "促进高效益知识产权运用",
        "开展高水平知识产权服务",
        "强化高能效知识产权管理",
    ]
    assert [len(t["measures"]) for t in plan["tasks"]] == [4, 5, 4, 3, 5]
    assert plan["tasks"][1]["measures"][0]["text"].startswith("严格知识产权司法保护。")
    assert codes(plan).count("no_annotation") == 21


def test_004_the_2016_key_points_not_the_2015_summary():
    plan = parse_seed("004")
    assert plan["title"] == "2016年全省知识产权工作要点"
    titles = [t["title"] for t in plan["tasks"]]
    assert titles[:3] == ["研究制定知识产权强省建设政策性文件", "完善配套政策措施", "强化政策解读宣传"]
    assert "利用专利产业化服务县域经济推动精准扶贫" in titles
    assert "湖南省知识产权交易中心挂牌成立" not in " ".join(titles)  # a 2015 achievement
    assert titles[-1] == "强化知识产权考核评价,确保年度各项任务出实效"
    assert "no_annotation" in codes(plan)


def test_001_parses_without_annotations():
    plan = parse_seed("001")
    assert plan["doc_number"] == "浦府〔2017〕94号"
    assert len(plan["tasks"]) == 7
    assert all(not m["lead"] for t in plan["tasks"] for m in t["measures"])


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_seed_gives_the_stable_json_shape(prefix):
    plan = parse_seed(prefix)
    assert list(plan) == ["title", "doc_number", "phases", "tasks", "measures_outside_tasks", "warnings", "indicators"]
    for task in plan["tasks"]:
        assert list(task) == ["number", "title", "section", "mandatory", "measures"]
        for measure in task["measures"]:
            assert list(measure) == ["text", "lead", "support", "deadline"]
    for warning in plan["warnings"]:
        assert list(warning) == ["code", "message", "measure"]
