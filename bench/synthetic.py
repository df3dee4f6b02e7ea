"""Synthetic knowledge bases of any size, grown from the shipped entries.

A city or province catalogue (实施清单) lists the same matter once per implementing body and
once per kind of handling (核发, 补发, 换发, 变更, 注销, 延续). The generator does the same,
with three streams taken in turn so that every size has a similar mix:

* a shipped service as handled in one district (江岸区居民身份证遗失补领): all of its content,
  with the district in its names, aliases, examples and exclusions, and the district's
  government service centre as first office;
* a kind of handling applied to a licence or certificate the shipped base does not cover
  (药品经营许可证延续), with documents, steps and limits written for that kind;
* such a matter as handled in one district.

Every generated service has its own id, name, aliases and examples, and the directory passes
the loader's validation (bot.knowledge.load_knowledge).
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import BUNDLED_KNOWLEDGE
from bot.knowledge.validation import phrase_key as _phrase_key

try:  # libyaml writes 2,000 files in a second instead of ten
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper, SafeLoader

SHIPPED_SIZE = 40
SEED = 7
UPDATED = "2025-11-01"
SCHEMA_HEADER = "# yaml-language-server: $schema=../service.schema.json\n"


@dataclass(frozen=True)
class District:
    id: str
    zh: str
    short: str
    en: str


DISTRICTS = (
    District("jiangan", "江岸区", "江岸", "Jiang'an District"),
    District("jianghan", "江汉区", "江汉", "Jianghan District"),
    District("qiaokou", "硚口区", "硚口", "Qiaokou District"),
    District("hanyang", "汉阳区", "汉阳", "Hanyang District"),
    District("wuchang", "武昌区", "武昌", "Wuchang District"),
    District("qingshan", "青山区", "青山", "Qingshan District"),
    District("hongshan", "洪山区", "洪山", "Hongshan District"),
    District("dongxihu", "东西湖区", "东西湖", "Dongxihu District"),
    District("hannan", "汉南区", "汉南", "Hannan District"),
    District("caidian", "蔡甸区", "蔡甸", "Caidian District"),
    District("jiangxia", "江夏区", "江夏", "Jiangxia District"),
    District("huangpi", "黄陂区", "黄陂", "Huangpi District"),
    District("xinzhou", "新洲区", "新洲", "Xinzhou District"),
    District("donghu_hitech", "东湖新技术开发区", "东湖高新区", "East Lake High-tech Zone"),
    District("wuhan_edz", "武汉经济技术开发区", "武汉经开区", "Wuhan Economic Development Zone"),
    District("donghu_scenic", "东湖生态旅游风景区", "东湖风景区", "East Lake Scenic Area"),
)


@dataclass(frozen=True)
class Thing:
    """A licence or certificate that citizens or businesses hold: (id, zh, en, category, office, level)."""

    id: str
    zh: str
    en: str
    category: str
    office: str
    level: str = "district"


THINGS = tuple(Thing(*row) for row in (
    ("drug_trading", "药品经营许可证", "drug trading licence", "business", "market_supervision", "city"),
    ("medical_device_trading", "医疗器械经营许可证", "medical device trading licence", "business", "market_supervision"),
    ("tobacco_retail", "烟草专卖零售许可证", "tobacco retail licence", "business", "citizen_home"),
    ("publication_trading", "出版物经营许可证", "publication trading licence", "business", "citizen_home"),
    ("online_culture", "网络文化经营许可证", "online culture business licence", "business", "citizen_home", "city"),
    ("entertainment_venue", "娱乐场所经营许可证", "entertainment venue licence", "business", "citizen_home"),
    ("commercial_performance", "营业性演出许可证", "commercial performance licence", "business", "citizen_home"),
    ("public_venue_hygiene", "公共场所卫生许可证", "public venue hygiene licence", "business",
     "district_health_commission"),
    ("hazardous_chemicals", "危险化学品经营许可证", "hazardous chemicals trading licence", "business", "citizen_home"),
    ("fuel_retail", "成品油零售经营批准证书", "fuel retail approval certificate", "business", "citizen_home", "city"),
    ("hr_service", "人力资源服务许可证", "human resources service licence", "business", "district_hrss"),
    ("labour_dispatch", "劳务派遣经营许可证", "labour dispatch licence", "business", "district_hrss"),
    ("travel_agency", "旅行社业务经营许可证", "travel agency licence", "business", "citizen_home", "city"),
    ("road_transport", "道路运输经营许可证", "road transport operating licence", "traffic", "citizen_home"),
    ("transport_qualification", "道路运输从业资格证", "road transport qualification certificate", "traffic",
     "citizen_home", "city"),
    ("taxi_driver", "出租汽车驾驶员从业资格证", "taxi driver qualification certificate", "traffic", "citizen_home", "city"),
    ("ride_hailing", "网约车运输证", "ride-hailing vehicle permit", "traffic", "citizen_home", "city"),
    ("special_equipment", "特种设备使用登记证", "special equipment registration certificate", "business",
     "market_supervision"),
    ("industrial_production", "工业产品生产许可证", "industrial product production licence", "business",
     "market_supervision", "city"),
    ("food_production", "食品生产许可证", "food production licence", "business", "market_supervision"),
    ("pollutant_discharge", "排污许可证", "pollutant discharge permit", "construction", "citizen_home", "city"),
    ("water_abstraction", "取水许可证", "water abstraction permit", "construction", "citizen_home"),
    ("tree_felling", "林木采伐许可证", "tree felling permit", "construction", "citizen_home"),
    ("outdoor_advertising", "户外广告设置许可证", "outdoor advertising permit", "construction", "urban_construction_bureau"),
    ("road_occupation", "城市道路占用挖掘许可证", "road occupation and excavation permit", "construction",
     "urban_construction_bureau"),
    ("builder_qualification", "建筑业企业资质证书", "construction enterprise qualification certificate",
     "construction", "urban_construction_bureau", "city"),
    ("work_safety", "安全生产许可证", "work safety licence", "construction", "citizen_home", "city"),
    ("planning_permit", "建设工程规划许可证", "construction project planning permit", "construction",
     "urban_construction_bureau", "city"),
    ("land_planning", "建设用地规划许可证", "land use planning permit", "construction", "urban_construction_bureau", "city"),
    ("presale_permit", "商品房预售许可证", "pre-sale permit for commercial housing", "housing", "district_housing_bureau"),
    ("developer_qualification", "房地产开发企业资质证书", "real estate developer qualification certificate", "housing",
     "district_housing_bureau", "city"),
    ("constructor_registration", "二级建造师注册证书", "registered constructor certificate", "construction",
     "urban_construction_bureau", "city"),
    ("teacher_qualification", "教师资格证", "teacher qualification certificate", "education",
     "district_education_bureau"),
    ("private_school", "民办学校办学许可证", "private school licence", "education", "district_education_bureau"),
    ("training_school", "校外培训机构办学许可证", "after-school training licence", "education",
     "district_education_bureau"),
    ("kindergarten", "民办幼儿园办园许可证", "private kindergarten licence", "education", "district_education_bureau"),
    ("mandarin_test", "普通话水平测试等级证书", "Mandarin proficiency certificate", "education",
     "district_education_bureau", "city"),
    ("vocational_skill", "职业技能等级证书", "vocational skill level certificate", "education", "district_hrss"),
    ("physician", "医师执业证书", "physician practising certificate", "legal", "district_health_commission"),
    ("nurse", "护士执业证书", "nurse practising certificate", "legal", "district_health_commission"),
    ("medical_institution", "医疗机构执业许可证", "medical institution practising licence", "business",
     "district_health_commission"),
    ("maternal_health", "母婴保健技术服务执业许可证", "maternal and infant health service licence", "business",
     "district_health_commission"),
    ("radiology", "放射诊疗许可证", "radiology licence", "business", "district_health_commission"),
    ("village_doctor", "乡村医生执业证书", "village doctor certificate", "legal", "district_health_commission"),
    ("lawyer", "律师执业证", "lawyer's practising certificate", "legal", "citizen_home", "city"),
    ("grassroots_legal", "基层法律服务工作者执业证", "grassroots legal worker certificate", "legal", "citizen_home"),
    ("forensic_examiner", "司法鉴定人执业证", "forensic examiner certificate", "legal", "citizen_home", "city"),
    ("notary", "公证员执业证", "notary practising certificate", "legal", "notary_office", "city"),
    ("inspection_mark", "机动车检验合格标志", "vehicle inspection mark", "traffic", "vehicle_admin_office", "city"),
    ("school_bus", "校车标牌", "school bus sign", "traffic", "vehicle_admin_office", "city"),
    ("temporary_plate", "临时行驶车号牌", "temporary vehicle number plate", "traffic", "vehicle_admin_office", "city"),
    ("ebike_plate", "电动自行车号牌", "electric bicycle number plate", "traffic", "local_police_station", "street"),
    ("only_child", "独生子女父母光荣证", "certificate for parents of an only child", "family", "street_service_center",
     "street"),
    ("veteran_card", "退役军人优待证", "veterans' preferential treatment card", "social_assistance",
     "district_civil_affairs"),
    ("senior_card", "老年人优待证", "senior citizen preferential card", "social_assistance", "street_service_center",
     "street"),
    ("destitute_support", "特困人员供养证", "support certificate for destitute persons", "social_assistance",
     "district_civil_affairs"),
    ("employment_card", "就业创业证", "employment and entrepreneurship certificate", "social_insurance",
     "district_hrss"),
    ("public_rental", "公租房资格证明", "public rental housing eligibility certificate", "housing",
     "district_housing_bureau"),
    ("taiwan_permit", "往来台湾通行证", "Taiwan travel permit", "exit_entry", "exit_entry_bureau", "city"),
    ("foreigner_work", "外国人工作许可证", "foreigner's work permit", "exit_entry", "talent_service_center", "city"),
    ("foreigner_residence", "外国人居留许可", "residence permit for foreigners", "exit_entry", "exit_entry_bureau", "city"),
    ("seafarer", "海员证", "seafarer's passport", "exit_entry", "exit_entry_bureau", "city"),
    ("tour_guide", "导游证", "tour guide card", "business", "citizen_home", "city"),
    ("crew_competency", "船员适任证书", "crew competency certificate", "traffic", "citizen_home", "city"),
    ("fishing_vessel", "渔业船舶登记证书", "fishing vessel registration certificate", "traffic", "citizen_home"),
    ("animal_clinic", "动物诊疗许可证", "animal clinic licence", "business", "citizen_home"),
    ("animal_epidemic", "动物防疫条件合格证", "animal epidemic prevention certificate", "business", "citizen_home"),
    ("dog_registration", "养犬登记证", "dog registration certificate", "identity", "local_police_station", "street"),
    ("seed_trading", "种子生产经营许可证", "seed production and trading licence", "business", "citizen_home"),
    ("pesticide_trading", "农药经营许可证", "pesticide trading licence", "business", "citizen_home"),
    ("veterinary_drug", "兽药经营许可证", "veterinary drug trading licence", "business", "citizen_home"),
    ("feed_production", "饲料生产许可证", "feed production licence", "business", "citizen_home", "city"),
    ("special_operations", "特种作业操作证", "special operations certificate", "construction", "citizen_home", "city"),
    ("auction", "拍卖经营批准证书", "auction business approval certificate", "business", "citizen_home", "city"),
    ("pawnshop", "典当经营许可证", "pawnshop licence", "business", "citizen_home", "city"),
    ("security_service", "保安服务许可证", "security service licence", "business", "citizen_home", "city"),
    ("security_guard", "保安员证", "security guard certificate", "business", "local_police_station"),
    ("hotel_trade", "旅馆业特种行业许可证", "hotel special trade licence", "business", "local_police_station"),
    ("waterway_transport", "水路运输许可证", "waterway transport licence", "traffic", "citizen_home", "city"),
    ("port_operation", "港口经营许可证", "port operation licence", "traffic", "citizen_home", "city"),
    ("drainage", "城市排水许可证", "urban drainage permit", "construction", "urban_construction_bureau"),
    ("gas_operation", "燃气经营许可证", "gas operating licence", "construction", "urban_construction_bureau", "city"),
    ("social_organisation", "社会团体法人登记证书", "social organisation registration certificate", "legal",
     "district_civil_affairs"),
    ("non_enterprise", "民办非企业单位登记证书", "private non-enterprise unit registration certificate", "legal",
     "district_civil_affairs"),
    ("foundation", "基金会法人登记证书", "foundation registration certificate", "legal", "district_civil_affairs", "city"),
    ("religious_venue", "宗教活动场所登记证", "religious venue registration certificate", "legal", "citizen_home"),
    ("measuring_instrument", "计量器具型式批准证书", "measuring instrument type approval certificate", "business",
     "market_supervision", "city"),
    ("inspection_body", "检验检测机构资质认定证书", "inspection body accreditation certificate", "business",
     "market_supervision", "city"),
    ("tv_production", "广播电视节目制作经营许可证", "radio and TV programme production licence", "business",
     "citizen_home", "city"),
    ("cosmetics_production", "化妆品生产许可证", "cosmetics production licence", "business", "market_supervision", "city"),
    ("elderly_care_filing", "养老机构备案回执", "elderly care institution filing receipt", "social_assistance",
     "district_civil_affairs"),
    ("seal_engraving", "公章刻制备案证明", "company seal engraving filing certificate", "business",
     "local_police_station"),
))


@dataclass(frozen=True)
class Handling:
    """One kind of handling of a licence (核发, 补发, ...) with the words citizens use for it."""

    id: str
    zh: str
    en: str  # "{e}" is the thing in English
    aliases_zh: tuple[str, ...]  # "{o}" is the thing in Chinese
    aliases_en: tuple[str, ...]
    examples_zh: tuple[str, ...]
    examples_en: tuple[str, ...]
    documents: tuple[tuple[str, str, str], ...]  # (zh, en, form)
    legal_days: int
    committed_days: int


HANDLINGS = (
    Handling(
        "issue", "核发", "Issue of a {e}",
        ("{o}核发", "{o}申领", "申请{o}", "办{o}", "新办{o}", "首次申请{o}", "{o}怎么申请", "{o}新办", "领{o}",
         "{o}首次办理", "办理{o}", "{o}申请条件", "想申请{o}", "{o}新证", "{o}初次申领"),
        ("apply for {e}", "new {e}", "get a {e}", "{e} application", "first {e}"),
        ("{o}怎么申请，要准备什么材料", "第一次办{o}要去哪里", "申请{o}需要多长时间", "办{o}收费吗",
         "想申请{o}，流程是什么", "新办{o}可以网上办吗"),
        ("How do I apply for a {e}?", "What documents are needed for a new {e}?"),
        (("符合申请条件的证明材料（场所、人员、设备等）", "Proof that the conditions are met (premises, staff, equipment)",
          "copy"),),
        20, 10),
    Handling(
        "reissue", "补发", "Replacement of a lost {e}",
        ("{o}补发", "{o}丢了", "{o}遗失", "{o}补办", "补办{o}", "{o}掉了", "{o}找不到了", "{o}被偷了", "补领{o}",
         "{o}遗失补发", "{o}弄丢了", "丢了{o}", "{o}不见了", "{o}丢失", "{o}被盗"),
        ("lost {e}", "replace lost {e}", "{e} stolen", "{e} replacement", "lost my {e}"),
        ("{o}丢了怎么补办", "{o}遗失了要登报吗", "补发{o}要多久", "{o}被偷了怎么办", "补办{o}要带什么",
         "{o}找不到了能网上补吗"),
        ("I lost my {e}, how do I get a new one?", "How long does it take to replace a lost {e}?"),
        (("遗失情况说明（或遗失声明）", "Statement of loss", "original"),),
        10, 5),
    Handling(
        "exchange", "换发", "Exchange of a damaged {e}",
        ("{o}换发", "{o}换证", "{o}坏了", "{o}损坏", "{o}破损", "换{o}", "{o}旧证换新", "{o}污损换发", "{o}换新",
         "{o}破了", "{o}看不清了", "{o}损毁", "{o}受潮", "{o}换领", "{o}磨损"),
        ("damaged {e}", "exchange {e}", "replace damaged {e}", "worn out {e}", "broken {e}"),
        ("{o}坏了怎么换", "{o}破损了能换新的吗", "换发{o}要多久", "{o}字迹看不清了怎么办", "换{o}要交旧证吗",
         "{o}被水泡了要换吗"),
        ("My {e} is damaged, how do I exchange it?", "Can I swap a worn out {e} for a new one?"),
        (("原{o}（损坏的证件）", "The damaged {e}", "original"),),
        10, 5),
    Handling(
        "change", "变更", "Change of details on a {e}",
        ("{o}变更", "{o}信息变更", "变更{o}", "{o}改名", "{o}地址变更", "{o}内容变更", "{o}信息有误",
         "修改{o}信息", "{o}登记事项变更", "{o}名称变更", "{o}法人变更", "{o}负责人变更", "{o}改地址",
         "{o}事项变更", "更改{o}"),
        ("change details on {e}", "{e} change", "update {e}", "{e} address change", "correct {e}"),
        ("{o}地址变了怎么变更", "{o}上的名字要改怎么办", "{o}变更要带什么材料", "{o}负责人换了要去变更吗",
         "{o}信息写错了怎么改", "{o}变更能网上办吗"),
        ("How do I change the address on my {e}?", "What is needed to update the details on a {e}?"),
        (("原{o}正副本", "The original {e}", "original"),
         ("变更事项的证明材料", "Proof of the change", "copy")),
        10, 5),
    Handling(
        "cancel", "注销", "Cancellation of a {e}",
        ("{o}注销", "注销{o}", "{o}不用了", "{o}作废", "{o}退证", "{o}停业注销", "{o}撤销", "{o}怎么注销", "交回{o}",
         "{o}不要了", "{o}注销登记", "{o}停办", "{o}申请注销", "{o}歇业", "{o}缴销"),
        ("cancel {e}", "{e} cancellation", "deregister {e}", "give up {e}", "return {e}"),
        ("{o}不用了怎么注销", "注销{o}要带什么", "{o}注销要多久", "不干了{o}要交回吗", "{o}注销可以网上办吗",
         "{o}过期不用了需要注销吗"),
        ("How do I cancel my {e}?", "We closed the business, what happens to the {e}?"),
        (("原{o}正副本（遗失的提交遗失说明）", "The original {e} (or a statement of loss)", "original"),),
        10, 3),
    Handling(
        "renewal", "延续", "Extension of a {e}",
        ("{o}延续", "{o}到期", "{o}过期", "{o}续期", "{o}延期", "{o}快到期了", "{o}有效期满", "{o}续证",
         "延续{o}", "{o}年审", "{o}到期换证", "{o}延续申请", "{o}过期了", "{o}有效期延续", "{o}续办"),
        ("renew {e}", "{e} expired", "{e} extension", "extend {e}", "{e} expiring"),
        ("{o}快到期了怎么延续", "{o}过期了还能续吗", "{o}延续要提前多久申请", "{o}续期要带什么",
         "{o}到期换证要多少钱", "{o}延续能网上办吗"),
        ("My {e} expires next month, how do I renew it?", "How early should I apply to extend a {e}?"),
        (("原{o}正副本", "The original {e}", "original"),
         ("有效期内的经营（执业）情况说明", "Statement of activity during the current term", "original")),
        20, 10),
)

DISTRICT_EXAMPLES_ZH = ("我在{d}，{x}", "{d}{x}", "在{s}办：{x}", "{x}（{s}）")


SYNTHETIC_DATE = "2026-12-01"


def build_directory(target: str | Path, size: int, source: str | Path = BUNDLED_KNOWLEDGE) -> Path:
    """Write a knowledge base of `size` services to `target`: the shipped ones plus generated ones."""
    source, target = Path(source), Path(target)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    shipped = shipped_services(source)
    if size < len(shipped):
        raise ValueError(f"size {size} is smaller than the {len(shipped)} shipped services; "
                         f"use at least {len(shipped)}.")
    _add_district_offices(target / "offices.yaml")
    generated = synthetic_services(shipped, size - len(shipped))
    _to_registry(generated, target / "documents.yaml")
    for data in generated:
        # Made-up entries say so, like an entry nobody could verify.
        data.setdefault("sources", [{"title": "合成测试数据（性能基准）", "retrieved": SYNTHETIC_DATE,
                                     "note": "generated by bench/synthetic.py"}])
        data.setdefault("review", {"office": data["offices"][0], "reviewed_by": "bench/synthetic.py",
                                   "reviewed_on": SYNTHETIC_DATE, "next_review": "2099-12-31", "method": "unverified"})
        text = SCHEMA_HEADER + yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=200)
        (target / "services" / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    _drop_catalogue_matters_now_served(target / "catalogue", generated)
    return target


def _to_registry(services: list[dict], registry_file: Path) -> None:
    """Generated documents join the document registry, as an admin would add them: each kind once."""
    kinds: dict[str, dict] = {}
    for service in services:
        for i, document in enumerate(service["documents"]):
            if "document" in document:
                continue  # a shipped service's document, already in the registry
            kind_id = "synthetic_" + hashlib.sha1(document["name"]["zh"].encode()).hexdigest()[:12]
            kinds.setdefault(kind_id, {"id": kind_id, "name": document["name"],
                                       "issuer": {"zh": "申请人或出具单位", "en": "The applicant or the issuing body"},
                                       "how_to_get": document["source"], "electronic": False})
            rest = {k: v for k, v in document.items() if k not in ("name", "source")}
            service["documents"][i] = {"document": kind_id, **rest}
    data = yaml.load(registry_file.read_text(encoding="utf-8"), Loader=SafeLoader)
    data["documents"] += list(kinds.values())
    registry_file.write_text(yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=200),
                             encoding="utf-8")


def _drop_catalogue_matters_now_served(folder: Path, services: list[dict]) -> None:
    """A matter that got a full checklist leaves the catalogue, as it would in a real city."""
    taken = {_phrase_key(p) for s in services for p in (s["name"]["zh"], *s["aliases"])}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        kept = [m for m in data["matters"]
                if not any(_phrase_key(p) in taken for p in (m["name"]["zh"], *m["aliases"]))]
        if len(kept) != len(data["matters"]):
            data["matters"] = kept
            if kept:
                path.write_text(yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=200),
                                encoding="utf-8")
            else:
                path.unlink()


def shipped_services(source: str | Path = BUNDLED_KNOWLEDGE) -> list[dict]:
    return [yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
            for path in sorted((Path(source) / "services").glob("*.yaml"))]


def synthetic_services(shipped: list[dict], count: int) -> list[dict]:
    """`count` new services, the three streams taken in turn; names and aliases never repeat."""
    used_names = {s["name"]["zh"] for s in shipped}
    used_phrases = {_key(p) for s in shipped for p in (*s["aliases"], *s["examples"])}
    known = " ".join(used_phrases | used_names)
    things = [t for t in THINGS if t.zh not in known]  # a thing a shipped service covers would compete with it
    rng = random.Random(SEED)
    streams = [
        _shuffled(rng, ((s, d) for s in shipped for d in DISTRICTS), _district_variant),
        _shuffled(rng, ((t, h) for t in things for h in HANDLINGS), _handling_service),
        _shuffled(rng, ((t, h, d) for t in things for h in HANDLINGS for d in DISTRICTS), _district_handling),
    ]
    result = []
    for service in _round_robin(streams):
        if len(result) >= count:
            break
        if service["name"]["zh"] in used_names:
            continue
        used_names.add(service["name"]["zh"])
        service["aliases"] = _fresh(service["aliases"], used_phrases)
        service["examples"] = _fresh(service["examples"], used_phrases)
        if service["aliases"]:
            result.append(service)
    if len(result) < count:
        raise ValueError(f"the generator can make {len(result)} services, fewer than the {count} asked for.")
    return result


def _key(phrase) -> str:
    return str(phrase).strip().lower()


def _fresh(phrases: list[str], used: set[str]) -> list[str]:
    kept = []
    for phrase in phrases:
        if _key(phrase) not in used:
            used.add(_key(phrase))
            kept.append(phrase)
    return kept


def _shuffled(rng: random.Random, items, make):
    items = list(items)
    rng.shuffle(items)
    return (make(*item) for item in items)


def _round_robin(streams):
    for batch in itertools.zip_longest(*streams):
        yield from (service for service in batch if service is not None)


def _district_office(district: District) -> str:
    return f"{district.id}_service_centre"


def _add_district_offices(path: Path) -> None:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    for d in DISTRICTS:
        data["offices"].append({
            "id": _district_office(d),
            "name": {"zh": f"{d.zh}政务服务中心", "en": f"{d.en} Government Service Centre"},
            "level": "district",
            "address": {"zh": f"{d.zh}政务服务中心综合受理大厅（地址以区人民政府网站公布为准）",
                        "en": f"General service hall of the {d.en} Government Service Centre (see the district "
                              "government website for the address)"},
            "hours": {"zh": "周一至周五 9:00-12:00，13:30-17:00（法定节假日除外）",
                      "en": "Mon-Fri 9:00-12:00 and 13:30-17:00, except public holidays"},
            "phone": "12345",
        })
    text = "# yaml-language-server: $schema=offices.schema.json\n" + yaml.dump(
        data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=200)
    path.write_text(text, encoding="utf-8")


def _district_variant(base: dict, d: District) -> dict:
    """A shipped service as handled in one district: the same content, the district in every phrase."""
    service = {k: v for k, v in base.items()}
    service["id"] = f"{base['id']}_{d.id}"
    service["name"] = {"zh": f"{d.zh}{base['name']['zh']}", "en": f"{base['name'].get('en', base['name']['zh'])} "
                                                                  f"({d.en})"}
    service["level"] = "district"
    service["aliases"] = [_in_district(str(a), d, i) for i, a in enumerate(base["aliases"])]
    service["examples"] = [_example_in_district(str(x), d, i) for i, x in enumerate(base["examples"])]
    if base.get("excludes"):
        service["excludes"] = [_in_district(str(x), d, 0) for x in base["excludes"]]
    service["offices"] = [_district_office(d), *(o for o in base["offices"] if o != _district_office(d))]
    service["updated"] = UPDATED
    return service


def _in_district(phrase: str, d: District, i: int) -> str:
    if _is_english(phrase):
        return f"{phrase} in {d.en}"
    return f"{d.zh if i % 2 == 0 else d.short}{phrase}"


def _example_in_district(example: str, d: District, i: int) -> str:
    if _is_english(example):
        return f"{example.rstrip('?.')} in {d.en}?"
    return DISTRICT_EXAMPLES_ZH[i % len(DISTRICT_EXAMPLES_ZH)].format(d=d.zh, s=d.short, x=example)


def _is_english(text: str) -> bool:
    return not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _handling_service(thing: Thing, h: Handling, district: District | None = None) -> dict:
    """One kind of handling of a licence, with documents and limits written for that kind."""
    place_zh, place_en = (district.zh, f" ({district.en})") if district else ("", "")
    fill = lambda text: _articles(text.format(o=thing.zh, e=thing.en))  # noqa: E731
    label_zh = f"{place_zh}{thing.zh}{h.zh}"
    aliases = [fill(a) for a in h.aliases_zh] + [fill(a) for a in h.aliases_en]
    examples = [fill(x) for x in h.examples_zh] + [fill(x) for x in h.examples_en]
    excludes = [f"{thing.zh}{other.zh}" for other in HANDLINGS if other.id != h.id][:4]
    if district:
        aliases = [_in_district(a, district, i) for i, a in enumerate(aliases)]
        examples = [_example_in_district(x, district, i) for i, x in enumerate(examples)]
        excludes = [_in_district(x, district, 0) for x in excludes]
    offices = [_district_office(district), thing.office] if district else [thing.office]
    documents = [
        _document(f"{label_zh}申请表", f"Application form: {fill(h.en)}", "original",
                  "窗口领取或在湖北政务服务网下载", "At the desk or downloaded from the Hubei government service portal"),
        _document("申请人（单位为法定代表人）身份证件", "Applicant's ID (for an organisation, its legal representative's)",
                  "original_and_copy", "申请人本人持有", "The applicant's own"),
        *(_document(fill(zh), fill(en), form, "申请人持有或自行准备", "Held or prepared by the applicant")
          for zh, en, form in h.documents),
        {**_document("授权委托书及受托人身份证件", "Letter of authorisation and the agent's ID", "original",
                     "申请人出具；受托人本人持有", "Signed by the applicant; the agent's own ID"), "condition": "agent"},
    ]
    return {
        "id": f"{thing.id}_{h.id}" + (f"_{district.id}" if district else ""),
        "name": {"zh": label_zh, "en": fill(h.en) + place_en},
        "category": thing.category,
        "level": "district" if district else thing.level,
        "aliases": aliases,
        "examples": examples,
        "excludes": excludes,
        "offices": offices,
        "eligibility": {"zh": f"持有或申请{thing.zh}、符合法定条件的单位或个人。",
                        "en": fill("Organisations or people who hold or apply for a {e} and meet the legal "
                                   "conditions.")},
        "conditions": {"agent": {"zh": "是否委托他人代为办理？", "en": "Is someone applying on your behalf?"}},
        "documents": documents,
        "steps": [
            {"zh": "在湖北政务服务网在线提交申请，或到窗口取号提交材料", "en": "Apply online on the Hubei government "
             "service portal, or take a number at the desk and hand in the documents"},
            {"zh": "窗口当场核对材料，材料不全的一次性告知需补正的全部内容",
             "en": "The desk checks the documents on the spot and lists everything missing at once"},
            {"zh": "受理后审查，必要时现场核查", "en": "After acceptance the application is examined, with an "
             "on-site check if needed"},
            {"zh": "作出决定，窗口领取或邮寄送达", "en": "A decision is made; collect the result at the desk or "
             "receive it by post"},
        ],
        "time_limit": {"legal_days": h.legal_days, "committed_days": h.committed_days},
        "fees": [{"item": {"zh": f"{thing.zh}{h.zh}", "en": fill(h.en)}, "amount": {"zh": "不收费", "en": "Free"}}],
        "online": {"available": True, "channel": {"zh": "湖北政务服务网、“鄂汇办”App", "en": "Hubei government "
                   "service portal, E-Huiban app"}, "url": "https://zwfw.hubei.gov.cn"},
        "legal_basis": [{"zh": "《中华人民共和国行政许可法》", "en": "Administrative Licensing Law of the PRC"}],
        "refusal": {
            "reasons": [{"zh": "申请材料不齐全或不符合法定形式，经一次性告知后未补正",
                         "en": "Documents incomplete or not in the legal form, and not completed after notice"},
                        {"zh": "不符合法定条件", "en": "The legal conditions are not met"}],
            "appeal": {"zh": "对决定不服的，可在收到决定之日起60日内申请行政复议，或在6个月内提起行政诉讼。",
                       "en": "Apply for administrative review within 60 days of the decision, or sue within 6 months."},
        },
        "updated": UPDATED,
    }


def _articles(text: str) -> str:
    """'a animal clinic licence' -> 'an animal clinic licence'."""
    return re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", text)


def _district_handling(thing: Thing, h: Handling, d: District) -> dict:
    return _handling_service(thing, h, d)


def _document(zh: str, en: str, form: str, source_zh: str, source_en: str) -> dict:
    return {"name": {"zh": zh, "en": en}, "form": form, "copies": 1, "source": {"zh": source_zh, "en": source_en}}


def questions_of(directory: str | Path) -> list[str]:
    """Every example question of the generated services in a directory (the shipped ones excluded)."""
    shipped = {p.name for p in (BUNDLED_KNOWLEDGE / "services").glob("*.yaml")}
    questions = []
    for path in sorted((Path(directory) / "services").glob("*.yaml")):
        if path.name not in shipped:
            questions.extend(str(x) for x in yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)["examples"])
    return questions
