#!/usr/bin/env python3
"""Generates the tutorial's data: leads.csv, a CRM export of 300 leads of
Fieldnote (a made-up survey-software company) with whether each became a
customer, and events.csv, their web, form, e-mail and webinar activity.
Reproducible (fixed seed); a few messy values are included on purpose, as in a
real export. Used by the book's tutorial (docs/tutorial.md).

Usage: python3 generate.py   (writes both files next to this script)
"""
import csv
import math
import os
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(16)
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
HERE = os.path.dirname(os.path.abspath(__file__))

FIRST = ["ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena", "max", "nora", "omar", "pia", "quinn", "rosa", "sam", "tara"]
COMPANY = ["northwind.example", "fintrust.example", "medline.example", "shopwave.example", "learnly.edu", "dataforge.example", "bigbank.example", "gmail.com", "yahoo.com", "outlook.com"]
TITLES = {"intern": ["Intern", "Student"], "individual": ["Analyst", "Researcher", "Data Engineer"], "manager": ["Marketing Manager", "Research Manager"], "director": ["Director of Research", "Head of Insights"], "vp": ["VP Customer Experience", "VP Marketing"], "cxo": ["CEO", "Chief Customer Officer"]}
SENIORITY = ["intern", "individual", "individual", "manager", "manager", "director", "vp", "cxo"]
SENIORITY_TEXT = {"intern": "Intern", "individual": "Individual", "manager": "Manager", "director": "Director", "vp": "VP", "cxo": "CxO"}
INDUSTRY = ["SaaS", "Fintech", "Healthcare", "Retail", "Education", "Other"]
COUNTRY = ["US", "GB", "DE", "FR", "CA", "IN", "BR"]
URLS = ["/", "/pricing", "/pricing/teams", "/blog/nps-guide", "/templates", "/customers", "/careers"]


def when(max_days):
    return AS_OF - timedelta(minutes=rng.randint(60, max_days * 24 * 60))


def fmt(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


leads, events = [], []
for n in range(1, 301):
    lead_id = f"FN-{n:04d}"
    seniority = rng.choice(SENIORITY)
    industry = rng.choice(INDUSTRY)
    size = int(math.exp(rng.uniform(math.log(2), math.log(20000))))
    domain = rng.choice(COMPANY)
    interest = rng.random()
    fit = (seniority in ("director", "vp", "cxo")) + (industry in ("SaaS", "Fintech")) + (200 <= size <= 5000) - (domain in ("gmail.com", "yahoo.com", "outlook.com"))
    # Activity: more for interested leads, and more recent.
    lead_events = []
    for _ in range(int(interest * 14) + rng.randint(0, 2)):
        t = when(20 if rng.random() < interest else 120)
        kind = rng.choice(["page_view"] * 5 + ["form_submit", "email_click", "email_click", "webinar"])
        e = {"lead_id": lead_id, "type": kind, "at": fmt(t), "url": "", "form": "", "campaign": "", "attended": ""}
        if kind == "page_view":
            e["url"] = rng.choice(URLS[1:3] if rng.random() < interest else URLS)
        elif kind == "form_submit":
            e["form"] = "demo" if rng.random() < interest else rng.choice(["newsletter", "ebook"])
        elif kind == "email_click":
            e["campaign"] = rng.choice(["nps-webinar", "launch", "newsletter"])
        else:
            e["attended"] = rng.choice(["yes", "no"])
        lead_events.append(e)
    events.extend(lead_events)
    p = 1 / (1 + math.exp(-(-4.2 + 1.1 * fit + 3.0 * interest)))
    stage, since = "", ""
    if any(e["type"] == "form_submit" for e in lead_events):
        stage = "lead"
        since = (AS_OF - timedelta(days=rng.randint(1, 90))).strftime("%Y-%m-%d")
        if rng.random() < 0.2:
            stage = "mql"
    size_text = str(size)
    if rng.random() < 0.025:
        size_text = f"{size:,}" if size >= 1000 else ""
    seniority_text = SENIORITY_TEXT[seniority]
    if seniority == "vp" and rng.random() < 0.07:
        seniority_text = "Vice President"
    leads.append({
        "Lead ID": lead_id,
        "Email": f"{rng.choice(FIRST)}{n}@{domain}",
        "Job Title": rng.choice(TITLES[seniority]),
        "Seniority": seniority_text,
        "Company Size": size_text,
        "Industry": industry,
        "Country": rng.choice(COUNTRY),
        "Unsubscribed": "yes" if rng.random() < 0.05 else "no",
        "Stage": stage,
        "Stage Since": since,
        "Became Customer": "yes" if rng.random() < p else "no",
    })

events.sort(key=lambda e: (e["lead_id"], e["at"]))
with open(os.path.join(HERE, "leads.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(leads[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(leads)
with open(os.path.join(HERE, "events.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["lead_id", "type", "at", "url", "form", "campaign", "attended"], lineterminator="\n")
    w.writerow({"lead_id": "Lead ID", "type": "Type", "at": "At", "url": "URL", "form": "Form", "campaign": "Campaign", "attended": "Attended"})
    w.writerows(events)
