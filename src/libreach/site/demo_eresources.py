"""The demo's e-resources: what a Beijing university library put before its readers when
the campus shut in spring 2020. Each member's IdP and proxies; JHU's databases (real names,
vendors and platform hosts) with their off-campus routes ranked; free offers relative to
the demo's clock; a COVID-19 topic collection and a draft; a KBART title list; the CARSI
federation's IdPs; and link patrol history.

Everything goes through `eresources.services`, as the library's administrator or SYSTEM
would, and only once: a library that already lists databases is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from libreach.accounts.models import User
from libreach.accounts.policies import SYSTEM
from libreach.consortium.models import Library
from libreach.core.models import PeriodicJob
from libreach.eresources import patrol, services
from libreach.eresources.models import (
    AccessRoute,
    Collection,
    Database,
    FederationIdp,
    LinkSettings,
    PatrolRun,
    RouteKind,
)
from libreach.eresources.selectors import routes_to_check

# Beside site.demo's DATA (not imported from it: demo imports this module).
DATA = Path(__file__).resolve().parent.parent / "demo_data"

# Each member's school domain: its IdP is https://idp.<domain>/idp/shibboleth (the
# community form), its proxies ezproxy.<domain> and webvpn.<domain>.
DOMAINS = {"JHU": "jhu.example.edu.cn", "YSNU": "ysnu.example.edu.cn", "NIT": "nit.example.edu.cn"}
IDP_NAMES = {"JHU": "京华大学", "YSNU": "燕山师范大学", "NIT": "北方理工大学"}

ENTITY = "https://{IDP地址}/idp/shibboleth"
ENTITY_ENCODED = "https%3A%2F%2F{IDP地址}%2Fidp%2Fshibboleth"


def _atypon(host: str) -> str:
    """The WAYFless start of the platforms Atypon runs (Wiley, ACS, T&F, SAGE, Science)."""
    return f"https://{host}/action/ssostart?idp={ENTITY_ENCODED}&redirectUri=%2F"


def _vpn_steps(client: str = "EasyConnect") -> str:
    return (
        f"1. 从 https://vpn.{{domain}} 下载并安装 {client} 客户端；\n"
        "2. 用统一身份认证账号（学工号）和密码登录；\n"
        "3. 连接成功后，直接打开数据库平台地址即可，如同在校园网内。"
    )


CAMPUS = "在校园网IP范围内（含宿舍区、图书馆无线网）直接访问，无需登录。"
WEBVPN = "用统一身份认证账号登录WebVPN后自动跳转到数据库；链接可收藏，下次仍需登录WebVPN。"
CARSI = "点击链接，在学校统一身份认证页面登录，即回到数据库并以本校身份访问，无需VPN。"
EZPROXY = "点击链接，用统一身份认证账号登录代理服务器后即可访问全文。"


@dataclass
class DatabaseSpec:
    name: str
    name_en: str
    vendor: str
    kind: str
    subjects: str
    description: str
    platform_url: str
    carsi: str = ""  # the WAYFless template, {IDP地址} for the IdP host
    ezproxy: bool = False
    webvpn: bool = True
    vpn: bool = True
    personal: str = ""  # the personal account's steps
    ranks: dict[str, int] = field(default_factory=dict)
    members: tuple[str, ...] = ("JHU",)


# fmt: off
DATABASES = [
    DatabaseSpec(
        "中国知网（CNKI）", "China National Knowledge Infrastructure", "同方知网", "full_text",
        "综合,期刊,学位论文,会议论文",
        "收录中文学术期刊、博硕士学位论文、会议论文、报纸和年鉴的全文，是国内最常用的综合性学术资源平台。",
        "https://www.cnki.net/",
        carsi="https://fsso.cnki.net/Shibboleth.sso/Login?entityID=" + ENTITY
        + "&target=https://fsso.cnki.net/secure/default.aspx",
        personal="1. 在校园网内登录知网个人账号，在“我的CNKI”中关联本校机构账号；\n"
        "2. 关联后在校外登录个人账号即可漫游使用本校已购资源；\n"
        "3. 漫游权限到期前回到校园网内再登录一次即可续期。",
        ranks={"carsi": 15}, members=("JHU", "YSNU", "NIT"),
    ),
    DatabaseSpec(
        "CNKI 博硕士学位论文全文数据库", "CNKI China Doctoral and Masters' Theses Full-text Database",
        "同方知网", "theses", "学位论文",
        "收录全国高校和科研院所的博士、硕士学位论文全文，1984年至今。",
        "https://kns.cnki.net/kns8/defaultresult/index?dbcode=CDMD",
        carsi="https://fsso.cnki.net/Shibboleth.sso/Login?entityID=" + ENTITY
        + "&target=https%3A%2F%2Fkns.cnki.net%2Fkns8%2Fdefaultresult%2Findex%3Fdbcode%3DCDMD",
    ),
    DatabaseSpec(
        "万方数据知识服务平台", "Wanfang Data", "万方数据", "full_text",
        "综合,期刊,学位论文,标准,专利",
        "提供中文期刊、学位论文、会议论文、专利、标准和地方志的检索与全文下载。",
        "https://www.wanfangdata.com.cn/",
        carsi="https://fsso.wanfangdata.com.cn/Shibboleth.sso/Login?entityID=" + ENTITY
        + "&target=https%3A%2F%2Ffsso.wanfangdata.com.cn%2Fsecure",
        members=("JHU", "YSNU", "NIT"),
    ),
    DatabaseSpec(
        "维普中文期刊服务平台", "VIP Chinese Journals", "重庆维普", "journals", "综合,期刊",
        "收录1989年以来的中文科技期刊全文，学科覆盖理、工、农、医和社会科学。",
        "https://qikan.cqvip.com/",
        carsi="https://qikan.cqvip.com/Shibboleth.sso/Login?entityID=" + ENTITY
        + "&target=https://qikan.cqvip.com/",
    ),
    DatabaseSpec(
        "超星电子图书", "Chaoxing E-books", "超星集团", "books", "综合,电子图书",
        "百万种中文电子图书，可在线阅读或下载到超星阅读器，覆盖各学科。",
        "https://www.sslibrary.com/",
        personal="1. 在校园网内用手机号注册“超星学习通”并绑定本校图书馆；\n"
        "2. 绑定后在校外打开学习通，即可阅读本校已购电子图书。",
        members=("JHU", "YSNU"),
    ),
    DatabaseSpec(
        "读秀学术搜索", "Duxiu Academic Search", "超星集团", "index", "综合,电子图书",
        "中文图书全文检索和目录章节试读，可通过文献传递获取所需页面。",
        "https://www.duxiu.com/",
        webvpn=True, ranks={"vpn": 45},
    ),
    DatabaseSpec(
        "国研网", "DRCnet", "国务院发展研究中心信息网", "data", "经济,管理,统计数据",
        "国务院发展研究中心的经济研究报告、行业分析和宏观经济统计数据库。",
        "https://www.drcnet.com.cn/",
    ),
    DatabaseSpec(
        "ScienceDirect", "ScienceDirect", "Elsevier", "journals",
        "综合,医学,生命科学,工程技术,期刊",
        "爱思唯尔的全文平台，收录2,500余种期刊和数万种图书，本馆订购 Freedom Collection。",
        "https://www.sciencedirect.com/",
        carsi="https://auth.elsevier.com/ShibAuth/institutionLogin?entityID=" + ENTITY
        + "&appReturnURL=https%3A%2F%2Fwww.sciencedirect.com%2F",
        personal="1. 在校园网内注册 Elsevier 个人账号并登录 ScienceDirect；\n"
        "2. 登录后点击 “Remote access”，按邮件中的链接激活；\n"
        "3. 之后在校外登录个人账号即可访问全文，期限以邮件说明为准。",
        ranks={"carsi": 15}, members=("JHU", "NIT"),
    ),
    DatabaseSpec(
        "SpringerLink", "SpringerLink", "Springer Nature", "journals",
        "综合,数学,计算机,工程技术,期刊,电子图书",
        "施普林格的期刊、电子图书、丛书和参考工具书全文平台。",
        "https://link.springer.com/",
        carsi="https://fsso.springer.com/saml/login?idp=" + ENTITY
        + "&targetUrl=https://link.springer.com",
    ),
    DatabaseSpec(
        "Wiley Online Library", "Wiley Online Library", "John Wiley & Sons", "journals",
        "综合,化学,生命科学,医学,期刊",
        "约1,600种期刊和大量电子图书，化学、生命科学和医学尤为齐全。",
        "https://onlinelibrary.wiley.com/",
        carsi=_atypon("onlinelibrary.wiley.com"),
    ),
    DatabaseSpec(
        "Web of Science 核心合集", "Web of Science Core Collection", "Clarivate", "index",
        "综合,引文索引",
        "SCIE、SSCI、A&HCI 和 CPCI 引文索引，检索文献并追踪引用关系，用于科研评价。",
        "https://www.webofknowledge.com/",
        carsi="https://www.webofknowledge.com/?auth=ShibbolethIdPForm&entityID="
        + ENTITY_ENCODED
        + "&target=https%253A%252F%252Fwww.webofknowledge.com%252F"
        "&ShibFederation=ChineseFederation",
        personal="1. 在校园网内注册 Web of Science 个人账号并登录；\n"
        "2. 此后六个月内在校外登录个人账号即可漫游使用，到期后回校园网内再登录一次续期。",
        members=("JHU", "NIT"),
    ),
    DatabaseSpec(
        "IEEE Xplore", "IEEE Xplore Digital Library", "IEEE", "journals",
        "电子工程,计算机,通信,期刊,会议论文",
        "IEEE 和 IET 的期刊、会议录和标准全文，电气电子和计算机领域的核心资源。",
        "https://ieeexplore.ieee.org/",
        carsi="https://ieeexplore.ieee.org/servlet/wayf.jsp?entityId=" + ENTITY
        + "&url=https%3A%2F%2Fieeexplore.ieee.org%2FXplore%2Fhome.jsp",
        members=("JHU", "NIT"),
    ),
    DatabaseSpec(
        "ACS 美国化学会期刊", "ACS Publications", "American Chemical Society", "journals",
        "化学,化工,期刊",
        "美国化学会出版的化学及相关学科期刊全文，含 JACS 等核心期刊。",
        "https://pubs.acs.org/",
        carsi=_atypon("pubs.acs.org"),
    ),
    DatabaseSpec(
        "JSTOR", "JSTOR", "ITHAKA", "journals", "人文,社会科学,期刊",
        "人文社会科学过刊全文，多数期刊从创刊号收起。",
        "https://www.jstor.org/",
        carsi="https://shibbolethsp.jstor.org/start?entityID=" + ENTITY_ENCODED
        + "&dest=https://www.jstor.org&site=jstor",
        ezproxy=True,
    ),
    DatabaseSpec(
        "ProQuest 博硕士论文全文数据库", "ProQuest Dissertations & Theses Global",
        "ProQuest", "theses", "学位论文",
        "北美等地高校的博硕士学位论文，收录文摘和大量全文。",
        "https://www.proquest.com/pqdtglobal",
        ezproxy=True, ranks={"ezproxy": 18},
    ),
    DatabaseSpec(
        "Nature 期刊", "Nature", "Springer Nature", "journals", "综合,生命科学,期刊",
        "Nature 周刊及本馆订购的 Nature 子刊全文。",
        "https://www.nature.com/",
        carsi="https://sp.nature.com/saml/login?idp=" + ENTITY
        + "&targetUrl=https://www.nature.com",
    ),
    DatabaseSpec(
        "Science Online", "Science Online", "AAAS", "journals", "综合,期刊",
        "Science 周刊1997年以来的全文及新闻评论。",
        "https://www.science.org/",
        carsi=_atypon("www.science.org"),
    ),
    DatabaseSpec(
        "EBSCO 学术期刊与商管资源", "EBSCOhost (ASP, BSP)", "EBSCO", "full_text",
        "综合,经济,管理,期刊",
        "Academic Search Premier 和 Business Source Premier 两库的期刊全文。",
        "https://search.ebscohost.com/",
        ezproxy=True, webvpn=False,
    ),
    DatabaseSpec(
        "Taylor & Francis 期刊", "Taylor & Francis Online", "Taylor & Francis", "journals",
        "人文,社会科学,工程技术,期刊",
        "泰勒弗朗西斯出版的社会科学、人文和科技期刊全文。",
        "https://www.tandfonline.com/",
        carsi=_atypon("www.tandfonline.com"),
    ),
    DatabaseSpec(
        "SAGE 期刊", "SAGE Journals", "SAGE Publishing", "journals",
        "社会科学,医学,期刊",
        "SAGE 出版的社会科学、人文、医学和工程期刊全文。",
        "https://journals.sagepub.com/",
        carsi=_atypon("journals.sagepub.com"),
    ),
    DatabaseSpec(
        "Emerald 管理学期刊", "Emerald Insight", "Emerald Publishing", "journals",
        "管理,图书情报,期刊",
        "管理学、图书馆学与情报学期刊和案例全文。",
        "https://www.emerald.com/insight/",
        ezproxy=True,
    ),
    DatabaseSpec(
        "剑桥大学出版社电子期刊与图书", "Cambridge Core", "Cambridge University Press",
        "journals", "人文,社会科学,数学,期刊,电子图书",
        "剑桥大学出版社的期刊和学术图书全文。",
        "https://www.cambridge.org/core",
        carsi="https://shibboleth.cambridge.org/Shibboleth.sso/discovery?entityID="
        + ENTITY_ENCODED
        + "&target=https://shibboleth.cambridge.org/CJOShibb2/index?"
        "app=https%3A%2F%2Fwww.cambridge.org%2Fcore%2Fshibboleth%3Fref%3D%2Fcore",
    ),
    DatabaseSpec(
        "牛津大学出版社期刊", "Oxford Academic Journals", "Oxford University Press",
        "journals", "人文,社会科学,医学,期刊",
        "牛津大学出版社的人文、社科、医学和自然科学期刊全文。",
        "https://academic.oup.com/",
        carsi="https://academic.oup.com/Shibboleth.sso/Login?entityID=" + ENTITY_ENCODED
        + "&target=https%3A%2F%2Facademic.oup.com%2F",
    ),
    DatabaseSpec(
        "JoVE 实验视频", "JoVE (Journal of Visualized Experiments)", "MyJoVE", "media",
        "生命科学,医学,实验视频",
        "以视频记录实验过程的同行评审期刊和科学教育视频。",
        "https://www.jove.com/",
        vpn=False, webvpn=False,
    ),
]
# fmt: on


def _offers(now: dt.datetime) -> dict[str, dict]:
    """The free offers of spring 2020, placed around the demo's clock: two open and ending
    (one within the week staff are warned of), one open for months, one still to come, and
    one that ended yesterday, which readers no longer see. Vendors open an offer at the
    start of a day and close it at its end (Beijing time)."""
    today = timezone.localdate(now)
    zone = timezone.get_default_timezone()

    def opens(days: int) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(0, 0), zone)

    def closes(days: int) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(23, 59), zone)

    return {
        "剑桥大学出版社电子期刊与图书": {
            "url": "https://www.cambridge.org/core/what-we-publish/textbooks",
            "starts": opens(-60), "ends": closes(3),
            "scope": "全体读者，在校外直接访问即可",
            "instructions": "疫情期间剑桥大学出版社免费开放700余种高等教育电子教材（HTML格式在线阅读）。",
        },
        "JoVE 实验视频": {
            "url": "https://www.jove.com/",
            "starts": opens(-40), "ends": closes(20),
            "scope": "全体读者，注册个人账号即可",
            "instructions": "1. 打开 JoVE 网站，用本校邮箱注册个人账号；\n2. 登录后即可观看全部实验视频。",
        },
        "万方数据知识服务平台": {
            "url": "https://www.wanfangdata.com.cn/",
            "starts": opens(-70), "ends": closes(120),
            "scope": "全体读者，注册个人账号即可",
            "instructions": "万方数据“战疫情”免费开放：注册万方个人账号后校外可免费检索和下载全文。",
        },
        "Emerald 管理学期刊": {
            "url": "https://www.emerald.com/insight/",
            "starts": opens(5), "ends": closes(65),
            "scope": "全体读者，校外直接访问",
            "instructions": "Emerald 全库期刊将免费开放两个月。",
        },
        "ProQuest 博硕士论文全文数据库": {
            "url": "https://www.proquest.com/pqdtglobal",
            "starts": opens(-45), "ends": closes(-1),
            "scope": "全体读者，校外直接访问",
            "instructions": "ProQuest 疫情期间学位论文全文免费试用。",
        },
    }  # fmt: skip


def _routes(spec: DatabaseSpec, domain: str, offer: dict | None) -> list[services.RouteInput]:
    ranks = spec.ranks
    routes = [services.RouteInput(kind=RouteKind.CAMPUS_IP, instructions=CAMPUS)]
    if spec.vpn:
        routes.append(
            services.RouteInput(
                kind=RouteKind.VPN,
                rank=ranks.get("vpn"),
                instructions=_vpn_steps().replace("{domain}", domain),
            )
        )
    if spec.webvpn:
        routes.append(services.RouteInput(kind=RouteKind.WEBVPN, instructions=WEBVPN))
    if spec.carsi:
        routes.append(
            services.RouteInput(
                kind=RouteKind.CARSI, url=spec.carsi, rank=ranks.get("carsi"), instructions=CARSI
            )
        )
    if spec.ezproxy:
        routes.append(
            services.RouteInput(
                kind=RouteKind.EZPROXY, rank=ranks.get("ezproxy"), instructions=EZPROXY
            )
        )
    if spec.personal:
        routes.append(
            services.RouteInput(kind=RouteKind.PERSONAL_ACCOUNT, instructions=spec.personal)
        )
    if offer:
        routes.append(services.RouteInput(kind=RouteKind.FREE_OFFER, **offer))
    return routes


# --- the COVID-19 topic collection -----------------------------------------------------

COVID_DATABASES = [
    ("中国知网（CNKI）", "知网“新型冠状病毒肺炎”专题出版，相关论文优先出版、免费下载。"),
    ("万方数据知识服务平台", ""),
    ("维普中文期刊服务平台", ""),
    ("ScienceDirect", "The Lancet、Cell 等期刊的新冠论文可在此下载全文。"),
    ("Nature 期刊", ""),
    ("Science Online", ""),
    ("Wiley Online Library", ""),
    ("SpringerLink", ""),
    ("Web of Science 核心合集", "检索主题 “COVID-19 OR SARS-CoV-2” 追踪最新高被引论文。"),
    ("JoVE 实验视频", "病毒学与分子生物学实验操作视频。"),
    ("牛津大学出版社期刊", ""),
]
COVID_LINKS = [
    ("世界卫生组织（WHO）新冠肺炎专页", "https://www.who.int/emergencies/diseases/novel-coronavirus-2019", "疫情通报、技术指南和全球研究数据库入口。"),
    ("WHO COVID-19 全球文献数据库", "https://search.bvsalud.org/global-literature-on-novel-coronavirus-2019-ncov/", ""),
    ("美国疾病控制与预防中心（CDC）", "https://www.cdc.gov/coronavirus/2019-ncov/index.html", ""),
    ("国家卫生健康委员会 疫情防控专栏", "http://www.nhc.gov.cn/xcs/xxgzbd/gzbd_index.shtml", "诊疗方案与每日疫情通报。"),
    ("中华医学会 新型冠状病毒肺炎科研成果学术交流平台", "https://medjournals.cn/2019NCP/index.do", "中华医学会系列杂志的新冠论文，免费阅读。"),
    ("NEJM Coronavirus (Covid-19)", "https://www.nejm.org/coronavirus", "新英格兰医学杂志的新冠论文，全部免费。"),
    ("The Lancet COVID-19 Resource Centre", "https://www.thelancet.com/coronavirus", ""),
    ("Cell Press Coronavirus Resource Hub", "https://www.cell.com/2019-nCOV", ""),
    ("Elsevier Novel Coronavirus Information Center", "https://www.elsevier.com/connect/coronavirus-information-center", ""),
    ("Springer Nature: SARS-CoV-2 and COVID-19", "https://www.springernature.com/gp/researchers/campaigns/coronavirus", ""),
    ("JAMA Network COVID-19", "https://jamanetwork.com/journals/jama/pages/coronavirus-alert", ""),
    ("BMJ Coronavirus (covid-19) Hub", "https://www.bmj.com/coronavirus", ""),
    ("medRxiv / bioRxiv COVID-19 预印本", "https://connect.medrxiv.org/relate/content/181", "预印本未经同行评审，引用时请注意。"),
    ("CORD-19 开放研究数据集", "https://www.semanticscholar.org/cord19", "供文本挖掘的新冠文献全文数据集。"),
]  # fmt: skip
COVID_OFFERS = ["剑桥大学出版社电子期刊与图书", "JoVE 实验视频", "万方数据知识服务平台"]


# --- link patrol history ---------------------------------------------------------------

# DEMO HISTORY, made up: the demo may have no network, so two past runs are recorded here with
# results written by hand. The real patrol (`libreach patrol`, and daily in `libreach
# worker`) checks each link over the network and records its findings the same way.
PATROL_JOB = "daily_link_patrol"  # eresources.apps registers it
BROKEN_ON_DAY = {
    2: {("读秀学术搜索", RouteKind.VPN): (patrol.Status.TIMEOUT, None, "ReadTimeout: no answer in time")},
    1: {
        ("国研网", RouteKind.CAMPUS_IP): (patrol.Status.NOT_FOUND, 404, ""),
        ("超星电子图书", RouteKind.PERSONAL_ACCOUNT): (
            patrol.Status.SOFT_404, 200, "a random path answers the same page"
        ),
        ("Emerald 管理学期刊", RouteKind.EZPROXY): (patrol.Status.TIMEOUT, None, "ReadTimeout: no answer in time"),
    },
}  # fmt: skip


def _demo_result(route: AccessRoute, url: str, days_ago: int, domain: str) -> patrol.Result:
    broken = BROKEN_ON_DAY[days_ago].get((route.database.name, route.kind))
    elapsed = 0.2 + (route.pk % 7) * 0.11
    if broken:
        status, code, detail = broken
        if status == patrol.Status.TIMEOUT:
            elapsed = 10.0
        return patrol.Result(url, status, code, url if code else "", elapsed, detail)
    if route.kind == RouteKind.CARSI:
        sso = f"https://idp.{domain}/idp/profile/SAML2/Redirect/SSO?execution=e1s1"
        return patrol.Result(url, patrol.Status.LOGIN_REQUIRED, 302, sso, elapsed)
    if route.kind in (RouteKind.EZPROXY, RouteKind.WEBVPN):
        login = (
            url.split("?")[0]
            if route.kind == RouteKind.EZPROXY
            else f"https://webvpn.{domain}/login"
        )
        return patrol.Result(url, patrol.Status.LOGIN_REQUIRED, 302, login, elapsed)
    return patrol.Result(url, patrol.Status.OK, 200, url, elapsed)


def _ensure_patrol_history(library: Library, now: dt.datetime) -> None:
    if PatrolRun.objects.filter(library=library).exists():
        return
    domain = DOMAINS[library.code]
    for days_ago in (2, 1):
        # 03:00 in the site's time zone, when a library would schedule it.
        started = timezone.localtime(now - dt.timedelta(days=days_ago)).replace(
            hour=3, minute=0, second=0, microsecond=0
        )
        targets = routes_to_check(library=library, now=started)
        services.record_patrol(
            library=library,
            started=started,
            finished=started + dt.timedelta(minutes=2, seconds=14),
            checked=[(t.route, _demo_result(t.route, t.url, days_ago, domain)) for t in targets],
        )
    # The demo's worker would run the daily patrol at its first round, and with no network
    # every link would read as broken over this history: the patrol counts as run at
    # loading, so the real one comes a day later.
    PeriodicJob.objects.update_or_create(name=PATROL_JOB, defaults={"last_enqueued_at": now})


# --- loading -----------------------------------------------------------------------------


def load_eresources(libraries: list[Library], *, now: dt.datetime | None = None) -> None:
    """The demo's e-resources, once; `now` is the demo's clock (tests set it)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not FederationIdp.objects.exists():
            services.import_federation_metadata(
                by=SYSTEM, source=(DATA / "carsi-metadata.xml").read_bytes(), at=now
            )
        for library in libraries:
            if library.code in DOMAINS:
                _ensure_library(library, now)


