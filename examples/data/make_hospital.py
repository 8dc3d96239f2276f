#!/usr/bin/env python3
"""Generate examples/data/hospital.json, a sample "houqin.hospital" document.

Deterministic (no randomness, stdlib only). Run:  python3 make_hospital.py
The output is written next to this script.
"""
import datetime
import json
import os

# ---------------------------------------------------------------- campuses
CAMPUSES = [  # code, name, address
    ("MAIN", "某市人民医院本部", "某市建设路88号"),
    ("EAST", "某市人民医院东院", "某市东环路1201号"),
]

# ---------------------------------------------------------------- buildings
BUILDINGS = [  # campus code, code, name, floors above, floors below
    ("MAIN", "A", "门诊楼", 5, 1),
    ("MAIN", "B", "住院楼", 16, 2),
    ("MAIN", "C", "医技楼", 6, 0),
    ("MAIN", "D", "后勤动力楼", 3, 1),
    ("MAIN", "E", "急诊楼", 3, 0),
    ("EAST", "F", "康复楼", 5, 0),
]

# ---------------------------------------------------------------- departments
DEPARTMENTS = [  # code, name, kind, parent code, active
    ("MED", "内科", "clinical", None, True), ("CARD", "心血管内科", "clinical", "MED", True),
    ("RESP", "呼吸内科", "clinical", "MED", True), ("GAST", "消化内科", "clinical", "MED", True),
    ("NEUR", "神经内科", "clinical", "MED", True), ("ENDO", "内分泌科", "clinical", "MED", True),
    ("NEPH", "肾内科", "clinical", "MED", True),
    ("GERI", "老年医学科", "clinical", "MED", False),  # merged, kept for history
    ("SURG", "外科", "clinical", None, True), ("GSUR", "普外科", "clinical", "SURG", True),
    ("ORTH", "骨科", "clinical", "SURG", True), ("NSUR", "神经外科", "clinical", "SURG", True),
    ("UROL", "泌尿外科", "clinical", "SURG", True), ("THOR", "胸外科", "clinical", "SURG", True),
    ("OBGY", "妇产科", "clinical", None, True), ("PEDS", "儿科", "clinical", None, True),
    ("EMER", "急诊科", "clinical", None, True), ("ICU", "重症医学科", "clinical", None, True),
    ("OPHT", "眼科", "clinical", None, True), ("ENT", "耳鼻喉科", "clinical", None, True),
    ("STOM", "口腔科", "clinical", None, True), ("DERM", "皮肤科", "clinical", None, True),
    ("REHA", "康复医学科", "clinical", None, True), ("ANES", "麻醉科", "clinical", None, True),
    ("OR", "手术室", "clinical", "ANES", True), ("LAB", "检验科", "medical_technical", None, True),
    ("RAD", "放射科", "medical_technical", None, True), ("US", "超声科", "medical_technical", None, True),
    ("PATH", "病理科", "medical_technical", None, True), ("PHAR", "药剂科", "medical_technical", None, True),
    ("BLD", "输血科", "medical_technical", None, True),
    ("CSSD", "消毒供应中心", "medical_technical", None, True), ("LOG", "后勤保障部", "logistics", None, True),
    ("LOG-EQ", "设备科", "logistics", "LOG", True), ("LOG-GA", "总务科", "logistics", "LOG", True),
    ("LOG-SEC", "保卫科", "logistics", "LOG", True), ("LOG-PWR", "动力科（能源中心）", "logistics", "LOG", True),
    ("LOG-WST", "医废暂存站", "logistics", "LOG", True), ("LOG-CLN", "物业保洁中心", "logistics", "LOG", True),
    ("LOG-NUT", "营养膳食科", "logistics", "LOG", True), ("ADM", "院办", "administrative", None, True),
    ("MEDA", "医务部", "administrative", None, True), ("NURS", "护理部", "administrative", None, True),
    ("IT", "信息中心", "administrative", None, True), ("FIN", "财务科", "administrative", None, True),
    ("HR", "人事科", "administrative", None, True),
]

# ---------------------------------------------------------------- rooms
# Inpatient floors of building B (and F on 东院): six wards plus support rooms.
WARD_FLOORS = {("B", 4): "OBGY", ("B", 5): "CARD", ("B", 6): "RESP", ("B", 7): "GAST",
               ("B", 8): "NEUR", ("B", 9): "ENDO", ("B", 10): "NEPH", ("B", 11): "GSUR",
               ("B", 12): "ORTH", ("B", 13): "NSUR", ("B", 14): "UROL", ("B", 15): "THOR",
               ("B", 16): "PEDS", ("F", 3): "REHA", ("F", 4): "REHA", ("F", 5): "REHA"}
