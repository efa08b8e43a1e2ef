"""The scoring model, as reviewed with sales: the article's table, as data.

Attribute rules score who the lead is; behaviour rules score what they do.
Change points here, in a pull request, after the periodic review with sales.
"""

from __future__ import annotations

from workflows.scoring import AttributeRule, BehaviourRule, ScoringModel

DECISION_MAKER_WORDS = (
    "ceo", "cto", "cio", "cfo", "coo", "cmo", "chief", "founder", "president", "owner",
    "vp", "vice president", "director", "head of", "general manager",
    "社長", "取締役", "役員", "本部長", "部長", "執行役員", "事業部長",
)  # fmt: skip
TOP_INDUSTRIES = ("manufacturing", "saas", "software", "it services", "製造", "情報通信")
SWEET_SPOT_EMPLOYEES = (100, 1000)

MODEL = ScoringModel(
    mql_threshold=60,
    attribute_rules=(
        AttributeRule(
            key="decision_maker",
            label="Job title: decision maker",
            points=20,
            field="job_title",
            contains_any=DECISION_MAKER_WORDS,
        ),
        AttributeRule(
            key="top_industry",
            label="Industry: top target",
            points=15,
            field="industry",
            contains_any=TOP_INDUSTRIES,
        ),
        AttributeRule(
            key="sweet_spot_size",
            label="Company size: sweet spot",
            points=10,
            field="company_size",
            between=SWEET_SPOT_EMPLOYEES,
        ),
    ),
    behaviour_rules=(
        BehaviourRule("pricing_page_view", "Pricing page view", 15),
        BehaviourRule("case_study_download", "Case study download", 10),
        BehaviourRule("webinar_attended", "Webinar attended", 20),
        BehaviourRule("email_click", "Email link click", 3),
        # Beyond the article's table: what the webinar and site tools also report.
        BehaviourRule("webinar_question", "Asked a question in the webinar", 10),
        BehaviourRule("survey_high_interest", "High interest in the webinar survey", 15),
        BehaviourRule("meeting_booked", "Meeting booked", 40),
        BehaviourRule("whitepaper_download", "Whitepaper download", 5),
        BehaviourRule("webinar_registered", "Webinar registration", 5),
        BehaviourRule("page_view", "Page view", 1),
        BehaviourRule("email_open", "Email open", 0),
    ),
)