def _ensure_library(library: Library, now: dt.datetime) -> None:
    domain = DOMAINS[library.code]
    admin = User.objects.filter(username=f"{library.code.lower()}-admin").first() or SYSTEM
    if not LinkSettings.objects.filter(library=library).exists():
        services.save_link_settings(
            by=admin,
            library=library,
            idp_entity_id=f"https://idp.{domain}/idp/shibboleth",
            idp_name=IDP_NAMES[library.code],
            ezproxy_base=f"https://ezproxy.{domain}",
            webvpn_base=f"https://webvpn.{domain}",
            webvpn_encrypted=True,
        )
    if Database.objects.filter(library=library).exists():
        return
    offers = _offers(now) if library.code == "JHU" else {}
    for spec in DATABASES:
        if library.code in spec.members:
            services.create_database(
                by=admin,
                library=library,
                name=spec.name,
                name_en=spec.name_en,
                vendor=spec.vendor,
                kind=spec.kind,
                subjects=spec.subjects,
                description=spec.description,
                platform_url=spec.platform_url,
                routes=_routes(spec, domain, offers.get(spec.name)),
            )
    if library.code == "YSNU":
        _import_community_list(library, admin)
    if library.code != "JHU":
        return
    sciencedirect = Database.objects.get(library=library, name="ScienceDirect")
    services.import_kbart(
        by=admin,
        database_id=sciencedirect.pk,
        source=(DATA / "kbart-sciencedirect.txt").read_bytes(),
    )
    _ensure_collections(library, admin)
    _ensure_patrol_history(library, now)