WARD_BEDS = [3, 3, 3, 3, 2, 1]           # beds of the six ward rooms on a floor
WARD_AREA = {3: 28.0, 2: 22.0, 1: 18.0}  # m2 by bed count
WARD_SUPPORT = [  # name, type, area, department code (None = the ward's department)
    ("护士站", "office", 24.0, None), ("治疗室", "other", 15.0, None),
    ("污物间（医废暂存点）", "waste_storage", 6.0, None), ("强电间", "plant_room", 5.0, "LOG-PWR"),
]

# Other rooms per floor: name, type, department code, beds, area.
ROOMS = {
    ("A", -1): [("门诊楼低压配电室", "plant_room", "LOG-PWR", 0, 60.0), ("门诊物资库房", "storage", "LOG-GA", 0, 80.0),
                ("排风机房", "plant_room", "LOG-PWR", 0, 35.0)],
    ("A", 1): [("门诊大厅", "corridor", None, 0, 420.0), ("挂号收费处", "office", "FIN", 0, 45.0),
               ("门诊西药房", "pharmacy", "PHAR", 0, 90.0), ("门诊中药房", "pharmacy", "PHAR", 0, 60.0),
               ("一楼公共卫生间", "toilet", None, 0, 30.0)],
    ("A", 2): [("心血管内科诊室", "outpatient", "CARD", 0, 14.0), ("呼吸内科诊室", "outpatient", "RESP", 0, 14.0),
               ("消化内科诊室", "outpatient", "GAST", 0, 14.0), ("神经内科诊室", "outpatient", "NEUR", 0, 14.0),
               ("内分泌科诊室", "outpatient", "ENDO", 0, 14.0), ("肾内科诊室", "outpatient", "NEPH", 0, 14.0),
               ("门诊采血室", "laboratory", "LAB", 0, 40.0), ("二楼公共卫生间", "toilet", None, 0, 30.0)],
    ("A", 3): [("普外科诊室", "outpatient", "GSUR", 0, 14.0), ("骨科诊室", "outpatient", "ORTH", 0, 14.0),
               ("神经外科诊室", "outpatient", "NSUR", 0, 14.0), ("泌尿外科诊室", "outpatient", "UROL", 0, 14.0),
               ("胸外科诊室", "outpatient", "THOR", 0, 14.0), ("门诊换药室", "outpatient", "GSUR", 0, 20.0),
               ("三楼候诊走廊", "corridor", None, 0, 150.0)],
    ("A", 4): [("妇科诊室", "outpatient", "OBGY", 0, 14.0), ("产科诊室", "outpatient", "OBGY", 0, 14.0),
               ("儿科诊室", "outpatient", "PEDS", 0, 16.0), ("儿科输液室", "outpatient", "PEDS", 0, 60.0),
               ("眼科诊室", "outpatient", "OPHT", 0, 18.0), ("耳鼻喉科诊室", "outpatient", "ENT", 0, 18.0)],
    ("A", 5): [("口腔科诊室", "outpatient", "STOM", 0, 45.0), ("皮肤科诊室", "outpatient", "DERM", 0, 14.0),
               ("院长办公室", "office", "ADM", 0, 30.0), ("院办综合办公室", "office", "ADM", 0, 36.0),
               ("医务部办公室", "office", "MEDA", 0, 36.0), ("护理部办公室", "office", "NURS", 0, 36.0),
               ("财务科办公室", "office", "FIN", 0, 40.0), ("人事科办公室", "office", "HR", 0, 30.0),
               ("信息中心机房", "plant_room", "IT", 0, 80.0), ("信息中心办公室", "office", "IT", 0, 36.0)],
    ("B", -2): [("住院楼高低压配电室", "plant_room", "LOG-PWR", 0, 150.0),
                ("生活水泵房", "plant_room", "LOG-PWR", 0, 90.0), ("消防水泵房", "plant_room", "LOG-SEC", 0, 110.0)],
    ("B", -1): [("负压吸引机房", "plant_room", "LOG-PWR", 0, 45.0), ("住院楼医疗物资库房", "storage", "LOG-EQ", 0, 120.0),
                ("被服库", "storage", "LOG-GA", 0, 60.0)],
    ("B", 1): [("住院部大厅", "corridor", None, 0, 260.0), ("入院服务中心", "office", "FIN", 0, 60.0),
               ("住院药房", "pharmacy", "PHAR", 0, 110.0)],
    ("B", 2): [("静脉用药调配中心", "pharmacy", "PHAR", 0, 260.0), ("药剂科办公室", "office", "PHAR", 0, 30.0)],
    ("B", 3): [("ICU开放监护区一", "icu", "ICU", 8, 160.0), ("ICU开放监护区二", "icu", "ICU", 8, 160.0),
               ("ICU隔离单间一", "icu", "ICU", 1, 20.0), ("ICU隔离单间二", "icu", "ICU", 1, 20.0),
               ("ICU护士站", "office", "ICU", 0, 30.0), ("ICU污物间（医废暂存点）", "waste_storage", "ICU", 0, 8.0),
               ("ICU强电间", "plant_room", "LOG-PWR", 0, 6.0)],
    ("C", 1): [("DR检查室", "imaging", "RAD", 0, 40.0), ("CT一室", "imaging", "RAD", 0, 45.0),
               ("CT二室", "imaging", "RAD", 0, 45.0), ("MRI检查室", "imaging", "RAD", 0, 60.0),
               ("MRI设备间", "plant_room", "RAD", 0, 25.0), ("超声检查室一", "imaging", "US", 0, 16.0),
               ("超声检查室二", "imaging", "US", 0, 16.0), ("放射科阅片室", "office", "RAD", 0, 40.0)],
    ("C", 2): [("检验科生化免疫室", "laboratory", "LAB", 0, 120.0), ("检验科临检室", "laboratory", "LAB", 0, 80.0),
               ("检验科微生物室", "laboratory", "LAB", 0, 60.0), ("检验科PCR实验室", "laboratory", "LAB", 0, 70.0),
               ("储血室", "laboratory", "BLD", 0, 30.0), ("输血科配血室", "laboratory", "BLD", 0, 25.0)],
    ("C", 3): [("病理科取材室", "laboratory", "PATH", 0, 30.0), ("病理科制片室", "laboratory", "PATH", 0, 45.0),
               ("病理标本库", "storage", "PATH", 0, 20.0), ("消化内镜中心", "outpatient", "GAST", 0, 120.0)],
    ("C", 4): [("手术室1（百级层流）", "operating_room", "OR", 0, 50.0), ("手术室2", "operating_room", "OR", 0, 42.0),
               ("手术室3", "operating_room", "OR", 0, 42.0), ("手术室4", "operating_room", "OR", 0, 42.0),
               ("麻醉复苏室", "other", "ANES", 0, 80.0), ("手术部净化空调机房", "plant_room", "LOG-PWR", 0, 90.0)],
    ("C", 5): [("手术室5", "operating_room", "OR", 0, 42.0), ("手术室6", "operating_room", "OR", 0, 42.0),
               ("手术室7（杂交）", "operating_room", "OR", 0, 70.0), ("麻醉科办公室", "office", "ANES", 0, 36.0),
               ("手术部污物间（医废暂存点）", "waste_storage", "OR", 0, 12.0)],
    ("C", 6): [("消毒供应中心去污区", "other", "CSSD", 0, 120.0), ("消毒供应中心检查包装灭菌区", "other", "CSSD", 0, 150.0),
               ("无菌物品存放区", "storage", "CSSD", 0, 80.0)],
    ("D", -1): [("综合水泵房", "plant_room", "LOG-PWR", 0, 85.0), ("生活水箱间", "plant_room", "LOG-PWR", 0, 60.0)],
    ("D", 1): [("10kV高压配电室", "plant_room", "LOG-PWR", 0, 120.0),
               ("低压配电室", "plant_room", "LOG-PWR", 0, 140.0), ("柴油发电机房", "plant_room", "LOG-PWR", 0, 90.0),
               ("医用气体汇流排间", "plant_room", "LOG-PWR", 0, 40.0), ("液氧站", "plant_room", "LOG-PWR", 0, 100.0),
               ("医用空压机房", "plant_room", "LOG-PWR", 0, 45.0),
               ("医疗废物暂存间", "waste_storage", "LOG-WST", 0, 60.0)],
    ("D", 2): [("后勤保障部办公室", "office", "LOG", 0, 40.0), ("设备科办公室", "office", "LOG-EQ", 0, 36.0),
               ("总务科办公室", "office", "LOG-GA", 0, 36.0), ("动力科值班室", "office", "LOG-PWR", 0, 30.0),
               ("维修工作间", "other", "LOG-GA", 0, 80.0), ("医疗设备维修室", "other", "LOG-EQ", 0, 60.0),
               ("五金材料库", "storage", "LOG-GA", 0, 70.0)],
    ("D", 3): [("职工食堂", "kitchen", "LOG-NUT", 0, 300.0), ("营养配餐厨房", "kitchen", "LOG-NUT", 0, 150.0),
               ("安防监控中心", "office", "LOG-SEC", 0, 50.0), ("保卫科办公室", "office", "LOG-SEC", 0, 30.0)],
    ("E", 1): [("急诊分诊台", "emergency", "EMER", 0, 20.0), ("急诊抢救室", "emergency", "EMER", 0, 90.0),
               ("急诊内科诊室", "emergency", "EMER", 0, 15.0), ("急诊外科诊室", "emergency", "EMER", 0, 15.0),
               ("急诊清创室", "emergency", "EMER", 0, 20.0), ("急诊药房", "pharmacy", "PHAR", 0, 35.0),
               ("急诊CT室", "imaging", "RAD", 0, 45.0)],
    ("E", 2): [("急诊输液大厅", "emergency", "EMER", 0, 180.0), ("急诊观察室一", "ward", "EMER", 6, 60.0),
               ("急诊观察室二", "ward", "EMER", 6, 60.0), ("急诊检验室", "laboratory", "LAB", 0, 30.0)],
    ("E", 3): [("急诊手术室", "operating_room", "OR", 0, 45.0), ("急诊科办公室", "office", "EMER", 0, 30.0),
               ("急诊污物间（医废暂存点）", "waste_storage", "EMER", 0, 8.0)],
    ("F", 1): [("康复门诊诊室", "outpatient", "REHA", 0, 16.0), ("东院药房", "pharmacy", "PHAR", 0, 40.0),
               ("东院配电室", "plant_room", "LOG-PWR", 0, 50.0),
               ("东院医疗废物暂存间", "waste_storage", "LOG-WST", 0, 20.0),
               ("东院后勤值班室", "office", "LOG-GA", 0, 20.0)],
    ("F", 2): [("运动治疗（PT）大厅", "other", "REHA", 0, 260.0), ("作业治疗（OT）室", "other", "REHA", 0, 80.0),
               ("物理因子治疗室", "other", "REHA", 0, 60.0), ("言语治疗室", "other", "REHA", 0, 20.0)],
}

