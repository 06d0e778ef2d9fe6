"""Demo catalogue: 30 办事指南 items for the demo services (codes 530000-<service>) and a few disclosures, among
them the customer's 2018 annual report. A handful of items break a quality rule on purpose, so the manager's
guide-quality findings have something to show. Data only; the shapes are queue_server.catalogue.index's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ADDRESS = "楚雄市开发区永安大道168号楚雄州政务服务中心"
HOURS = "周一至周五 上午9:00-12:00，下午13:00-17:00；法定节假日不办理，调休工作日正常办理"
COMPLAINT = "0878-3122345"
REPORT_FILE = Path(__file__).with_name("data") / "annual-report-2018.txt"

# department -> (window text in the hall, 实施主体, 咨询电话)
DEPTS = {
    "scjg": ("一楼A区5号窗口", "楚雄州市场监督管理局", "0878-3124501"),
    "bdc": ("一楼B区7号窗口", "楚雄州不动产登记中心", "0878-3124502"),
    "ga": ("二楼C区11号窗口", "楚雄州公安局", "0878-3124503"),
    "rs": ("二楼D区14号窗口", "楚雄州人力资源和社会保障局", "0878-3124504"),
    "gjj": ("二楼D区17号窗口", "楚雄州住房公积金管理中心", "0878-3124505"),
    "sw": ("三楼E区19号窗口", "国家税务总局楚雄州税务局", "0878-3124506"),
    "fg": ("三楼F区22号窗口", "楚雄州发展和改革委员会", "0878-3124507"),
    "ggzy": ("三楼F区23号窗口", "楚雄州公共资源交易中心", "0878-3124508"),
    "zwfw": ("一楼A区1号窗口", "楚雄州政务服务管理局", "0878-3124500"),
}

ID_CARD = "申请人居民身份证"
LICENSE = "营业执照"


def m(name: str, copies: int = 0, *, original: int = 1, required: bool = True, source: str = "申请人自备",
      form: bool = False, sample: bool = True) -> dict[str, Any]:
    """One material: forms come with a blank and (unless sample=False, a deliberate flaw) a filled sample."""
    item: dict[str, Any] = {"name": name, "original": original, "copies": copies, "required": required,
                            "source": source, "form": form}
    if form:
        item["blank_form"] = f"/kiosk/files/{name}-空白表.pdf"
        item["sample"] = f"/kiosk/files/{name}-示例.pdf" if sample else ""
    return item


def basis(law: str, article: str) -> str:
    return f"《{law}》{article}"


# code: (name, type, dept, theme, keywords, conditions, materials, legal/promised days, fee, basis, extra)
GUIDES: list[tuple[str, str, str, str, str, str, str, list[dict[str, Any]], tuple[int | None, int | None],
                   dict[str, Any], str, dict[str, Any]]] = [
    ("qysl", "企业设立登记", "01", "scjg", "企业开办", "开公司 营业执照 注册公司 办执照",
     "申请人具有完全民事行为能力，企业名称已自主申报，住所真实合法。",
     [m("公司登记（备案）申请书", form=True), m("公司章程", 1), m("股东主体资格证明", 1), m("法定代表人身份证件", 1),
      m("住所使用相关文件", 1)], (15, 1), {"charged": False},
     basis("中华人民共和国市场主体登记管理条例", "第三条、第十六条"), {"online": True, "self_service": True}),
    ("qybg", "企业变更登记", "01", "scjg", "企业开办", "变更 改名 换法人 营业执照",
     "企业已依法设立，变更事项符合法律法规规定。",
     [m("公司变更登记申请书", form=True), m("变更决议或决定", 1), m(LICENSE, original=1)], (15, 3),
     {"charged": False}, basis("中华人民共和国市场主体登记管理条例", "第二十四条"), {"online": True}),
    ("qyzx", "企业注销登记", "01", "scjg", "企业开办", "注销 关公司 简易注销",
     "企业已清算完毕，无未结清债权债务，或全体投资人承诺无债权债务。",
     [m("注销登记申请书", form=True), m("清算报告", 1), m(LICENSE)], (10, 3), {"charged": False},
     basis("中华人民共和国市场主体登记管理条例", "第三十一条"), {"online": True}),
    ("gtgsh", "个体工商户登记", "01", "scjg", "企业开办", "个体户 开店 小店",
     "经营者为有经营能力的自然人，经营场所真实。",
     [m("个体工商户登记申请书", form=True), m("经营者身份证件", 1), m("经营场所使用证明", 1)], (15, 0),
     {"charged": False}, basis("促进个体工商户发展条例", "第八条"), {"online": True, "self_service": True}),
    ("spjy", "食品经营许可", "01", "scjg", "企业开办", "食品许可证 餐饮 开饭店 小卖部",
     "具有与经营的食品品种、数量相适应的经营场所、设备设施和管理制度。",
     [m("食品经营许可申请书", form=True, sample=False), m(LICENSE, 1), m("与食品经营相适应的主要设备设施布局图", 1),
      m("食品安全管理制度文本", 1)], (20, 10), {"charged": False},
     basis("中华人民共和国食品安全法", "第三十五条"), {"appointment": True}),
    ("bdczy", "不动产转移登记", "07", "bdc", "不动产登记", "过户 买房 卖房 房产证 二手房",
     "不动产已办理首次登记，转移原因真实合法，权利人与义务人共同申请。",
     [m("不动产登记申请书", form=True), m("不动产权证书", original=1), m("买卖双方身份证明", 1),
      m("不动产买卖合同", 1), m("契税完税凭证", 1), m("婚姻状况证明", 1, required=False)], (30, 3),
     {"charged": True, "standard": "住宅每件￥80元；非住宅每件￥550元", "basis": "《关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）"},
     basis("不动产登记暂行条例", "第十四条"), {"appointment": True, "visits": 1}),
    ("bdcdy", "不动产抵押登记", "07", "bdc", "不动产登记", "抵押 贷款 房贷",
     "抵押合同已签订，抵押物已办理不动产首次登记。",
     [m("不动产登记申请书", form=True), m("不动产权证书"), m("抵押合同", 1), m("主债权合同", 1), m(ID_CARD, 1)], (30, 1),
     {"charged": True, "standard": "每件￥80元", "basis": "《关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）"},
     basis("中华人民共和国民法典", "第四百零二条"), {"appointment": True, "online": True}),
    ("bdcsc", "不动产首次登记", "07", "bdc", "不动产登记", "新房 办证 首次 房产证",
     "房屋已竣工验收，土地权属清楚，开发企业或权利人提出申请。",
     [m("不动产登记申请书", form=True), m("土地权属来源材料", 1), m("建设工程符合规划的材料", 1), m("房屋已竣工的材料", 1),
      m("房地产调查或者测绘报告", 1)], (30, 15), {"charged": True, "standard": "每件￥80元", "basis": "发改价格规〔2016〕2559号"},
     basis("不动产登记暂行条例实施细则", "第二十四条"), {}),
    ("bdccx", "不动产登记资料查询", "20", "bdc", "不动产登记", "查档 查房 房产查询 产权查询",
     "权利人、利害关系人可依法查询。",
     [m(ID_CARD, 1), m("不动产登记资料查询申请书", form=True)], (None, 0), {"charged": False},
     basis("不动产登记资料查询暂行办法", "第十四条"), {"self_service": True, "location": "楚雄州政务服务中心不动产查询处"}),
    ("hj", "户籍业务办理", "07", "ga", "户籍", "户口 户口本 落户 迁户口 户口迁移",
     "本人户籍在楚雄州或符合落户条件。",
     [m("居民户口簿"), m(ID_CARD), m("户口迁移登记表", form=True)], (20, 5), {"charged": False},
     basis("中华人民共和国户口登记条例", "第十条"), {"visits": 1}),
    ("crj", "出入境证件办理", "01", "ga", "出入境", "护照 港澳通行证 台湾通行证 签注",
     "中国公民因私出国（境），本人到场采集指纹和相片。",
     [m("居民身份证"), m("出入境证件申请表", form=True)], (15, 7),
     {"charged": True, "standard": "普通护照￥120元/本", "basis": "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》"},
     basis("中华人民共和国护照法", "第五条"), {"appointment": True}),
    ("jzz", "居住证办理", "07", "ga", "户籍", "暂住证 居住证 流动人口",
     "离开常住户口所在地到楚雄州居住半年以上。",
     [m("居民身份证"), m("居住证申领登记表", form=True), m("合法稳定住所证明", 1)], (15, 15), {"charged": False},
     "《居住证暂行条例》", {}),  # flaw: no article cited (rule 1)
    ("cg", "机动车驾驶证业务", "01", "ga", "交通出行", "驾照 换证 驾驶证 补证",
     "申请人驾驶证在有效期内或已到期需换领。",
     [m("居民身份证"), m("机动车驾驶证"), m("身体条件证明", original=1)], (5, 0),
     {"charged": True, "standard": "驾驶证工本费￥10元", "basis": "《公安部 国家发展改革委关于公安交通管理收费标准的通知》"},
     basis("中华人民共和国道路交通安全法", "第十九条"), {"self_service": True}),
    ("sbdj", "社会保险登记", "07", "rs", "社会保障", "社保 参保 社保开户 单位参保",
     "用人单位依法设立，或个人符合参保条件。",
     [m(LICENSE, 1), m("社会保险登记表", form=True), m("法定代表人身份证件", 1)], (15, 0), {"charged": False},
     basis("中华人民共和国社会保险法", "第五十七条"), {"online": True, "self_service": True}),
    ("sbzy", "社会保险关系转移", "07", "rs", "社会保障", "社保转移 养老保险转移 社保转入",
     "参保人员跨统筹地区就业并已在转入地参保。",
     [m(ID_CARD), m("基本养老保险参保缴费凭证", 1), m("转移接续申请表", form=True)], (45, 15), {"charged": False},
     basis("中华人民共和国社会保险法", "第十九条"), {"online": True}),
    ("ylbx", "养老保险待遇申领", "05", "rs", "社会保障", "退休 养老金 领养老金 社保退休",
     "达到法定退休年龄且累计缴费满15年。",
     [m(ID_CARD), m("养老保险待遇申领表", form=True), m("本人银行账户", 1)], (30, 10), {"charged": False},
     basis("中华人民共和国社会保险法", "第十六条"), {"online": True}),
    ("syj", "失业保险金申领", "05", "rs", "社会保障", "失业金 失业 下岗 社保",
     "失业前用人单位和本人已缴纳失业保险费满一年，非因本人意愿中断就业，已进行失业登记。",
     [m(ID_CARD), m("解除或终止劳动关系证明", 1), m("社会保障卡")], (20, 5), {"charged": False},
     basis("失业保险条例", "第十四条"), {"online": True}),
    ("sbk", "社会保障卡办理", "20", "rs", "社会保障", "社保卡 补卡 换卡 医保卡",
     "已参加社会保险的人员。",
     [m(ID_CARD), m("社会保障卡申领表", form=True)], (None, 0), {"charged": False},
     basis("中华人民共和国社会保险法", "第五十八条"), {"self_service": True}),
    ("gjjtq", "住房公积金提取", "05", "gjj", "住房保障", "公积金 提公积金 取公积金 租房提取",
     "购买、建造、翻建、大修自住住房，偿还购房贷款本息，或房租超出家庭工资收入规定比例。",
     [m(ID_CARD), m("住房公积金提取申请表", form=True), m("购房合同或租房证明", 1), m("本人银行卡")], (3, 0),
     {"charged": False}, basis("住房公积金管理条例", "第二十四条"), {"online": True, "self_service": True}),
    ("gjjdk", "住房公积金贷款", "05", "gjj", "住房保障", "公积金贷款 买房贷款 房贷",
     "连续足额缴存住房公积金6个月以上，购买自住住房。",
     [m(ID_CARD, 1), m("婚姻状况证明", 1), m("购房合同", 1), m("收入证明", original=1), m("借款申请表", form=True)],
     (15, 10), {"charged": False}, basis("住房公积金管理条例", "第二十六条"),
     {"consult_phone": "3124505"}),  # flaw: no area code (rule 4)
    ("gjjjc", "住房公积金缴存登记", "07", "gjj", "住房保障", "公积金开户 缴存 单位开户",
     "单位依法设立，为在职职工缴存住房公积金。",
     [m(LICENSE, 1), m("单位缴存登记表", form=True), m("经办人身份证", 1)], (5, 0), {"charged": False},
     basis("住房公积金管理条例", "第十四条"), {"online": True}),
    ("sszx", "涉税事项办理", "10", "sw", "税费服务", "交税 税务登记 纳税申报",
     "纳税人提供营业执照原件、身份证复印件后即可受理。",  # flaw: conditions list materials (rule 6)
     [m(LICENSE), m("经办人身份证件", 1), m("涉税事项申请表", form=True)], (20, 5), {"charged": False},
     basis("中华人民共和国税收征收管理法", "第十五条"), {"online": True}),
    ("fply", "发票领用", "10", "sw", "税费服务", "领发票 发票 增值税发票",
     "已办理税务登记并完成发票票种核定。",
     [m("经办人身份证件"), m("税务UKey", original=1)], (None, 0), {"charged": False},
     basis("中华人民共和国发票管理办法", "第十五条"), {"online": True, "self_service": True}),
    ("qssb", "契税申报", "04", "sw", "不动产登记", "契税 买房交税 房产税",
     "承受土地、房屋权属转移的单位和个人。",
     [m("不动产买卖合同", 1), m(ID_CARD, 1), m("契税纳税申报表", form=True)], (None, 0),
     {"charged": True, "standard": "按成交价格的3%-5%计征（首套住房享受减征）", "basis": "《中华人民共和国契税法》第三条"},
     basis("中华人民共和国契税法", "第九条"), {}),
    ("tzxmba", "企业投资项目备案", "10", "fg", "工程建设", "项目备案 投资备案 立项",
     "项目不属于核准或审批管理范围，符合产业政策。",
     [m("项目备案信息表", form=True)], (None, 3), {"charged": False},
     basis("企业投资项目核准和备案管理条例", "第十三条"), {"online": True}),
    ("tzxmhz", "企业投资项目核准", "01", "fg", "工程建设", "项目核准 立项 投资核准",
     "项目属于《政府核准的投资项目目录》范围。",
     [m("项目申请报告", 1), m("城乡规划选址意见", 1), m("用地预审意见", 1)], (20, 30), {"charged": False},
     basis("企业投资项目核准和备案管理条例", "第九条"), {}),  # flaw: promised 30 > legal 20 (rule 6)
    ("jyxmdj", "公共资源交易项目登记", "20", "ggzy", "公共资源交易", "招标 进场交易 项目登记 招投标",
     "项目已依法审批、核准或备案，资金来源已落实。",
     [m("进场交易登记表", form=True), m("项目审批核准备案文件", 1), m("招标文件", 1)], (None, 1), {"charged": False},
     basis("中华人民共和国招标投标法", "第十二条"), {"online": True}),
    ("bzjth", "投标保证金退还", "20", "ggzy", "公共资源交易", "保证金 退保证金 投标",
     "中标通知书已发出或招标已终止。",
     [m("保证金退还申请表", form=True), m("银行缴款凭证", 1)], (None, 5), {"charged": False},
     basis("中华人民共和国招标投标法实施条例", "第五十七条"), {"online": True}),
    ("zhzx", "综合咨询", "20", "zwfw", "综合服务", "咨询 问询 不知道找哪里 帮办代办",
     "来访群众和企业均可咨询。",
     [], (None, 0), {"charged": False}, basis("优化营商环境条例", "第三十七条"), {"visits": 0}),
    ("lstd", "重点项目绿色通道", "20", "zwfw", "工程建设", "重点项目 绿色通道 帮办代办",
     "列入州级重点项目清单的投资项目。",
     [m("重点项目确认文件", 1), m("项目单位授权委托书", form=True)], (None, 1), {"charged": False},
     basis("优化营商环境条例", "第三十五条"), {}),
]


def guides() -> list[dict[str, Any]]:
    out = []
    for number, (code, name, kind, dept, theme, words, conditions, materials, limits, fee, legal, extra) in enumerate(
            GUIDES, 1):
        window, agency, phone = DEPTS[dept]
        if not fee.get("charged"):
            fee = {"charged": False, "standard": "不收费", "basis": ""}
        item: dict[str, Any] = {
            "code": f"530000-{code}", "basic_code": f"000201{number:03d}000",
            "name": name, "item_type": kind, "agency": agency, "department_code": dept, "theme": theme,
            "keywords": words, "target": ["法人"] if dept in ("scjg", "fg", "ggzy") else ["自然人", "法人"],
            "location": f"{ADDRESS}{window}", "hours": HOURS, "conditions": conditions, "materials": materials,
            "process": ["取号排队", "窗口受理", "审核", "办结", "领取结果（可选择邮寄）"],
            "legal_limit_days": limits[0], "promised_limit_days": limits[1], "fee": fee, "legal_basis": legal,
            "consult_phone": phone, "complaint_phone": COMPLAINT, "visits": 1,
            "faq": [{"q": f"{name}需要本人到场吗？", "a": "可委托他人代办，代办人须携带授权委托书及本人身份证件。"}],
        }
        item.update(extra)
        out.append(item)
    return out


DISCLOSURES: list[dict[str, Any]] = [
    {"index_no": "11532300MB1T12345X/2019-00012", "doc_no": "", "title": "楚雄州人民政府政务服务管理局2018年政府信息与政务公开年度报告",
     "publisher": "楚雄州人民政府政务服务管理局", "written_on": "2019-01-25", "category": "年度报告",
     "attachments": []},
    {"index_no": "11532300MB1T12345X/2024-00031", "doc_no": "楚政务发〔2024〕5号",
     "title": "楚雄州政务服务管理局关于推行“一窗受理、集成服务”改革的通知", "publisher": "楚雄州政务服务管理局",
     "written_on": "2024-03-18", "category": "规范性文件",
     "body": "各县市政务服务管理局，州级各进驻部门：\n为深化“放管服”改革，现就推行综合窗口“一窗受理、集成服务”有关事项通知如下：\n"
             "一、除因安全等特殊原因外，进驻事项全部纳入综合窗口受理。\n二、实行“前台综合受理、后台分类审批、统一窗口出件”。\n"
             "三、各部门应于2024年6月30日前完成事项梳理和人员培训。",
     "attachments": [{"name": "综合窗口事项清单.pdf", "url": "/kiosk/files/zhck-2024.pdf"}]},
    {"index_no": "11532300MB1T12345X/2024-00002", "doc_no": "", "title": "楚雄州政务服务管理局主要职责和内设机构",
     "publisher": "楚雄州政务服务管理局", "written_on": "2024-01-10", "category": "机构职能",
     "body": "主要职责：贯彻执行国家、省关于政务服务工作的方针政策和法律法规；负责州政务服务中心的运行管理；"
             "负责公共资源交易监督管理；推进“互联网+政务服务”和政务服务标准化建设。\n内设机构：办公室、政务服务科、"
             "审批制度改革科、电子政务科、公共资源交易监管科。", "attachments": []},
    {"index_no": "11532300MB1T12345X/2025-00008", "doc_no": "", "title": "楚雄州政务服务管理局2025年部门预算公开",
     "publisher": "楚雄州政务服务管理局", "written_on": "2025-02-14", "category": "财政预决算",
     "body": "2025年收支总预算1,268.45万元，其中一般公共预算拨款1,268.45万元。“三公”经费预算8.60万元，比上年减少0.40万元。",
     "attachments": [{"name": "2025年部门预算公开表.pdf", "url": "/kiosk/files/budget-2025.pdf"}]},
    {"index_no": "11532300MB1T12345X/2025-00019", "doc_no": "楚政务任〔2025〕2号", "title": "关于李某某等同志职务任免的通知",
     "publisher": "楚雄州政务服务管理局", "written_on": "2025-05-06", "category": "人事任免",
     "body": "经局党组研究决定：任命李某某为政务服务科科长；免去王某某审批制度改革科副科长职务。", "attachments": []},
    {"index_no": "11532300MB1T12345X/2025-00044", "doc_no": "", "title": "楚雄州政务服务中心综合窗口服务外包项目中标结果公告",
     "publisher": "楚雄州公共资源交易中心", "written_on": "2025-08-21", "category": "政府采购与交易公告",
     "body": "项目编号：CXZC2025-0183。中标供应商：云南某某信息技术有限公司。中标金额：￥1,386,000.00元。公示期：1个工作日。",
     "attachments": []},
    {"index_no": "11532300MB1T12345X/2025-00051", "doc_no": "", "title": "楚雄州政务服务中心办事指南（不动产登记类）",
     "publisher": "楚雄州不动产登记中心", "written_on": "2025-09-01", "category": "办事指南",
     "body": "不动产登记类事项包括首次登记、转移登记、抵押登记和登记资料查询，均可在一楼B区办理，支持预约和“一窗受理”。",
     "attachments": []},
]


def disclosures() -> list[dict[str, Any]]:
    """The demo disclosures; the annual report's body is the customer's real text (data/)."""
    docs = [dict(d) for d in DISCLOSURES]
    docs[0]["body"] = REPORT_FILE.read_text(encoding="utf-8")
    return docs
