"""Small Turkish, Chinese and English reports polystat was not developed on, for the
identity tests of tests/test_identity_unseen_trzh.py. They reproduce the structures of
real statistics-office releases, polls, survey write-ups and press coverage of a foreign
survey (year histories, sub-groups, intensity scales, verbal glosses, sub-samples, lists
of findings of one survey); every organisation, sentence and figure is made up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corpus_files import Documents, write_documents  # tests/ is on sys.path

# file -> (manifest entry without "file", text)
DOCUMENTS: Documents = {
    "kio_bt_2025.txt": ({
        "title": "Hanehalkı Bilişim Teknolojileri Kullanımı, 2025",
        "publisher": "Kuzey İstatistik Ofisi (kurgusal), haber bülteni",
        "edition": "kio-bt-2025", "survey_year": 2025, "language": "tr"},
        "Hanehalkı Bilişim Teknolojileri Kullanımı, 2025\n\n"
        "Evden internete erişim imkânı olan hanelerin oranı 2025 yılında %93,1 oldu. "
        "Bu oran bir önceki yıl %91,8 idi.\n\n"
        "16-74 yaş grubundaki bireylerde internet kullanım oranı %88,4 olarak gerçekleşti. "
        "İnternet kullanım oranı erkeklerde %92,0 iken kadınlarda %84,9 oldu.\n\n"
        "İnternet kullanan bireylerin %84,7'si sosyal medyada profil oluşturdu, %71,2'si "
        "çevrimiçi haber okudu, %63,5'i ise mal ve hizmetler hakkında bilgi aradı.\n\n"
        "İnternetten alışveriş yapan bireylerin oranı %47,3 oldu. Bu oran geçen yıl %44,1 "
        "idi.\n"),
    "kio_bt_2024.txt": ({
        "title": "Hanehalkı Bilişim Teknolojileri Kullanımı, 2024",
        "publisher": "Kuzey İstatistik Ofisi (kurgusal), haber bülteni",
        "edition": "kio-bt-2024", "survey_year": 2024, "language": "tr"},
        "Hanehalkı Bilişim Teknolojileri Kullanımı, 2024\n\n"
        "Evden internete erişim imkânı olan hanelerin oranı %91,8'e yükseldi. Bu oran 2023 "
        "yılında %90,3 idi.\n\n"
        "16-74 yaş grubundaki bireylerde internet kullanım oranı %86,7 oldu.\n\n"
        "İnternet kullanan bireylerin %82,9'u sosyal medyada profil oluşturdu, %70,4'ü "
        "çevrimiçi haber okudu.\n\n"
        "İnternetten alışveriş yapan bireylerin oranı %44,1 olarak gerçekleşti.\n"),
    "pusula_kent_2025.txt": ({
        "title": "Kent Yaşamı Araştırması 2025",
        "publisher": "Pusula Araştırma (kurgusal), kamuoyu araştırması",
        "edition": "pusula-kent-2025", "survey_year": 2025, "language": "tr"},
        "Kent Yaşamı Araştırması 2025\n\n"
        "Araştırma 12 ilde 2.180 kişiyle yüz yüze görüşülerek yapıldı. Görüşülenlerin "
        "1.090'ı kadındır.\n\n"
        "Katılımcıların %34,6'sı belediye hizmetlerinden memnun olduğunu, %11,2'si ise çok "
        "memnun olduğunu belirtti.\n\n"
        "Ankete katılanların üçte ikisinden fazlası (%67,3) kira artışlarının bütçelerini "
        "zorladığını söyledi.\n\n"
        "Katılımcıların %48,9'u en önemli sorunun hayat pahalılığı olduğunu düşünüyor; "
        "trafiği gösterenlerin oranı %19,4, konut sorununu gösterenlerin oranı ise %9,8 "
        "oldu.\n\n"
        "Katılımcıların %46'sı toplu taşımayı her gün kullandığını söyledi.\n"),
    "pusula_kent_2024.txt": ({
        "title": "Kent Yaşamı Araştırması 2024",
        "publisher": "Pusula Araştırma (kurgusal), kamuoyu araştırması",
        "edition": "pusula-kent-2024", "survey_year": 2024, "language": "tr"},
        "Kent Yaşamı Araştırması 2024\n\n"
        "Araştırma 11 ilde 2.050 kişiyle görüşülerek gerçekleştirildi.\n\n"
        "Katılımcıların %31,9'u belediye hizmetlerinden memnun olduğunu belirtti.\n\n"
        "Katılımcıların %9,7'si belediye hizmetlerinden çok memnun olduğunu belirtti.\n\n"
        "Katılımcıların %44,0'ü en önemli sorunun hayat pahalılığı olduğunu düşünüyor.\n"),
    "harbor_worktech_2025_en.txt": ({
        "title": "Harbor Insights Workplace Technology Survey 2025",
        "publisher": "Harbor Insights (fictional research firm), press release",
        "edition": "harbor-worktech-2025", "survey_year": 2025, "language": "en"},
        "Harbor Insights Workplace Technology Survey 2025\n\n"
        "Harbor Insights surveyed 9,200 office workers in 14 countries in March 2025.\n\n"
        "71% of office workers now use generative AI tools at least once a week, up from "
        "58% in 2024.\n\n"
        "Only 24% of workers say their employer has given them formal training on AI.\n\n"
        "More than half of managers (54%) believe AI will shrink their teams within three "
        "years.\n\n"
        "46% of workers worry that relying on AI could weaken their own skills.\n"),
    "harbor_worktech_2025_tr.txt": ({
        "title": "Araştırma: Ofis çalışanlarının yüzde 71'i her hafta yapay zeka kullanıyor",
        "publisher": "Turkish news summary (fictional outlet) of Harbor Insights 2025",
        "edition": "harbor-worktech-2025", "survey_year": 2025, "language": "tr"},
        "Araştırma: Ofis çalışanlarının yüzde 71'i her hafta yapay zeka kullanıyor\n\n"
        "Harbor Insights'ın 14 ülkede 9 bin 200 ofis çalışanıyla yaptığı araştırmaya göre, "
        "çalışanların yüzde 71'i üretken yapay zeka araçlarını haftada en az bir kez "
        "kullanıyor. Bu oran 2024'te yüzde 58'di.\n\n"
        "Çalışanların yalnızca yüzde 24'ü işvereninden yapay zeka konusunda resmi eğitim "
        "aldığını söylüyor.\n\n"
        "Yöneticilerin yarıdan fazlası (yüzde 54) yapay zekanın üç yıl içinde ekiplerini "
        "küçülteceğini düşünüyor.\n\n"
        "Çalışanların yüzde 46'sı yapay zekaya güvenmenin kendi becerilerini "
        "zayıflatabileceğinden endişe ediyor.\n"),
    "harbor_worktech_2025_zh.txt": ({
        "title": "调查：七成办公室职员每周使用生成式人工智能",
        "publisher": "Chinese news summary (fictional outlet) of Harbor Insights 2025",
        "edition": "harbor-worktech-2025", "survey_year": 2025, "language": "zh"},
        "调查：七成办公室职员每周使用生成式人工智能\n\n"
        "哈伯洞察对14个国家的9200名办公室职员进行了调查。结果显示，71%的受访者每周至少使用一次"
        "生成式人工智能工具，而2024年这一比例为58%。\n\n"
        "仅有24%的职员表示雇主为其提供过人工智能方面的正式培训。\n\n"
        "超过半数的管理人员（54%）认为人工智能将在三年内缩小其团队规模。\n\n"
        "46%的职员担心依赖人工智能会削弱自身技能。\n"),
    "yunling_retail_2025.txt": ({
        "title": "2025年1—10月份全市消费品市场运行情况",
        "publisher": "云岭市统计局（虚构），月度发布",
        "edition": "yunling-retail-2025", "survey_year": 2025, "language": "zh"},
        "2025年1—10月份全市消费品市场运行情况\n\n"
        "1—10月份，全市社会消费品零售总额2846.3亿元，同比增长4.8%。其中，除汽车以外的消费品"
        "零售额2511.7亿元，增长5.3%。\n\n"
        "按经营单位所在地分，城镇消费品零售额2470.5亿元，同比增长4.6%；乡村消费品零售额"
        "375.8亿元，增长6.1%。\n\n"
        "全市网上零售额612.4亿元，同比增长9.7%，占社会消费品零售总额的比重为21.5%，比上年同期"
        "提高1.3个百分点。\n"),
    "yunling_cpi_2025.txt": ({
        "title": "2025年10月份全市居民消费价格变动情况",
        "publisher": "云岭市统计局（虚构），月度发布",
        "edition": "yunling-cpi-2025", "survey_year": 2025, "language": "zh"},
        "2025年10月份全市居民消费价格变动情况\n\n"
        "10月份，全市居民消费价格同比上涨0.4%，去年同期为下降0.2%。\n\n"
        "食品价格同比上涨1.1%（上年同期下降2.6%）。\n"),
    "yunling_cpi_2024.txt": ({
        "title": "2024年10月份全市居民消费价格变动情况",
        "publisher": "云岭市统计局（虚构），月度发布",
        "edition": "yunling-cpi-2024", "survey_year": 2024, "language": "zh"},
        "2024年10月份全市居民消费价格变动情况\n\n"
        "10月份，全市居民消费价格同比下降0.2%。\n\n"
        "食品价格同比下降2.6%。\n"),
    "kio_isgucu_2025.txt": ({
        "title": "İşgücü İstatistikleri, Eylül 2025",
        "publisher": "Kuzey İstatistik Ofisi (kurgusal), haber bülteni",
        "edition": "kio-isgucu-2025", "survey_year": 2025, "language": "tr"},
        "İşgücü İstatistikleri, Eylül 2025\n\n"
        "15 ve daha yukarı yaştakilerde işsizlik oranı 0,3 puan azalarak %8,4 oldu.\n\n"
        "15-24 yaş grubunu kapsayan genç nüfusta işsizlik oranı 0,9 puan artarak %16,2 "
        "olarak tahmin edildi.\n\n"
        "İstihdam oranı ise %49,1 oldu; bu oran erkeklerde %66,8, kadınlarda %31,7 olarak "
        "gerçekleşti.\n"),
    "kio_isgucu_2024.txt": ({
        "title": "İşgücü İstatistikleri, Eylül 2024",
        "publisher": "Kuzey İstatistik Ofisi (kurgusal), haber bülteni",
        "edition": "kio-isgucu-2024", "survey_year": 2024, "language": "tr"},
        "İşgücü İstatistikleri, Eylül 2024\n\n"
        "15 ve daha yukarı yaştakilerde işsizlik oranı 0,4 puan artarak %8,7 oldu.\n\n"
        "15-24 yaş grubunu kapsayan genç nüfusta işsizlik oranı %15,3 olarak tahmin edildi.\n\n"
        "İstihdam oranı %48,6 oldu.\n"),
    "yunling_jobs_2025.txt": ({
        "title": "2025年三季度全市就业情况",
        "publisher": "云岭市统计局（虚构），季度发布",
        "edition": "yunling-jobs-2025", "survey_year": 2025, "language": "zh"},
        "2025年三季度全市就业情况\n\n"
        "三季度，全市城镇调查失业率为5.0%，比上年同期下降0.2个百分点。其中，16—24岁劳动力失业率为"
        "15.8%，25—59岁劳动力失业率为4.1%。\n\n"
        "全市城镇新增就业12.6万人，同比增长3.4%。\n"),
    "yunling_jobs_2024.txt": ({
        "title": "2024年三季度全市就业情况",
        "publisher": "云岭市统计局（虚构），季度发布",
        "edition": "yunling-jobs-2024", "survey_year": 2024, "language": "zh"},
        "2024年三季度全市就业情况\n\n"
        "三季度，全市城镇调查失业率为5.2%，比上年同期上升0.1个百分点。\n\n"
        "全市城镇新增就业12.2万人，同比下降1.5%。\n"),
    "pusula_yz_2024.txt": ({
        "title": "Yapay Zeka ve Çalışma Hayatı Araştırması 2024",
        "publisher": "Pusula Araştırma (kurgusal), araştırma sonuçları",
        "edition": "pusula-yz-2024", "survey_year": 2024, "language": "tr"},
        "Yapay Zeka ve Çalışma Hayatı Araştırması 2024\n\n"
        "Çalışanların %38'i yapay zeka eğitimi almak istiyor.\n\n"
        "Çalışanların %22'si yapay zeka eğitimini gereksiz buluyor.\n\n"
        "Çalışanların %61'i yapay zekanın verimliliği artırdığını düşünüyor.\n"),
    "qiming_ai_2025.txt": ({
        "title": "2025年职场人工智能调查",
        "publisher": "启明咨询（虚构），调查报告",
        "edition": "qiming-ai-2025", "survey_year": 2025, "language": "zh"},
        "2025年职场人工智能调查\n\n"
        "42%的员工表示公司提供过人工智能培训。\n\n"
        "55%的员工认为人工智能提高了工作效率。\n\n"
        "30%的员工担心人工智能培训占用太多时间。\n"),
    "qiming_satisfaction_2025.txt": ({
        "title": "2025年网购消费者满意度调查报告",
        "publisher": "启明咨询（虚构），调查报告",
        "edition": "qiming-satisfaction-2025", "survey_year": 2025, "language": "zh"},
        "2025年网购消费者满意度调查报告\n\n"
        "本次调查共回收有效问卷3260份，其中来自一线城市的受访者1150人。\n\n"
        "调查显示，对线上购物体验表示非常满意的受访者占18.7%，表示满意的占42.3%。\n\n"
        "三分之二以上的受访者（68.4%）表示曾因物流延误而放弃下单。\n\n"
        "受访者对售后服务的满意度为61.5%，比上年提高3.2个百分点。\n\n"
        "有24%的受访者每天使用外卖平台，另有27.5%的受访者认为直播带货的商品质量难以保证。\n"),
    "qiming_satisfaction_2024.txt": ({
        "title": "2024年网购消费者满意度调查报告",
        "publisher": "启明咨询（虚构），调查报告",
        "edition": "qiming-satisfaction-2024", "survey_year": 2024, "language": "zh"},
        "2024年网购消费者满意度调查报告\n\n"
        "本次调查共回收有效问卷3080份。\n\n"
        "对线上购物体验表示非常满意的受访者占16.9%，表示满意的占40.8%。\n\n"
        "受访者对售后服务的满意度为58.3%。\n"),
}

# An English release and a Chinese summary of it (one edition) that reorders its findings
# and adds one the release does not give, whose value equals another finding's by chance.
CHANCE: dict[str, tuple[dict[str, Any], str]] = {
    "northwind_2025_en.txt": ({
        "title": "Northwind Commuter Survey 2025",
        "publisher": "Northwind Mobility Lab (fictional), press release",
        "edition": "northwind-commuters-2025", "survey_year": 2025, "language": "en"},
        "Northwind Commuter Survey 2025\n\n"
        "Northwind asked 3,100 commuters about how they travel to work.\n\n"
        "62% of commuters use public transport at least three times a week.\n\n"
        "35% of commuters use a bike-sharing app in the summer months.\n\n"
        "18% of commuters plan to buy an electric car within two years.\n"),
    "northwind_2025_zh.txt": ({
        "title": "调查：六成通勤者每周多次乘坐公共交通",
        "publisher": "Chinese news summary (fictional outlet) of the Northwind survey",
        "edition": "northwind-commuters-2025", "survey_year": 2025, "language": "zh"},
        "调查：六成通勤者每周多次乘坐公共交通\n\n"
        "北风出行实验室对3100名通勤者进行了调查。62%的通勤者每周至少三次使用公共交通工具上班。\n\n"
        "18%的通勤者计划在两年内购买电动汽车。\n\n"
        "记者另据该实验室的完整报告了解到，35%的通勤者每月至少使用一次网约车。\n"),
}


def write_corpus(folder: Path, files: list[str] | None = None) -> Path:
    """Write the documents (all, or `files`) and their manifest into `folder`."""
    return write_documents(folder, {**DOCUMENTS, **CHANCE}, files or list(DOCUMENTS))