# ---------------------------------------------------------------- shifts
SHIFTS = [  # code, name, start minute, duration
    ("DAY", "白班", 480, 570),      # 08:00-17:30
    ("EARLY", "早班", 360, 480),    # 06:00-14:00
    ("MID", "中班", 840, 480),      # 14:00-22:00
    ("NIGHT", "夜班", 1320, 600),   # 22:00-08:00
    ("ONCALL", "24h值班", 480, 1440),  # 08:00-08:00
]
# 7-day rotation for the electrical / plumbing groups (None = rest day).
# Order keeps >= 11 h between shifts: 白班, 早班, 中班, 夜班, 休, 24h, 休.
ROTATION = ["DAY", "EARLY", "MID", "NIGHT", None, "ONCALL", None]
ROSTER_START = datetime.date(2026, 11, 23)
ROSTER_DAYS = 7

# ---------------------------------------------------------------- staff
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["建国", "志强", "海涛", "晓东", "伟", "磊", "秀英", "丽娟", "敏", "静", "军", "勇",
         "俊杰", "娜", "洋", "艳", "国强", "桂英", "明", "超", "秀兰", "霞", "建平", "刚",
         "丹", "玉兰", "萍", "鹏", "文辉", "红梅", "建华", "国平", "文斌", "春燕", "海燕",
         "立新", "凯", "宁", "雪梅", "晓燕", "志刚", "永红", "卫东", "佳怡", "子涵", "浩然", "思远"]

