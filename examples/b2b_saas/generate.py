#!/usr/bin/env python3
"""Generates leads.ndjson, a reproducible sample of Acme's CRM export with
nested events (a few deliberately messy values included), for acme.mql.

Usage: python3 generate.py > leads.ndjson
"""
import json
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(20261101)
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
FIRST = ["ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena", "max", "nora", "omar", "pia"]
DOMAINS = ["acme-retail.com", "fintrust.io", "medline.org", "gmail.com", "shopwave.com", "learnly.edu", "dataforge.ai", "yahoo.com", "bigbank.com"]
TITLES = ["VP Data", "Head of Analytics", "Marketing Manager", "BI Analyst", "CTO", "Intern", "Data Engineer", "Chief Revenue Officer", "Student"]
SENIORITY = ["intern", "individual", "manager", "director", "vp", "cxo", "Vice President", "VP"]
INDUSTRY = ["saas", "fintech", "healthcare", "retail", "education", "other", "SaaS"]
URLS = ["/", "/pricing", "/pricing/enterprise", "/blog/dashboards", "/docs/connectors", "/customers"]


def ts(delta):
    return (AS_OF - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def events():
    out = []
    for _ in range(rng.randint(0, 14)):
        age = timedelta(hours=rng.randint(1, 24 * 70))
        kind = rng.choice(["page_view"] * 5 + ["form_submit", "content_download", "webinar", "email_click", "email_click"])
        e = {"type": kind, "at": ts(age)}
        if kind == "page_view":
            e.update(url=rng.choice(URLS), seconds=rng.randint(5, 300), device=rng.choice(["desktop", "mobile"]))
        elif kind == "form_submit":
            e["form"] = rng.choice(["demo", "newsletter", "contact", "demo"])
        elif kind == "content_download":
            e["asset"] = rng.choice(["roi-calculator", "whitepaper", "case-study"])
        elif kind == "webinar":
            e.update(name="dashboards-101", attended=rng.choice([True, False, "yes"]))
        else:
            e["campaign"] = rng.choice(["nurture-1", "launch", "nurture-2"])
        out.append(e)
    return out


for i in range(1, 41):
    name = rng.choice(FIRST)
    lead = {
        "id": f"ACME-{i:04d}",
        "email": f"{name}@{rng.choice(DOMAINS)}",
        "job_title": rng.choice(TITLES),
        "seniority": rng.choice(SENIORITY),
        "company_size": rng.choice([3, 40, 180, 250, 800, 1200, 4000, 12000, "2,500"]),
        "industry": rng.choice(INDUSTRY),
        "country": rng.choice(["US", "GB", "DE", "BR", "IN"]),
        "tags": rng.choice([[], ["newsletter"], ["competitor"], ["event-2026", "vip"]]),
        "budget_confirmed": rng.choice([True, False, None, "yes"]),
        "unsubscribed": rng.choice([False] * 9 + [True]),
        "stage": rng.choice(["prospect", "lead", "lead", "MQL", "mql"]),
        "events": events(),
    }
    if lead["stage"].lower() == "mql":
        lead["stage_since"] = ts(timedelta(days=rng.randint(1, 60)))
    if rng.random() < 0.1:
        del lead["email"]
    print(json.dumps(lead))
