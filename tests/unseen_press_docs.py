"""Press coverage that cites surveys, and the surveys' own releases, in German, Turkish,
Chinese and English, for tests/test_press_citations.py. They reproduce the structures of
real coverage (an outlet that reports one institute's poll today and another's next week,
an article that weighs two polls against each other, a wire story that names the sample,
verbal shares such as 七成 and 过半 beside exact ones) and of releases that state their
sample in several ways ("befragt wurden", "Basis: n =", "12 bin 400 kişiyle", "共访问了",
"asked 3,100 commuters", "of whom 800 were managers"). Every organisation, outlet, sentence
and figure is made up."""

from __future__ import annotations

from pathlib import Path

from corpus_files import Documents, write_documents  # tests/ is on sys.path

# file -> (manifest entry without "file", text).  Outlets have no edition: their figures
# belong to the survey they cite.
DOCUMENTS: Documents = {
    # A commuter survey's own English release (the study the coverage below cites).
    "calder_commute_2025.txt": ({
        "title": "Commuter Outlook 2025",
        "publisher": "Calder Institute (fictional), press release",
        "edition": "calder-commuter-outlook-2025", "survey_year": 2025, "language": "en"},
        "Commuter Outlook 2025\n\n"
        "The Calder Institute asked 3,100 commuters in six metropolitan areas about their "
        "daily journeys in March 2025, of whom 800 were managers.\n\n"
        "62% of commuters say their journey to work takes longer than a year ago.\n\n"
        "Only 18% of commuters cycle to work at least once a week.\n\n"
        "Among managers, 44% are allowed to work from home two days a week or more.\n"),
    # German coverage of that release by a regional paper (no edition of its own).
    "rheinbote_pendeln.txt": ({
        "title": "Pendeln dauert länger",
        "publisher": "Rheinbote (fiktive Regionalzeitung)",
        "published": "2025-04-20", "survey_year": 2025, "language": "de"},
        "Pendeln dauert länger\n\n"
        "Der Weg zur Arbeit wird für viele zur Geduldsprobe. Laut einer Umfrage des Calder "
        "Institute brauchen 62 Prozent der Pendler für ihren Arbeitsweg länger als vor einem "
        "Jahr.\n\n"
        "Nur 18 Prozent der Pendler fahren mindestens einmal pro Woche mit dem Rad zur "
        "Arbeit, heißt es in der Studie.\n"),
    # One English outlet, two articles a week apart, each on another institute's poll
    # with the same question and another result: two studies, never a conflict.
    "ledger_norrow.txt": ({
        "title": "Most adults back a four-day week, poll finds",
        "publisher": "Daily Ledger (fictional newspaper)",
        "published": "2025-03-02", "survey_year": 2025, "language": "en"},
        "Most adults back a four-day week, poll finds\n\n"
        "A poll by Norrow Research found that 57% of adults support a four-day working week "
        "without a cut in pay.\n\n"
        "Norrow Research interviewed 1,204 adults by telephone between 10 and 14 February. "
        "The poll also found that 23% of adults would take a pay cut for a shorter week.\n"),
    "ledger_tessel.txt": ({
        "title": "Support for a four-day week slips",
        "publisher": "Daily Ledger (fictional newspaper)",
        "published": "2025-03-09", "survey_year": 2025, "language": "en"},
        "Support for a four-day week slips\n\n"
        "According to a new survey by Tessel Group, 49% of adults support a four-day working "
        "week without a cut in pay.\n\n"
        "Tessel Group surveyed 2,350 adults online in late February; 31% of adults would take "
        "a pay cut for a shorter week, the survey found.\n"),
    # A Turkish outlet on two polls of two firms (the same question, two answers).
    "gundem_anadolu_veri.txt": ({
        "title": "Uzaktan çalışma tercihi artıyor",
        "publisher": "Gündem Postası (kurgusal gazete)",
        "published": "2025-05-03", "survey_year": 2025, "language": "tr"},
        "Uzaktan çalışma tercihi artıyor\n\n"
        "Anadolu Veri şirketinin araştırmasına göre çalışanların yüzde 58'i haftada en az iki "
        "gün evden çalışmak istiyor.\n\n"
        "Araştırma kapsamında 26 ilde 12 bin 400 kişiyle görüşüldü. Görüşülenlerin 3 bin "
        "100'ü kamu çalışanı.\n"),
    "gundem_kavsak.txt": ({
        "title": "Çalışanlar ofise dönmek istemiyor",
        "publisher": "Gündem Postası (kurgusal gazete)",
        "published": "2025-05-17", "survey_year": 2025, "language": "tr"},
        "Çalışanlar ofise dönmek istemiyor\n\n"
        "Kavşak Araştırma'nın yaptığı ankete göre çalışanların yüzde 64'ü haftada en az iki "
        "gün evden çalışmak istiyor.\n\n"
        "Ankete 1.850 çalışan katıldı.\n"),
    # A Chinese outlet on a research institute's survey, with verbal shares next to and
    # without exact ones.
    "chenbao_qihang.txt": ({
        "title": "七成受访职工希望弹性上班",
        "publisher": "江城晨报（虚构）",
        "published": "2025-06-02", "survey_year": 2025, "language": "zh"},
        "七成受访职工希望弹性上班\n\n"
        "据启航研究院发布的调查，七成（70.4%）受访职工希望实行弹性上班时间。\n\n"
        "本次调查共访问了2,000名职工，其中管理人员500名。\n\n"
        "近三成受访职工表示每天通勤时间超过一小时，过半受访职工愿意为缩短通勤而降低工资。\n"),
    # A German institute's own release: its sample twice ("befragt wurden", "Basis: n =").
    "moosbach_mobil_2025.txt": ({
        "title": "Mobilitätsmonitor 2025",
        "publisher": "Moosbach Institut (fiktiv), Pressemitteilung",
        "edition": "moosbach-mobil-2025", "survey_year": 2025, "language": "de"},
        "Mobilitätsmonitor 2025\n\n"
        "Befragt wurden 2.013 Personen ab 18 Jahren im Mai 2025.\n\n"
        "41 Prozent der Befragten nutzen mindestens einmal pro Woche den Bus.\n\n"
        "Ein eigenes Auto besitzen 73 Prozent der Befragten (Basis: n = 2.013).\n"),
    # The institute's earlier edition, and an article a year later that quotes it.
    "calder_commute_2024.txt": ({
        "title": "Commuter Outlook 2024",
        "publisher": "Calder Institute (fictional), press release",
        "edition": "calder-commuter-outlook-2024", "survey_year": 2024, "language": "en"},
        "Commuter Outlook 2024\n\n"
        "The Calder Institute surveyed 2,900 commuters in six metropolitan areas in March "
        "2024.\n\n"
        "57% of commuters say their journey to work takes longer than a year ago.\n"),
    "metro_wire_2025.txt": ({
        "title": "Longer commutes are here to stay",
        "publisher": "Metro Wire (fictional news agency)",
        "published": "2025-01-15", "survey_year": 2025, "language": "en"},
        "Longer commutes are here to stay\n\n"
        "In the 2024 edition of the Commuter Outlook, 57% of commuters said that their "
        "journey to work took longer than a year before.\n\n"
        "Transport planners expect the figure to rise again this spring.\n"),
    # A German health report that weighs two studies with one finding each: two studies.
    "nordkurier_stress.txt": ({
        "title": "Mehr Stress im Job",
        "publisher": "Nordkurier am Sonntag (fiktiv)",
        "published": "2025-02-09", "survey_year": 2025, "language": "de"},
        "Mehr Stress im Job\n\n"
        "Laut einer Befragung der Krankenkasse Lindhoff fühlen sich 38 Prozent der "
        "Beschäftigten häufig gestresst.\n\n"
        "Eine Studie des Instituts Waldmann kommt dagegen auf 45 Prozent der Beschäftigten, "
        "die sich häufig gestresst fühlen.\n"),
    # A Chinese institute's own release, which the Chinese paper above covers.
    "qihang_2025.txt": ({
        "title": "2025年职工工作时间调查报告",
        "publisher": "启航研究院（虚构），调查报告",
        "edition": "qihang-worktime-2025", "survey_year": 2025, "language": "zh"},
        "2025年职工工作时间调查报告\n\n"
        "本次调查共访问2,000名职工。\n\n"
        "70.4%的受访职工希望实行弹性上班时间。\n\n"
        "28.6%的受访职工每天通勤时间超过一小时。\n"),
    # The Turkish firm's own release, which the Turkish paper above covers.
    "anadolu_veri_2025.txt": ({
        "title": "Çalışma Hayatı Araştırması 2025",
        "publisher": "Anadolu Veri A.Ş. (kurgusal), basın bülteni",
        "edition": "anadolu-veri-calisma-2025", "survey_year": 2025, "language": "tr"},
        "Çalışma Hayatı Araştırması 2025\n\n"
        "Araştırma kapsamında 26 ilde 12 bin 400 kişiyle görüşüldü.\n\n"
        "Çalışanların %58'i haftada en az iki gün evden çalışmak istiyor.\n"),
}


def write_corpus(folder: Path, files: list[str] | None = None) -> Path:
    """Write the documents (all, or `files`) and their manifest into `folder`."""
    return write_documents(folder, DOCUMENTS, files or list(DOCUMENTS))