STAFF = [  # department code, title, skills, count, roster group
    ("LOG-PWR", "电工", ["electrical"], 7, "elec"),
    ("LOG-PWR", "水暖工", ["plumbing"], 5, "plumb"),
    ("LOG-GA", "综合维修工", ["plumbing", "carpentry"], 2, "plumb"),
    ("LOG-PWR", "空调工", ["hvac"], 4, "other"),
    ("LOG-PWR", "医用气体工程师", ["medical_gas"], 1, "other"),
    ("LOG-PWR", "医用气体操作工", ["medical_gas"], 2, "other"),
    ("LOG-EQ", "电梯维保", ["elevator"], 3, "other"),
    ("LOG-EQ", "医学工程师", ["biomed"], 4, "other"),
    ("LOG-GA", "木工", ["carpentry"], 2, "other"),
    ("IT", "网络工程师", ["it_network"], 3, "other"),
    ("LOG-SEC", "消防设施操作员", ["fire_safety", "security"], 2, "other"),
    ("LOG-PWR", "电工", ["electrical"], 1, "retired"),  # inactive, not rostered
    ("LOG", "部长", [], 1, None),
    ("LOG-PWR", "科长", ["electrical"], 1, None),
    ("LOG-EQ", "科长", ["biomed"], 1, None),
    ("LOG-GA", "科长", [], 1, None),
    ("LOG-SEC", "科长", ["security"], 1, None),
    ("LOG-WST", "医废收运员", ["waste_collection"], 4, None),
    ("LOG-SEC", "保安", ["security"], 5, None),
    ("LOG-CLN", "保洁", ["cleaning"], 4, None),
    ("LOG-NUT", "厨师", [], 1, None),
] + [(d, "护士长", [], 1, None) for d in
     ["CARD", "RESP", "GAST", "NEUR", "ENDO", "NEPH", "GSUR", "ORTH", "NSUR", "UROL",
      "THOR", "OBGY", "PEDS", "EMER", "ICU", "OR", "REHA"]] + [
    ("CARD", "主任医师", [], 1, None), ("ORTH", "副主任医师", [], 1, None),
    ("EMER", "主治医师", [], 1, None), ("ICU", "主任医师", [], 1, None),
    ("RAD", "技师长", [], 1, None), ("LAB", "主管技师", [], 1, None),
    ("ADM", "主任", [], 1, None), ("MEDA", "科员", [], 1, None),
    ("NURS", "主任", [], 1, None), ("IT", "主任", ["it_network"], 1, None),
    ("FIN", "科长", [], 1, None),
]

