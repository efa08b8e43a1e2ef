"""The scoring model, as reviewed with sales: the article's table, as data.

Attribute rules score who the lead is; behaviour rules score what they do. Negative
rules mark leads sales does not want (free mail, competitors, students, job seekers).
Change points here, in a pull request, after the periodic review with sales: leads in
flight keep the points they already got, and new behaviour scores by the new model.
"""

from __future__ import annotations

from datetime import timedelta

from nurture.authoring import (
    AttributeRule,
    BehaviourRule,
    BuyingGroup,
    Decay,
    FitGrades,
    ScoringModel,
)

DECISION_MAKER_WORDS = (
    "ceo",
    "cto",
    "cio",
    "cfo",
    "coo",
    "cmo",
    "chief",
    "founder",
    "president",
    "owner",
    "vp",
    "vice president",
    "director",
    "head of",
    "general manager",
    "社長",
    "取締役",
    "役員",
    "本部長",
    "部長",
    "執行役員",
    "事業部長",
)
TOP_INDUSTRIES = ("manufacturing", "saas", "software", "it services", "製造", "情報通信")
SWEET_SPOT_EMPLOYEES = (100, 1000)
STUDENT_WORDS = ("student", "intern", "学生", "インターン")
JOB_SEEKER_WORDS = ("job seeker", "job-seeker", "jobseeker", "unemployed", "求職", "転職")
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.jp",
        "ymail.com",
        "outlook.com",
        "outlook.jp",
        "hotmail.com",
        "hotmail.co.jp",
        "live.com",
        "live.jp",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.net",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
        "nifty.com",
        "biglobe.ne.jp",
    }
)
COMPETITOR_DOMAINS = frozenset({"rival-automation.example", "competitor.example"})


def email_kind(email: str) -> str:
    """What kind of address this is; the lead workflow sees only this, never the address."""
    domain = email.rsplit("@", 1)[-1].casefold()
    if domain in COMPETITOR_DOMAINS:
        return "competitor"
    if domain in FREE_MAIL_DOMAINS:
        return "free_mail"
    return "business"


