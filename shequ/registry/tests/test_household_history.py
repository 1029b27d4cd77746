"""A household's 变更记录 has its members joining and leaving (with their names, linked), those transferred out
included."""

from datetime import date

from django.urls import reverse

from shequ.registry import services

from .helpers import person, register


def history(client, household):
    page = client.get(reverse("registry:household", args=[household.id])).content.decode()
    return page.split('<section id="history">')[1].split("</section>")[0]


def test_members_joining_and_leaving_are_in_the_households_history(world, worker, login):
    household = register(worker, world.a, [person("张一"), person("王二", male=False, relation="spouse")])
    other = register(worker, world.a, [person("李四")], room="202")
    baby = services.resident_add(actor=worker, household=household, data=person("张小宝", relation="child"))
    services.resident_move_out(actor=worker, resident=household.members.get(name="王二"), on=date(2026, 2, 1))
    services.resident_transfer(actor=worker, resident=baby, to_household=other, relation="other_relative")
    client = login(worker)
    lines = history(client, household)
    assert f'href="{reverse("registry:resident", args=[baby.id])}">张小宝</a>' in lines
    # 张一's and 王二's registration; 张小宝's is now in the history of the household he was transferred to.
    assert lines.count('data-verb="resident_add"') == 2
    assert 'data-verb="resident_move_out"' in lines and 'data-verb="resident_transfer"' in lines
    assert "李四" not in lines
    joined = history(client, other)
    assert 'data-verb="resident_transfer"' in joined and "张小宝" in joined and "王二" not in joined