# ---------------------------------------------------------------- dictionaries
DICTIONARIES = {  # dictionary -> [(code, name, parent_code)]
    "equipment_category": [
        ("electrical", "电气设备", None), ("electrical_distribution", "配电柜/配电箱", "electrical"),
        ("electrical_generator", "柴油发电机组", "electrical"), ("electrical_ups", "UPS/IT隔离电源", "electrical"),
        ("electrical_lighting", "照明及插座", "electrical"),
        ("hvac", "暖通空调", None), ("hvac_chiller", "冷水机组", "hvac"),
        ("hvac_ahu", "空调机组/新风机组", "hvac"), ("hvac_fcu", "风机盘管", "hvac"),
        ("plumbing", "给排水", None), ("plumbing_supply", "给水及热水", "plumbing"),
        ("plumbing_drainage", "排水及污水", "plumbing"),
        ("elevator", "电梯", None),
        ("medical_gas", "医用气体", None), ("medical_gas_oxygen", "医用氧气", "medical_gas"),
        ("medical_gas_vacuum", "负压吸引", "medical_gas"), ("medical_gas_air", "医用压缩空气", "medical_gas"),
        ("medical_device", "医疗设备", None), ("fire", "消防", None),
        ("low_voltage", "弱电", None), ("low_voltage_network", "网络及电话", "low_voltage"),
        ("low_voltage_nurse_call", "护理呼叫", "low_voltage"),
        ("building", "建筑装修", None),
    ],
    "fault_type": [
        ("no_power", "不通电", None), ("leak", "漏水", None), ("blockage", "堵塞", None),
        ("noise", "异响", None), ("temperature", "温度异常", None), ("pressure", "压力异常", None),
        ("alarm", "报警", None), ("damage", "损坏", None), ("other", "其他", None),
    ],
    "waste_category": [
        ("infectious", "感染性废物", None), ("sharps", "损伤性废物", None),
        ("pathological", "病理性废物", None), ("pharmaceutical", "药物性废物", None),
        ("chemical", "化学性废物", None),
    ],
    "hazard_type": [
        ("electrical_safety", "用电安全", None), ("fire_safety", "消防安全", None),
        ("medical_gas", "医用气体", None), ("special_equipment", "特种设备", None),
        ("hazardous_chemical", "危化品", None), ("structural", "建筑结构", None),
    ],
}

