"""Demo places: one street with three communities, each with groups, grids, estates and buildings."""

from .models import Building, Community, District, Entrance, Estate, Grid, ResidentGroup, Street

COMMUNITIES = [
    ("110105099001", "安和里社区", ["安和里小区", "和平家园"]),
    ("110105099002", "樱花园社区", ["樱花园东里", "樱花园西里"]),
    ("110105099003", "柳荫街社区", ["柳荫嘉园", "南湖小区"]),
]


def seed():
    district, _ = District.objects.get_or_create(code="110105", defaults={"name": "朝阳区"})
    street, _ = Street.objects.get_or_create(code="110105099", defaults={"name": "安和街道", "district": district})
    communities = [_seed_community(street, code, name, estates) for code, name, estates in COMMUNITIES]
    return street, communities


def _seed_community(street, code, name, estate_names):
    community, _ = Community.objects.get_or_create(
        code=code, defaults={"name": name, "street": street, "address": f"安和街道{name}居委会", "phone": "010-65001234"}
    )
    groups = [
        ResidentGroup.objects.get_or_create(community=community, number=n, defaults={"name": f"第{n}居民小组"})[0]
        for n in (1, 2, 3)
    ]
    grids = [
        Grid.objects.get_or_create(community=community, code=f"{code[-3:]}-{n:02d}", defaults={"name": f"第{n}网格"})[0]
        for n in (1, 2, 3)
    ]
    for index, estate_name in enumerate(estate_names):
        estate, _ = Estate.objects.get_or_create(
            community=community, name=estate_name,
            defaults={"address": f"安和路{10 + index * 8}号", "property_company": "安和物业服务有限公司"},
        )
        for number in range(1, 5):
            position = index * 4 + number - 1
            building, _ = Building.objects.get_or_create(
                estate=estate, number=str(number),
                defaults={"community": community, "floors": 6 + (number % 3) * 6,
                          "grid": grids[position % 3], "resident_group": groups[position % 3]},
            )
            for entrance in range(1, 3 + number % 2):
                Entrance.objects.get_or_create(building=building, number=str(entrance),
                                               defaults={"community": community})
    return community
