"""Split the end-to-end benchmark's NDJSON leads (events nested) into the
shapes a CRM exports: a leads CSV and an events CSV (`lead_id` per row),
and the same as NDJSON (`leads_flat.ndjson`, `events.ndjson`), written in
the current directory. See docs/performance.md, "CSV".

    python3 benches/split_export.py target/bench-data/s1_peer_leads_200000.ndjson
"""
import csv
import json
import sys

LEAD_COLUMNS = ['id', 'email', 'job_title', 'seniority', 'company_size', 'industry',
                'country', 'tags', 'budget_confirmed', 'unsubscribed', 'stage']
EVENT_COLUMNS = ['lead_id', 'type', 'at', 'url', 'seconds', 'device', 'form', 'asset',
                 'name', 'attended', 'campaign']


def cell(v):
    if v is None:
        return ''
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, list):
        return ';'.join(v)
    return v


def main(src):
    with open(src) as leads_in, \
            open('leads.csv', 'w', newline='') as leads_csv, \
            open('events.csv', 'w', newline='') as events_csv, \
            open('leads_flat.ndjson', 'w') as leads_nd, \
            open('events.ndjson', 'w') as events_nd:
        leads = csv.writer(leads_csv)
        events = csv.writer(events_csv)
        leads.writerow(LEAD_COLUMNS)
        events.writerow(EVENT_COLUMNS)
        for line in leads_in:
            lead = json.loads(line)
            nested = lead.pop('events', [])
            unknown = set(lead) - set(LEAD_COLUMNS)
            if unknown:
                sys.exit(f'keys this script does not know: {sorted(unknown)}')
            leads_nd.write(json.dumps(lead) + '\n')
            leads.writerow([cell(lead.get(c)) for c in LEAD_COLUMNS])
            for event in nested:
                event['lead_id'] = lead['id']
                events_nd.write(json.dumps(event) + '\n')
                events.writerow([cell(event.get(c)) for c in EVENT_COLUMNS])


if __name__ == '__main__':
    main(sys.argv[1])