def _import_community_list(library: Library, admin) -> None:
    """YSNU reads the community WAYFless list, as a library does when it joins CARSI: its
    two databases get the list's links, the four new to it are made and then described."""
    result = services.import_wayfless(
        by=admin,
        library=library,
        text=(DATA / "carsi-wayfless-community.md").read_text(encoding="utf-8"),
    )
    specs = {spec.name: spec for spec in DATABASES}
    for database in Database.objects.filter(library=library, name__in=result.names):
        spec = specs.get(database.name)
        if spec is not None and not database.vendor:
            services.update_database(
                by=admin,
                database_id=database.pk,
                name_en=spec.name_en,
                vendor=spec.vendor,
                kind=spec.kind,
                subjects=spec.subjects,
                description=spec.description,
                platform_url=spec.platform_url,
            )


def _ensure_collections(library: Library, admin) -> None:
    if Collection.objects.filter(library=library).exists():
        return
    ids = dict(Database.objects.filter(library=library).values_list("name", "id"))
    covid = services.create_collection(
        by=admin,
        library=library,
        title="新冠肺炎（COVID-19）研究资源",
        title_en="COVID-19 research resources",
        slug="covid-19",
        intro="为支持新冠肺炎相关研究和防控工作，图书馆汇集了本馆订购和出版商、"
        "学术机构免费开放的资源，每周更新。校外访问请优先使用每个数据库排在第一位的方式。",
        published=True,
    )
    for name, note in COVID_DATABASES:
        services.add_collection_item(
            by=admin, collection_id=covid.pk, database_id=ids[name], note=note
        )
    for name in COVID_OFFERS:
        route = AccessRoute.objects.get(database_id=ids[name], kind=RouteKind.FREE_OFFER)
        services.add_collection_item(by=admin, collection_id=covid.pk, route_id=route.pk)
    for title, url, note in COVID_LINKS:
        services.add_collection_item(
            by=admin, collection_id=covid.pk, link_title=title, link_url=url, note=note
        )
    draft = services.create_collection(
        by=admin,
        library=library,
        title="毕业论文写作资源",
        title_en="Thesis writing resources",
        slug="thesis-writing",
        intro="草稿：毕业季前发布。",
        published=False,
    )
    for name in ("CNKI 博硕士学位论文全文数据库", "ProQuest 博硕士论文全文数据库"):
        services.add_collection_item(by=admin, collection_id=draft.pk, database_id=ids[name])
    services.add_collection_item(
        by=admin,
        collection_id=draft.pk,
        link_title="京华大学研究生学位论文撰写规范",
        link_url="https://grs.jhu.example.edu.cn/thesis-guide",
    )