MODEL = ScoringModel(
    # The article's single total: a lead is an MQL at 60 points, fit and engagement together.
    # To hand off on the two axes instead, add e.g.
    # `mql_rule=MqlRule(fit_at_least="B", engagement_at_least=40)` (see docs/authoring.md).
    mql_threshold=60,
    # Fit grades on the attribute points, as agreed with sales: decision maker + top
    # industry (35) is A; a decision maker, or industry + size, is B; any profile without a
    # negative mark is C; free mail, competitors, students and job seekers are D.
    fit_grades=FitGrades(a=35, b=20, c=0),
    max_score=150,
    decay=Decay(after=timedelta(days=90), factor=0.5),  # half after 90 days without activity
    # Each rule's words for reps: `label` (English) as the breakdown shows it, `label_ja` in
    # Japanese, `why` / `why_ja` as the short reason in "why: decision maker, ..." (empty: the
    # label; a rule without Japanese words is shown in English).
    attribute_rules=(
        AttributeRule(
            key="decision_maker",
            label="Job title: decision maker",
            points=20,
            field="job_title",
            contains_any=DECISION_MAKER_WORDS,
            label_ja="役職: 決裁者",
            why="decision maker",
            why_ja="決裁者",
        ),
        AttributeRule(
            key="top_industry",
            label="Industry: top target",
            points=15,
            field="industry",
            contains_any=TOP_INDUSTRIES,
            label_ja="業種: 重点業種",
            why="top-target industry",
            why_ja="重点業種",
        ),
        AttributeRule(
            key="sweet_spot_size",
            label="Company size: sweet spot",
            points=10,
            field="company_size",
            between=SWEET_SPOT_EMPLOYEES,
            label_ja="企業規模: 得意な規模",
            why="sweet-spot company size",
            why_ja="得意な企業規模",
        ),
        # Negative rules: who sales does not want, whatever they do.
        AttributeRule(
            "free_mail",
            "Free-mail address",
            -10,
            "email_kind",
            equals_any=("free_mail",),
            label_ja="フリーメールのアドレス",
        ),
        AttributeRule(
            "competitor",
            "Competitor's domain",
            -100,
            "email_kind",
            equals_any=("competitor",),
            label_ja="競合他社のドメイン",
        ),
        AttributeRule(
            "student",
            "Student or intern",
            -30,
            "job_title",
            contains_any=STUDENT_WORDS,
            label_ja="学生・インターン",
        ),
        AttributeRule(
            "job_seeker",
            "Job seeker",
            -30,
            "job_title",
            contains_any=JOB_SEEKER_WORDS,
            label_ja="求職者",
        ),
    ),
    behaviour_rules=(
        BehaviourRule(
            "pricing_page_view",
            "Pricing page view",
            15,
            cap=30,
            label_ja="料金ページの閲覧",
            why="viewed pricing",
            why_ja="料金ページを閲覧",
        ),
        BehaviourRule(
            "case_study_download",
            "Case study download",
            10,
            cap=30,
            label_ja="導入事例のダウンロード",
            why="downloaded case studies",
            why_ja="導入事例をダウンロード",
        ),
        BehaviourRule(
            "webinar_attended",
            "Webinar attended",
            20,
            once_per="webinar",
            label_ja="ウェビナー参加",
            why="attended a webinar",
            why_ja="ウェビナーに参加",
        ),
        BehaviourRule(
            "email_click",
            "Email link click",
            3,
            once_per="message",
            cap=15,
            label_ja="メールのリンクをクリック",
            why="clicked mail links",
            why_ja="メールのリンクをクリック",
        ),
        # Beyond the article's table: what the webinar and site tools also report.
        BehaviourRule(
            "webinar_question",
            "Asked a question in the webinar",
            10,
            cap=20,
            label_ja="ウェビナーで質問",
            why="asked in the webinar",
            why_ja="ウェビナーで質問",
        ),
        BehaviourRule(
            "survey_high_interest",
            "High interest in the webinar survey",
            15,
            once_per="webinar",
            label_ja="ウェビナーのアンケートで関心が高い",
            why="high interest in the survey",
            why_ja="アンケートで関心が高い",
        ),
        BehaviourRule(
            "meeting_booked",
            "Meeting booked",
            40,
            once=True,
            label_ja="商談の予約",
            why="booked a meeting",
            why_ja="商談を予約",
        ),
        BehaviourRule(
            "whitepaper_download",
            "Whitepaper download",
            5,
            cap=15,
            label_ja="ホワイトペーパーのダウンロード",
            why="downloaded a whitepaper",
            why_ja="ホワイトペーパーをダウンロード",
        ),
        BehaviourRule(
            "webinar_registered",
            "Webinar registration",
            5,
            cap=15,
            label_ja="ウェビナー申込",
            why="registered for a webinar",
            why_ja="ウェビナーに申込",
        ),
        BehaviourRule(
            "page_view",
            "Careers page view (job seeker)",
            -15,
            key="careers_page",
            where=(("path", "/careers"),),
            once=True,
            label_ja="採用ページの閲覧（求職者）",
        ),
        BehaviourRule(
            "page_view",
            "Page view",
            1,
            cap=10,
            label_ja="ページ閲覧",
            why="browsed the site",
            why_ja="サイトを閲覧",
        ),
        BehaviourRule("email_open", "Email open", 0, once_per="message", label_ja="メール開封"),
    ),
)

# Accounts: the leads of one company (business addresses by registrable domain; free mail
# and competitors never merge). Its buying group is ready when two of its people each
# have 20 or more engagement (behaviour points).
BUYING_GROUP = BuyingGroup(people=2, engaged_at=20)
