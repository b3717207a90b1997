"""Province and city names (pinyin) the demo region tree is cut from, largest markets first."""

from __future__ import annotations

COUNTRY = ("CN", "China")

PROVINCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("GD", "Guangdong", ("Guangzhou", "Shenzhen", "Dongguan", "Foshan", "Zhuhai", "Shantou")),
    ("ZJ", "Zhejiang", ("Hangzhou", "Ningbo", "Wenzhou", "Shaoxing", "Jiaxing", "Jinhua")),
    ("JS", "Jiangsu", ("Nanjing", "Suzhou", "Wuxi", "Changzhou", "Nantong", "Xuzhou")),
    ("SC", "Sichuan", ("Chengdu", "Mianyang", "Deyang", "Yibin", "Leshan", "Nanchong")),
    ("SD", "Shandong", ("Jinan", "Qingdao", "Yantai", "Weifang", "Linyi", "Zibo")),
    ("HB", "Hubei", ("Wuhan", "Yichang", "Xiangyang", "Jingzhou", "Huangshi", "Shiyan")),
    ("HA", "Henan", ("Zhengzhou", "Luoyang", "Kaifeng", "Nanyang", "Xinxiang", "Anyang")),
    ("FJ", "Fujian", ("Fuzhou", "Xiamen", "Quanzhou", "Zhangzhou", "Putian", "Longyan")),
    ("HN", "Hunan", ("Changsha", "Zhuzhou", "Xiangtan", "Hengyang", "Yueyang", "Changde")),
    ("SN", "Shaanxi", ("Xi'an", "Baoji", "Xianyang", "Weinan", "Hanzhong", "Yan'an")),
    ("AH", "Anhui", ("Hefei", "Wuhu", "Bengbu", "Anqing", "Maanshan", "Fuyang")),
    ("LN", "Liaoning", ("Shenyang", "Dalian", "Anshan", "Fushun", "Jinzhou", "Yingkou")),
)