# ---------------------------------------------------------------- knowledge base
ARTICLES = [  # code, title, category, tags, department code, updated_at, body
    ("KB-GAS-001", "氧气汇流排切换操作", "medical_gas_oxygen", ["氧气", "汇流排", "切换"], "LOG-PWR",
     "2026-10-12T08:30:00Z",
     "医用气体汇流排间设左右两组氧气钢瓶，正常由自动切换装置供气。运行侧压力降至本院设定值1.0MPa时应自动切换至备用侧，"
     "值班人员须确认切换指示灯和出口压力（0.40~0.45MPa）正常。自动切换失灵时，先缓慢开启备用侧总阀，再关闭运行侧总阀，严禁两侧同时全关。"
     "更换钢瓶前关闭瓶阀并泄放支管余压，接头严禁沾油，扳手须为禁油工具。操作完成后在汇流排运行记录中登记时间、瓶数和压力。"),
    ("KB-PWR-001", "配电室停电应急处置", "electrical_distribution", ["停电", "配电室", "发电机", "应急"], "LOG-PWR",
     "2026-09-28T02:00:00Z",
     "发生停电时，值班电工首先确认停电范围，判断是市电失电还是院内开关跳闸，并立即报告动力科科长和总值班。"
     "市电失电时柴油发电机组应在15秒内自动启动，经ATS切换向一级负荷供电，须到发电机房确认机组运行参数、油位和冷却水温。"
     "手术室、ICU等场所由UPS及IT隔离电源短时保障，应电话确认其供电状态。倒闸操作必须两人进行，一人操作一人监护，执行操作票，严禁带负荷拉隔离开关。"
     "恢复供电后按先重要负荷后一般负荷的顺序逐路送电，并填写停电事件记录。"),
    ("KB-GAS-002", "负压吸引压力低排查", "medical_gas_vacuum", ["负压吸引", "压力低", "真空泵"], "LOG-PWR",
     "2026-08-15T06:00:00Z",
     "病区反映吸引力不足时，先询问是单个终端还是整层、整楼的问题。单个终端多为终端插座密封圈老化或吸引瓶、管路漏气，可更换密封圈或终端。"
     "整层压力低时检查楼层区域阀箱的阀门是否全开、压力表读数是否正常。机房侧检查真空罐负压、真空泵运行及备用泵自启情况，"
     "检查细菌过滤器是否堵塞、排污是否积液。机房负压正常而末端偏低时，应分段关阀查找管道泄漏点，处理期间通知临床备用电动吸引器。"),
    ("KB-ELV-001", "电梯困人处置", "elevator", ["电梯", "困人", "特种设备", "应急"], "LOG-EQ",
     "2026-07-03T01:15:00Z",
     "接到电梯困人报警后，立即通过对讲安抚被困人员，告知救援人员正在赶来，嘱其不要强行扒门。"
     "同时通知电梯维保单位，维保人员应在30分钟内到达；确认轿厢所在楼层和轿内人员情况，如有患者病情变化应通知急诊科到场。"
     "救援须由持证人员执行：先切断电梯主电源，确认轿厢位置，平层时用三角钥匙开门，非平层时按规程手动盘车至平层后再放人。"
     "严禁无证人员操作盘车。救援结束后电梯须经维保人员检查确认后方可恢复运行，并上报设备科登记。"),
    ("KB-HVAC-001", "空调不制冷排查", "hvac_fcu", ["空调", "不制冷", "风机盘管"], "LOG-PWR",
     "2026-06-20T03:00:00Z",
     "先确认温控面板处于制冷模式、设定温度合理、风机能正常运转。风量小多为回风过滤网积尘，清洗过滤网后观察。"
     "风机正常但出风不凉时，检查风机盘管电动两通阀是否动作、供回水阀门是否开启，并用手感或测温枪判断供回水管温差。"
     "整层或整楼不制冷时，应联系冷站值班人员核对冷冻水供水温度（设计7℃）和循环泵运行状态。"
     "同时检查凝结水盘是否堵塞溢水，防止吊顶滴水；手术室、ICU等净化区域由专人处理，不得擅自拆卸高效过滤器。"),
    ("KB-PLB-001", "下水道堵塞处理", "plumbing_drainage", ["下水道", "堵塞", "疏通"], "LOG-PWR",
     "2026-05-11T07:45:00Z",
     "接到堵塞报修后，先判断是单个洁具堵塞还是立管或排出管堵塞，立管堵塞时通知上层暂停用水，防止低层返水。"
     "洁具堵塞可用皮搋子或手动疏通器处理，立管、横管堵塞使用电动疏通机从检查口或清扫口进行疏通。"
     "病区污水可能含有病原体，作业人员须佩戴口罩、手套和防水靴，作业后对地面用含氯消毒剂消毒。"
     "常见原因为纱布、棉签、尿垫、一次性手套等误入下水道，应提醒科室在污物间和卫生间张贴禁投提示。"),
    ("KB-WST-001", "医疗废物暂存间管理要求", "building", ["医疗废物", "暂存", "交接"], "LOG-WST",
     "2026-10-20T00:30:00Z",
     "医疗废物暂存间实行专人管理，门口设置医疗废物警示标识，具备防渗漏、防鼠、防蚊蝇、防蟑螂和防盗措施，远离食品加工区和人员活动区。"
     "医疗废物在暂存间的贮存时间不得超过2天，原则上每日由有资质的处置单位转运，并按规定填写危险废物转移联单。"
     "收运员每日按固定路线到各污物间收集，收集时核对包装、标签和重量，做好交接登记，登记资料至少保存3年。"
     "损伤性废物必须装入利器盒，病理性废物需低温贮存；包装破损或外溢时立即加套包装，并用含氯消毒剂对污染区域消毒。"
     "暂存间每次清运后进行清洁消毒。"),
    ("KB-PWR-002", "漏电报警处理", "electrical_ups", ["漏电", "绝缘监测", "IT系统", "手术室"], "LOG-PWR",
     "2026-09-05T05:20:00Z",
     "手术室、ICU等采用IT隔离电源系统，绝缘监测仪报警只表示系统绝缘电阻下降，不会立即断电，严禁为消除报警而切断正在使用的电源。"
     "电工到场后应先与医护人员沟通，在不影响手术和治疗的前提下，查看报警回路，按最近接入设备的顺序逐一排查。"
     "确认故障设备后停用并挂牌送设备科检修。普通区域剩余电流保护器跳闸时，应断开该回路全部负载后试合闸，"
     "再逐个接入负载查找漏电设备，不得将保护器短接或调大动作电流。"),
    ("KB-PLB-002", "生活水泵房供水压力低处置", "plumbing_supply", ["水泵房", "供水", "压力低"], "LOG-PWR",
     "2026-04-18T02:10:00Z",
     "高楼层反映水压不足时，先查看生活水泵房变频控制柜的出口压力、设定压力及故障报警信息。"
     "工作泵故障时确认备用泵是否自动投入，否则手动切换并上报。检查水箱液位，液位低时确认市政进水阀和浮球阀工作正常。"
     "同时检查泵前过滤器是否堵塞、管网是否存在爆管漏水。停水超过30分钟时应通知总值班，优先保障手术室、血透室和消毒供应中心用水。"),
    ("KB-FIRE-001", "火灾自动报警处置", "fire", ["消防", "火警", "烟感"], "LOG-SEC",
     "2026-03-30T09:00:00Z",
     "消防控制室接到火灾报警信号后，值班人员立即通过监控核实或通知保安携带灭火器到现场确认，确认时间不超过3分钟。"
     "确认为误报时复位并记录原因，常见原因为装修粉尘、水汽和探测器老化。确认为真实火情时立即拨打119，启动医院灭火和应急疏散预案，"
     "通知相关科室组织疏散，优先转移行动不便的患者。严禁关闭消防联动设备或将其长期置于手动状态。"),
]


