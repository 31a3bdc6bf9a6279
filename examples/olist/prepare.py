#!/usr/bin/env python3
"""Builds leads.csv for the Olist example from the public "Marketing Funnel by
Olist" export: one row per marketing qualified lead, with `became_seller` and
`won_date` taken from the closed-deals file (blank when the lead never closed).

Usage: python3 prepare.py MQL_CSV CLOSED_DEALS_CSV > leads.csv

`deals.csv`, read by onboarding.mql, is the closed-deals file itself, unchanged.
"""
import csv
import sys


def main(mql_path, deals_path):
    won = {}
    with open(deals_path, newline="") as f:
        for row in csv.DictReader(f):
            won[row["mql_id"]] = row["won_date"]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["MQL Id", "First Contact Date", "Landing Page Id", "Origin", "Became Seller", "Won Date"])
    with open(mql_path, newline="") as f:
        for row in csv.DictReader(f):
            mql_id = row["mql_id"]
            out.writerow([
                mql_id,
                row["first_contact_date"],
                row["landing_page_id"],
                row["origin"],
                "yes" if mql_id in won else "no",
                won.get(mql_id, ""),
            ])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
