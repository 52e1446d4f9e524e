"""Realistic Chinese identities, and the realistic mess around them, for the synthetic-data generator.

Names, 居民身份证号 (GB 11643-1999), 统一社会信用代码 (GB 32100-2015), company names,
phone numbers and addresses, plus the ways real exports garble them: full-width
characters, mixed date styles, typos in names, abbreviated and prefix-less
organisation names, and a planted wrong check character. Every random function
takes a :class:`random.Random`, so a seed fixes the output; nothing touches the
global random state.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

__all__ = [
    "DATE_STYLES",
    "abbreviate_org",
    "address",
    "company_name",
    "corrupt_check_character",
    "format_date",
    "messy_full_width",
    "person_name",
    "phone",
    "resident_id",
    "strip_region_prefix",
    "to_full_width",
    "typo",
    "uscc",
]

# --- names -------------------------------------------------------------------------------------------------------


def _unique(chars: str) -> str:
    return "".join(dict.fromkeys(chars.replace(" ", "")))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _weighted(text: str) -> tuple[tuple[str, float], ...]:
    return tuple((item.split(":")[0], float(item.split(":")[1])) for item in text.split())


# Approximate shares in per mille of the population (national figures, with the Jinhua-area surnames 楼 骆 虞 俞 应
# given their local weight); compound surnames are rare on purpose.
_SURNAMES = _weighted(
    "王:71 李:70 张:66 刘:54 陈:46 杨:31 黄:25 赵:23 吴:20 周:19 徐:14 孙:14 马:13 朱:12 胡:12 郭:11 何:11"
    " 林:10.5 罗:10 高:10 郑:9 梁:9 谢:8 宋:7 唐:7 许:7 韩:6.5 冯:6.3 邓:6.3 曹:6.2 彭:6 曾:5.9 肖:5.6 田:5.6"
    " 董:5.2 潘:4.9 袁:4.9 蔡:4.5 蒋:4.5 余:4.4 于:4.3 杜:4.2 叶:4.2 程:4 魏:3.9 苏:3.8 吕:3.8 丁:3.7 任:3.6"
    " 卢:3.5 姚:3.5 沈:3.4 钟:3.3 姜:3.3 崔:3.2 谭:3.2 陆:3.1 范:3 汪:3 廖:3 石:2.9 金:2.9 韦:2.8 贾:2.8 夏:2.7"
    " 付:2.6 方:2.6 邹:2.5 熊:2.5 白:2.5 孟:2.4 秦:2.4 邱:2.4 侯:2.3 江:2.3 尹:2.2 薛:2.1 闫:2.1 段:2 雷:2"
    " 龙:1.9 黎:1.9 史:1.9 陶:1.8 贺:1.8 毛:1.7 郝:1.7 顾:1.6 龚:1.6 邵:1.6 万:1.6 覃:1.5 武:1.5 钱:1.5 戴:1.5"
    " 严:1.4 莫:1.4 孔:1.4 向:1.3 常:1.3 汤:1.3 康:1.2 易:1.2 乔:1.2 赖:1.2 文:1.1 施:1.1 洪:1.1 傅:1.0 章:1.0"
    " 葛:1.0 柳:1.0 辛:0.9 骆:0.9 俞:0.8 楼:0.6 应:0.6 詹:0.6 虞:0.5 鲍:0.5 欧阳:0.5 上官:0.05 司马:0.05 诸葛:0.03"
    " 东方:0.03 皇甫:0.03 司徒:0.03"
)
_COMPOUND_SURNAMES = tuple(s for s, _ in _SURNAMES if len(s) > 1) + ("慕容", "令狐", "夏侯", "尉迟", "公孙")
_SURNAME_POP = [s for s, _ in _SURNAMES]
_SURNAME_CUM = list(itertools.accumulate(w for _, w in _SURNAMES))

# Most common first: the Zipf-like weights below make 伟 and 芳 far more frequent than 翊 or 蔓, as in real life.
_MALE_CHARS = _unique(
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 宁 龙 林 阳 建 国 峰 志 东 海"
    " 亮 兵 文 成 新 永 春 晨 博 雷 彬 坤 航 锋 晖 翔 毅 哲 睿 轩 昊 然 泽 宏 伦 嘉 铭 瑞 凡 星 诚 锐 豪 杨 栋 江"
    " 山 川 荣 昌 胜 进 德 福 贵 生 义 仁 忠 良 庆 瑜 煜 立 晋 振 捷 康 奇 源 洪 坚 琦 炜 恒 远 达 武 彦 松 森 青"
    " 光 天 力 全 祥 卫 民 金 根 红 俊 政 清 启 朝 浪 骏 逸 鸿 翊 晟 楠 钧 铎 韬 骁 舟 岩 磊 冬 玮 耀 学 云 虎"
)
_FEMALE_CHARS = _unique(
    "芳 娜 敏 静 丽 艳 娟 霞 秀 玲 燕 红 婷 莉 兰 琳 梅 英 慧 颖 倩 雪 琴 云 洁 晶 萍 欣 璐 瑶 怡 佳 悦 蕾 薇 菲"
    " 丹 妍 露 茜 婕 彤 月 雯 媛 蓉 珊 荷 凤 君 淑 贞 惠 巧 美 娇 爱 芬 珍 莹 雅 琪 晓 媚 翠 萌 诗 梦 思 婉 嘉 馨"
    " 涵 萱 语 妮 彩 春 桂 虹 霖 岚 瑛 琼 凌 姗 碧 珠 菊 莎 苗 楠 柳 蔓 黎 影 冰 甜 蓓 灵 钰 玉 芸 滢 婧 汐 蕊 淼"
    " 琰 瑾 璇 琬 萍 娅 姝 婵 娥 嫣 曼 素 香 春 丝 絮 霏 韵 舒 宁 清"
)
_NEUTRAL_CHARS = _unique(
    "晓 文 海 春 华 明 宁 佳 子 一 安 思 雨 天 小 玉 新 永 心 清 晨 阳 嘉 欣 立 志 秋 亚 林 宇 若 可 然"
)


def _zipf_cum(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (i + 8) ** 0.9 for i in range(n)))


_GIVEN_CUM = {
    "male": ([*_MALE_CHARS], _zipf_cum(len(_MALE_CHARS))),
    "female": ([*_FEMALE_CHARS], _zipf_cum(len(_FEMALE_CHARS))),
    "neutral": ([*_NEUTRAL_CHARS], _zipf_cum(len(_NEUTRAL_CHARS))),
}


def _check_gender(gender: str) -> None:
    if gender not in ("male", "female"):
        raise ValueError(f"gender must be 'male' or 'female', not {gender!r}")


def _given_char(rng: random.Random, gender: str) -> str:
    pool = "neutral" if rng.random() < 0.2 else gender
    chars, cum = _GIVEN_CUM[pool]
    return rng.choices(chars, cum_weights=cum)[0]


def person_name(rng: random.Random, gender: str) -> str:
    """Return a plausible Chinese personal name for ``gender`` ("male" or "female").

    The surname is drawn with realistic frequency from about 120 common surnames (compound ones such as 欧阳 are
    rare); the given name has one character about 20% of the time and two otherwise, drawn with a skewed frequency
    from gender-leaning and neutral character lists, so identical full names occur at scale as they do in reality.
    """
    _check_gender(gender)
    surname = rng.choices(_SURNAME_POP, cum_weights=_SURNAME_CUM)[0]
    if rng.random() < 0.2:
        return surname + _given_char(rng, gender)
    first = _given_char(rng, gender)
    # Reduplicated given names (婷婷, 丽丽) are common for women and rare for men.
    if gender == "female" and rng.random() < 0.04:
        return surname + first + first
    second = _given_char(rng, gender)
    while second == first:
        second = _given_char(rng, gender)
    return surname + first + second


# --- codes -------------------------------------------------------------------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 leaves out I O S V Z
_RIC_ALPHABET = "0123456789X"


def _check_region_code(region_code: str) -> None:
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise ValueError(f"region code must be 6 digits, not {region_code!r}")


def resident_id(rng: random.Random, region_code: str, birth_date: dt.date, gender: str) -> str:
    """Return a valid 18-character 居民身份证号 (GB 11643-1999) for the given region, birth date and gender.

    The number is the 6-digit region code, the birth date as YYYYMMDD, a 3-digit sequence whose last digit is odd
    for men and even for women, and the ISO 7064 MOD 11-2 check character. Note that ``stdnum.cn.ric.is_valid``
    also rejects a region code that did not yet exist in the birth year (义乌市 330782 dates from 1989).
    """
    _check_region_code(region_code)
    _check_gender(gender)
    last = rng.choice("13579" if gender == "male" else "02468")
    head = rng.randrange(100) if last != "0" else rng.randrange(1, 100)  # sequence 000 is never issued
    body = f"{region_code}{birth_date:%Y%m%d}{head:02d}{last}"
    return body + _ric.calc_check_digit(body + "0")


def _org_code_check(body: str) -> str:
    # GB 11714: digits keep their value, letters count A=10 … Z=35.
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    total = sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc(rng: random.Random, region_code: str) -> str:
    """Return a valid 18-character 统一社会信用代码 (GB 32100-2015) registered in ``region_code``.

    The code is registration department "9" (market regulation), entity type "1" (enterprise; sometimes "2"
    individual business or "3" farmers' cooperative), the region code, a 9-character organisation code with its
    GB 11714 check character (post-2015 ``MA…`` codes most of the time, all-digit legacy codes otherwise) and the
    final GB 32100 check character.
    """
    _check_region_code(region_code)
    kind = rng.choices("123", cum_weights=(90, 96, 100))[0]
    if rng.random() < 0.6:
        org = "MA" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(6))
    else:
        org = "".join(rng.choice("0123456789") for _ in range(8))
    org += _org_code_check(org)
    body = f"9{kind}{region_code}{org}"
    return body + _uscc.calc_check_digit(body)


def corrupt_check_character(rng: random.Random, code: str) -> str:
    """Return ``code`` with its last character replaced by a different character of the same alphabet.

    The check character of a resident ID or USCC is determined by the rest of the code, so the result always fails
    validation. Resident IDs (17 digits before the check) draw from 0-9 and X, anything else from the USCC
    alphabet.
    """
    if not code:
        raise ValueError("cannot corrupt an empty code")
    alphabet = _RIC_ALPHABET if code[:-1].isdigit() else _USCC_ALPHABET
    return code[:-1] + rng.choice([c for c in alphabet if c != code[-1].upper()])


# --- companies, phones, addresses --------------------------------------------------------------------------------

_PROVINCE = "浙江"
_TRADE_CHARS = _unique(
    "洁 城 绿 源 华 鑫 盛 恒 昌 隆 泰 达 通 宏 鼎 丰 利 兴 瑞 祥 和 美 嘉 信 诚 德 顺 安 康 宝 金 银 富 永 佳 汇"
    " 联 创 新 远 航 天 海 山 川 明 光 辉 星 宇 博 卓 越 腾 飞 凯 旭 景 锦 益 广 正 中 东 方 伟 升 荣 成 立 合 众"
    " 尚 优 品 精 科 智 云 蓝 青 晟 鸿 骏 朗 润 泽 浩 铭 豪 誉 亿 万 家 乐 福"
)
_INDUSTRIES = _words(
    "环境服务 建设工程 物业管理 信息技术 园林绿化 市政工程 医疗器械 教育科技 农业开发 交通设施"
    " 建材 劳务 环卫科技 商贸 贸易 工程咨询 建筑劳务 电子科技 网络科技 保洁服务 餐饮管理"
    " 文化传媒 装饰工程 机电设备 电力工程 水利工程 测绘 造价咨询 招标代理 供应链管理 实业 科技"
    " 建筑工程 环保科技 智能科技 食品 印务 广告"
)
_LEGAL_FORMS = ("有限公司", "有限责任公司", "股份有限公司")


def company_name(rng: random.Random, city_name: str, industry: str | None = None) -> str:
    """Return a plausible company name such as 义乌市洁城环境服务有限公司 or 浙江绿源环卫科技有限公司.

    The name is a place prefix (``city_name`` with or without its 市/县/区 suffix, the province 浙江, or
    occasionally none), a 2-character trade name, ``industry`` or a random industry word, and a legal form
    (mostly 有限公司, sometimes 有限责任公司 or 股份有限公司).
    """
    roll = rng.random()
    if city_name and roll < 0.45:
        prefix = city_name
    elif city_name and roll < 0.65 and len(city_name) > 2 and city_name[-1] in "市县区":
        prefix = city_name[:-1]
    elif roll < 0.88:
        prefix = _PROVINCE
    else:
        prefix = ""
    trade = "".join(rng.sample(_TRADE_CHARS, 2))
    form = rng.choices(_LEGAL_FORMS, cum_weights=(80, 92, 100))[0]
    return prefix + trade + (industry if industry is not None else rng.choice(_INDUSTRIES)) + form


_MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 170 173 175 176 177 178"
    " 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
)


def phone(rng: random.Random, area_code: str | None = None) -> str:
    """Return a mobile number such as 13857912345, or with ``area_code`` a landline such as 0579-85551234.

    Mobile numbers are 11 digits behind a real 13x/15x/17x/18x/19x prefix. Landlines have 8 local digits behind a
    3-digit area code (010, 02x) and 7 or 8 behind a 4-digit one; local numbers never start with 0 or 1.
    """
    if area_code is None:
        return rng.choice(_MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
    if len(area_code) not in (3, 4) or not area_code.isascii() or not area_code.isdigit() or area_code[0] != "0":
        raise ValueError(f"area code must be 3 or 4 digits starting with 0, not {area_code!r}")
    length = 8 if len(area_code) == 3 or rng.random() < 0.8 else 7
    local = rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(length - 1))
    return f"{area_code}-{local}"


_TOWN_STEMS = _words(
    "城东 城西 城南 城北 江东 江北 江南 江滨 北苑 南苑 新华 金山 青山 白云 长安 永安 新安 桃源 凤凰 双溪 五里"
    " 石桥 新桥 白沙 清溪 龙泉 临江 前洋 后宅 上塘 下湾 大桥 古城 湖畔 柳溪 梅林 杨家 三江 洪山 芦溪 高塘"
)
_ROAD_STEMS = _words(
    "工人 人民 解放 中山 建设 新华 文化 和平 胜利 环城 江滨 春风 宝塔 雪峰 丹桂 樟林 商城 城中 府前 学院 体育"
    " 朝阳 长春 迎宾 望江 滨江 幸福 光明 东风 青年 兴业 创业 科技 金融 国贸 振兴 民主 团结 五一 南山 香溪"
)


def address(rng: random.Random, county_name: str) -> str:
    """Return a plausible street address in ``county_name``, such as 义乌市稠城街道工人北路1088号.

    The address is the county or district name, a 街道 or 镇, a road (路, 街 or 大道, sometimes with a
    direction such as 北路) and a house number, sometimes followed by a building and room (12幢302室).
    """
    town = rng.choice(_TOWN_STEMS) + ("街道" if rng.random() < 0.6 else "镇")
    direction = rng.choice("东南西北中") if rng.random() < 0.3 else ""
    road = rng.choice(_ROAD_STEMS) + direction + rng.choices(("路", "街", "大道"), cum_weights=(70, 90, 100))[0]
    number = rng.randint(1, 120) if rng.random() < 0.6 else rng.randint(121, 1999)
    text = f"{county_name}{town}{road}{number}号"
    if rng.random() < 0.3:
        text += f"{rng.randint(1, 36)}幢{rng.randint(1, 26)}{rng.randint(1, 4):02d}室"
    return text


# --- mess --------------------------------------------------------------------------------------------------------

DATE_STYLES = ("iso", "slash", "dot", "chinese", "compact")


def _full_width_char(c: str) -> str:
    if c == " ":
        return "\u3000"
    if "!" <= c <= "~":
        return chr(ord(c) + 0xFEE0)
    return c


def to_full_width(text: str) -> str:
    """Return ``text`` with printable ASCII (letters, digits, punctuation) in full-width forms and spaces as U+3000.

    Characters outside printable ASCII are left as they are; ``to_full_width("ABC 123")`` is ``"ＡＢＣ　１２３"``.
    """
    return "".join(_full_width_char(c) for c in text)


def messy_full_width(rng: random.Random, text: str, p: float = 0.5) -> str:
    """Return ``text`` with each printable ASCII character or space turned full-width with probability ``p``.

    This imitates exports typed with an input method that switches between half- and full-width mid-field.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be between 0 and 1, not {p}")
    return "".join(_full_width_char(c) if " " <= c <= "~" and rng.random() < p else c for c in text)


def format_date(rng: random.Random, d: dt.date, style: str | None = None) -> str:
    """Return ``d`` written in one of the styles in :data:`DATE_STYLES`, chosen at random when ``style`` is None.

    For 2023-05-01 the styles give "2023-05-01" (iso), "2023/05/01" (slash), "2023.5.1" (dot), "2023年5月1日"
    (chinese) and "20230501" (compact).
    """
    if style is None:
        style = rng.choice(DATE_STYLES)
    if style == "iso":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if style == "slash":
        return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"
    if style == "dot":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "chinese":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "compact":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    raise ValueError(f"unknown date style {style!r}; expected one of {DATE_STYLES}")


# Homophones and look-alikes that data-entry clerks actually confuse in names, surnames included.
_CONFUSABLE_PAIRS = _words(
    "明铭 华化 建健 国囯 林琳 军君 伟玮 东冬 峰锋 志智 宏洪 杰洁 新欣 平萍 丽莉 芳方 静婧 红虹 玲铃 燕艳 英瑛"
    " 霞侠 斌彬 波博 涛滔 俊骏 鹏朋 辉晖 超朝 勇永 刚钢 立力 云芸 晓小 文雯 佳嘉 慧惠 敏民 娟鹃 婷亭 洋阳 阳扬"
    " 杨扬 张章 王汪 徐许 肖萧 戴代 金全 李季 于干 玉钰 飞非 凯恺 宇雨 秀琇 雪雷 春椿 龙隆 海梅 浩皓 磊垒 亮谅"
    " 晨辰"
)
_CONFUSABLE: dict[str, list[str]] = {}
for _pair in _CONFUSABLE_PAIRS:
    _CONFUSABLE.setdefault(_pair[0], []).append(_pair[1])
    _CONFUSABLE.setdefault(_pair[1], []).append(_pair[0])


def _surname_length(name: str) -> int:
    return 2 if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES else 1


def typo(rng: random.Random, name: str) -> str:
    """Return ``name`` with one realistic typo; the result always differs from the input.

    Mostly one character is replaced by a homophone or look-alike (明→铭, 张→章); when no character is confusable
    (or now and then anyway) two adjacent characters of the given name are swapped or one of them is dropped, which
    is only done to names of three or more characters. A two-character name with nothing to confuse gets the
    full-width alignment space that forms put in short names (王　芳); a name that already has one loses it.
    """
    if len(name) < 2:
        raise ValueError(f"name too short for a typo: {name!r}")
    if "\u3000" in name or " " in name:
        return name.replace("\u3000", "").replace(" ", "")
    given_start = _surname_length(name)
    # A compound surname is one fixed unit: nobody writes 欧扬 for 欧阳.
    confusable = [i for i, c in enumerate(name) if c in _CONFUSABLE and (given_start == 1 or i >= given_start)]
    given = name[given_start:] if len(name) >= 3 else ""
    swaps = [given_start + j for j, (a, b) in enumerate(itertools.pairwise(given)) if a != b]
    can_drop = len(given) >= 2
    if confusable and (not (swaps or can_drop) or rng.random() < 0.75):
        i = rng.choice(confusable)
        return name[:i] + rng.choice(_CONFUSABLE[name[i]]) + name[i + 1 :]
    if swaps and (not can_drop or rng.random() < 0.5):
        i = rng.choice(swaps)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if can_drop:
        i = given_start + rng.randrange(len(given))
        return name[:i] + name[i + 1 :]
    return name[:given_start] + "\u3000" + name[given_start:]


# --- organisation names ------------------------------------------------------------------------------------------

# Longest terms first, so 供销合作社联合社 wins over 供销合作社.
_ORG_TERMS: tuple[tuple[str, str], ...] = (
    ("人民代表大会常务委员会", "人大常委会"),
    ("国有资产监督管理委员会", "国资委"),
    ("人力资源和社会保障局", "人社局"),
    ("人力资源和社会保障厅", "人社厅"),
    ("城市管理行政执法局", "城管执法局"),
    ("发展和改革委员会", "发改委"),
    ("发展改革委员会", "发改委"),
    ("供销合作社联合社", "供销社"),
    ("住房和城乡建设局", "住建局"),
    ("住房和城乡建设厅", "住建厅"),
    ("住房和城乡建设部", "住建部"),
    ("自然资源和规划局", "自然资源局"),
    ("纪律检查委员会", "纪委"),
    ("卫生健康委员会", "卫健委"),
    ("城市管理委员会", "城管委"),
    ("市场监督管理局", "市场监管局"),
    ("综合行政执法局", "综合执法局"),
    ("经济和信息化局", "经信局"),
    ("统一战线工作部", "统战部"),
    ("机关事务管理局", "机关事务局"),
    ("供销合作社", "供销社"),
    ("城市管理局", "城管局"),
    ("交通运输局", "交通局"),
    ("交通运输厅", "交通厅"),
    ("人民检察院", "检察院"),
    ("监察委员会", "监委"),
    ("政法委员会", "政法委"),
    ("农业农村局", "农业局"),
    ("应急管理局", "应急局"),
    ("人民政府", "政府"),
    ("人民法院", "法院"),
)
_PARTY_PREFIXES = ("中国共产党", "中共")
_CPPCC_PREFIX = "中国人民政治协商会议"


def abbreviate_org(name: str) -> str | None:
    """Return the conventional abbreviation of an organisation name, or None when it has none.

    Long function names are shortened (城市管理委员会→城管委, 发展和改革委员会→发改委, 人民政府→政府 …), a party
    committee loses its 中共 / 中国共产党 prefix and 委员会 becomes 委 (中共义乌市委员会→义乌市委), and
    中国人民政治协商会议义乌市委员会 becomes 义乌市政协. Place prefixes such as 义乌市 or 浙江省 are kept. Companies
    and names without a conventional short form (教育局, 公共资源交易中心) give None.
    """
    if "公司" in name:
        return None
    if name.startswith(_CPPCC_PREFIX) and name.endswith("委员会") and len(name) > len(_CPPCC_PREFIX) + 3:
        return name[len(_CPPCC_PREFIX) : -3] + "政协"
    short = name
    for long_form, short_form in _ORG_TERMS:
        short = short.replace(long_form, short_form)
    for prefix in _PARTY_PREFIXES:
        if short.startswith(prefix) and len(short) > len(prefix):
            short = short[len(prefix) :].replace("委员会", "委", 1)
            break
    return short if short != name else None


def strip_region_prefix(name: str, region_names: list[str]) -> str:
    """Return ``name`` without its leading region name, trying the longest matching region name first.

    ``strip_region_prefix("义乌市城市管理委员会", ["义乌市", "金华市"])`` is ``"城市管理委员会"``. A name that
    does not start with any region name, or that is nothing but a region name, is returned unchanged.
    """
    for region in sorted(region_names, key=len, reverse=True):
        if region and name.startswith(region) and len(name) > len(region):
            return name[len(region) :]
    return name
