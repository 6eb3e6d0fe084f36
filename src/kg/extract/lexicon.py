"""Suffix lexicons: the words that end a name of each type.

Chinese institutional names are compounds closed by a head word (…局, …基金会, …社区, …项目, …大赛).  These lists hold
only such generic head words, never particular names, so they generalise to text the project has never seen.
Longer suffixes are tried first (办公室 before 办, 经开区 before 区).
"""

from __future__ import annotations

AGENCY_SUFFIXES = (
    "委员会", "管委会", "办公室", "办事处", "基金会", "研究会", "研究院", "研究所", "促进会", "联合会", "商会",
    "协会", "学会", "中心", "大学", "学院", "学校", "中学", "小学", "幼儿园", "医院", "卫生院", "银行", "公司",
    "集团", "日报", "晚报", "报社", "电视台", "广播电台", "出版社", "政府", "法院", "检察院", "公安局", "派出所",
    "党委", "党组", "纪委", "监委", "人大", "政协", "总工会", "工会", "团委", "妇联", "支部", "经开区", "高新区",
    "开发区", "新区管委会", "厅", "局", "委", "办", "部", "署", "处", "科", "馆", "社", "所", "队", "会", "院", "行",
    "厂", "店", "台",
)
PLACE_SUFFIXES = (
    "自治区", "自治州", "自治县", "特别行政区", "街道", "社区", "小区", "广场", "公园", "大道", "高速", "大桥",
    "机场", "车站", "码头", "景区", "园区", "村委会", "居委会", "省", "市", "县", "区", "镇", "乡", "村", "街",
    "路", "巷", "桥", "站", "港", "湾", "岛", "山", "江", "河", "湖", "洲", "州", "陵", "寺", "庙", "塔",
)
PROJECT_SUFFIXES = (
    "工程", "项目", "专线", "线路", "公交线", "专窗", "计划", "规划", "基金", "产业园", "示范园", "体验园",
    "文化园", "园", "方案", "系统", "平台",
)
EVENT_SUFFIXES = (
    "开幕式", "闭幕式", "启动仪式", "签约仪式", "揭牌仪式", "仪式", "典礼", "大赛", "比赛", "竞赛", "联赛", "锦标赛",
    "论坛", "峰会", "交流会", "调度会", "座谈会", "推进会", "部署会", "发布会", "研讨会", "博览会", "展览会",
    "运动会", "音乐会", "招聘会", "全会", "大会", "会议", "活动", "行动", "展览", "节",
)

# A one-character head word only closes a name when the name before it is long enough to be one.
MIN_NAME_BEFORE_SHORT_SUFFIX = 2

SUFFIXES_BY_TYPE = {
    "Agency": AGENCY_SUFFIXES,
    "Place": PLACE_SUFFIXES,
    "Project": PROJECT_SUFFIXES,
    "Event": EVENT_SUFFIXES,
}

# Words that are made of a suffix but are not names ("全区", "地区", "市场", "部分"...): never a name on their own.
NOT_NAMES = frozenset({
    "全区", "全市", "全省", "全县", "全镇", "该区", "该市", "该省", "该县", "该镇", "本市", "我市", "我省", "我区",
    "地区", "社会", "机会", "大会", "会议", "活动", "行动", "项目", "工程", "部门", "单位", "中心", "公司", "政府",
    "领域", "基层", "社区", "街道", "乡村", "城市", "农村", "城区", "辖区", "园区", "景区", "小区", "校区", "片区",
    "学校", "医院", "银行", "集团", "平台", "系统", "计划", "方案", "基金", "委员会", "办公室", "部分", "局面",
    "各区", "各县", "各镇", "全国", "各地", "当地", "本地", "异地", "两地", "外地", "内地", "实地", "属地",
})

# Common Chinese surnames (single and double): a person name starts with one of them.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全"
    "佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
) | frozenset({"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯"})

# Words jieba tags as person names that are ordinary words in news (checked on the training corpora, not the seed).
NOT_PERSON = frozenset({"文明", "和平", "金融", "高度", "常态", "温暖", "明确",
                        "向前", "石油", "安全", "黄金", "白银", "江山", "关于", "于是", "任务", "成功"})

# Byline roles: the names after them are authors of the document.
BYLINE_ROLES = ("记者", "通讯员", "实习生", "见习记者", "特约记者", "编辑", "责任编辑", "摄影", "文/图", "图/文",
                "文", "图")

# Post titles, longest first when matched: "党组书记、主任" before a person's name states the posts they hold.
POST_TITLES = (
    "党工委书记", "党组书记", "党委书记", "纪委书记", "副书记", "书记", "常务副主任", "副主任", "主任",
    "副局长", "局长",
    "副厅长", "厅长", "副市长", "市长", "副区长", "区长", "副县长", "县长", "副镇长", "镇长", "乡长", "村长",
    "副主席", "主席", "副院长", "院长", "副校长", "校长", "董事长", "副总经理", "总经理", "总裁", "副秘书长",
    "秘书长", "副部长", "部长", "处长", "科长", "所长", "站长", "馆长", "社长", "总编辑", "主编", "会长", "副会长",
    "理事长", "委员", "调研员", "负责人", "经理", "队长", "组长", "干事",
)