# ================================================================= builders
def level_code(level):
    return f"B{-level}" if level < 0 else str(level)


def make_name(i):
    """Deterministic Chinese name, distinct for i < len(SURNAMES) * len(GIVEN)."""
    return SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[(i * 5 + i // len(SURNAMES)) % len(GIVEN)]


def build():
    doc = {"format": "houqin.hospital", "format_version": 1}

    campus_id = {c[0]: i for i, c in enumerate(CAMPUSES, 1)}
    doc["campuses"] = [{"id": campus_id[code], "code": code, "name": name, "address": addr}
                       for code, name, addr in CAMPUSES]

    building_id = {b[1]: i for i, b in enumerate(BUILDINGS, 1)}
    doc["buildings"] = [{"id": building_id[code], "campus_id": campus_id[campus], "code": code,
                         "name": name, "floors_above": above, "floors_below": below}
                        for campus, code, name, above, below in BUILDINGS]

    floors, floor_id = [], {}
    for _, bcode, _, above, below in BUILDINGS:
        for level in list(range(-below, 0)) + list(range(1, above + 1)):
            floor_id[(bcode, level)] = len(floors) + 1
            floors.append({"id": len(floors) + 1, "building_id": building_id[bcode], "level": level,
                           "code": f"{bcode}-{level_code(level)}",
                           "name": f"B{-level}" if level < 0 else f"{level}F"})
    doc["floors"] = floors

    dept_id = {d[0]: i for i, d in enumerate(DEPARTMENTS, 1)}
    doc["departments"] = [{"id": dept_id[code], "code": code, "name": name, "kind": kind,
                           "parent_id": dept_id[parent] if parent else None,
                           "phone": str(8100 + dept_id[code] * 7), "active": active}
                          for code, name, kind, parent, active in DEPARTMENTS]

    rooms = []
    for (bcode, level) in sorted(floor_id, key=lambda k: floor_id[k]):
        specs = list(ROOMS.get((bcode, level), []))
        ward_dept = WARD_FLOORS.get((bcode, level))
        if ward_dept:
            dname = next(d[1] for d in DEPARTMENTS if d[0] == ward_dept)
            for n, beds in enumerate(WARD_BEDS, 1):
                specs.append((f"{dname}{level}病区{n:02d}号病房", "ward", ward_dept, beds, WARD_AREA[beds]))
            specs += [(f"{dname}{level}病区{name}", rtype, dept or ward_dept, 0, area)
                      for name, rtype, area, dept in WARD_SUPPORT]
        for n, (name, rtype, dept, beds, area) in enumerate(specs, 1):
            number = n if level < 0 else level * 100 + n
            rooms.append({"id": len(rooms) + 1, "floor_id": floor_id[(bcode, level)],
                          "code": f"{bcode}-{level_code(level)}-{number:04d}", "name": name,
                          "type": rtype, "department_id": dept_id[dept] if dept else None,
                          "beds": beds, "area_m2": area})
    doc["rooms"] = rooms

    shift_id = {s[0]: i for i, s in enumerate(SHIFTS, 1)}
    doc["shifts"] = [{"id": shift_id[code], "code": code, "name": name,
                      "start_minute": start, "duration_minutes": dur}
                     for code, name, start, dur in SHIFTS]

    staff, groups = [], {}
    for dept, title, skills, count, group in STAFF:
        for _ in range(count):
            i = len(staff)
            staff.append({"id": i + 1, "employee_no": f"HQ{i + 1:04d}", "name": make_name(i),
                          "department_id": dept_id[dept], "title": title,
                          "phone": f"13{(9 - i % 4)}{(25184637 + i * 95303) % 100000000:08d}",
                          "skills": list(skills), "active": group != "retired"})
            groups.setdefault(group, []).append((i + 1, skills[0] if skills else None))
    assert len({s["name"] for s in staff}) == len(staff), "duplicate generated name"
    doc["staff"] = staff

    assignments = []

    def assign(sid, shift, day):
        assignments.append({"id": len(assignments) + 1, "staff_id": sid,
                            "shift_id": shift_id[shift], "day": day.isoformat()})

    for d in range(ROSTER_DAYS):
        day = ROSTER_START + datetime.timedelta(days=d)
        for group in ("elec", "plumb"):  # each group of 7 covers every shift every day
            for p, (sid, _) in enumerate(groups[group]):
                shift = ROTATION[(d + p) % len(ROTATION)]
                if shift:
                    assign(sid, shift, day)
        # other trades: 白班 on weekdays, one 24h值班 per trade on Saturday / Sunday
        seen = {}
        for sid, skill in groups["other"]:
            k = seen[skill] = seen.get(skill, -1) + 1
            if day.weekday() < 5:
                assign(sid, "DAY", day)
            elif k == day.weekday() - 5:
                assign(sid, "ONCALL", day)
    doc["shift_assignments"] = assignments

    entries = []
    for dictionary, items in DICTIONARIES.items():
        for n, (code, name, parent) in enumerate(items, 1):
            entries.append({"id": len(entries) + 1, "dictionary": dictionary, "code": code,
                            "name": name, "parent_code": parent, "sort_order": n * 10,
                            "active": True})
    doc["dictionary_entries"] = entries

    doc["knowledge_articles"] = [
        {"id": i, "code": code, "title": title, "category": cat, "body": body, "tags": tags,
         "department_id": dept_id[dept] if dept else None, "updated_at": updated}
        for i, (code, title, cat, tags, dept, updated, body) in enumerate(ARTICLES, 1)]
    return doc


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hospital.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(build(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
