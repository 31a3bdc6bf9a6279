"""The compiled SQL on DuckDB against `mql eval`, on the same generated data.

Generates (seeded, with DuckDB itself) N leads of the language reference's
§1 model and 20 events per lead on average, writes them as Parquet (for the
query) and as NDJSON with each lead's events nested (for `mql eval`), then
times, under `taskset`, wall clock and CPU:
  - the query compiled by `mql compile --emit sql` on DuckDB (its result
    materialised in a table), with 1 and 2 threads on 1 and 2 cores;
  - `mql eval … --format ndjson > /dev/null` on 1 and 2 cores.
Each run is repeated; the median is reported.

usage: bench.py MQL_BINARY OUT_DIR LEADS [--repeat K] [--eval] [--threads 1,2] [--eval-mql BINARY]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

AS_OF = "2026-11-01T00:00:00Z"
HERE = os.path.dirname(os.path.abspath(__file__))


def generate(con, out, n, ndjson):
    leads_pq = os.path.join(out, f"leads_{n}.parquet")
    events_pq = os.path.join(out, f"events_{n}.parquet")
    if os.path.exists(events_pq) and (not ndjson or os.path.exists(os.path.join(out, f"nested_{n}.ndjson"))):
        return leads_pq, events_pq
    con.execute(
        f"""
        CREATE OR REPLACE TABLE g_leads AS
        SELECT i AS id,
          ['ana','bob','cy','dee','eve'][1 + CAST(hash(i, 1) % 5 AS BIGINT)] || i || '@' ||
            ['acme.io','gmail.com','bigcorp.com','yahoo.com','startup.ai'][1 + CAST(hash(i, 2) % 5 AS BIGINT)] AS email,
          ['VP Marketing','Head of Data','Engineer','Founder'][1 + CAST(hash(i, 3) % 4 AS BIGINT)] AS job_title,
          ['intern','individual','Manager','director','VP','cxo'][1 + CAST(hash(i, 4) % 6 AS BIGINT)] AS seniority,
          CAST(1 + hash(i, 5) % 20000 AS BIGINT) AS company_size,
          ['saas','fintech','healthcare','retail','education','other'][1 + CAST(hash(i, 6) % 6 AS BIGINT)] AS industry,
          ['US','DE','BR','IN'][1 + CAST(hash(i, 7) % 4 AS BIGINT)] AS country,
          [['beta'], [], ['vip','partner']][1 + CAST(hash(i, 8) % 3 AS BIGINT)] AS tags,
          hash(i, 9) % 3 = 0 AS budget_confirmed,
          hash(i, 10) % 20 = 0 AS unsubscribed,
          ['prospect','lead','mql', NULL][1 + CAST(hash(i, 11) % 4 AS BIGINT)] AS stage,
          TIMESTAMP '2026-10-01 00:00:00' - INTERVAL (CAST(hash(i, 12) % 86400 AS BIGINT)) MINUTE AS stage_since
        FROM range({n}) t(i)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE g_events AS
        SELECT CAST(hash(j, 1) % {n} AS BIGINT) AS lead_id,
          ['page_view','page_view','page_view','form_submit','content_download','webinar','email_click'][1 + CAST(hash(j, 2) % 7 AS BIGINT)] AS type,
          TIMESTAMP '2026-11-01 00:00:00' - INTERVAL (CAST(hash(j, 3) % 7776000 AS BIGINT)) SECOND AS at,
          ['/pricing','/pricing/enterprise','/docs','/blog','/'][1 + CAST(hash(j, 4) % 5 AS BIGINT)] AS url,
          CAST(hash(j, 5) % 600 AS BIGINT) AS seconds,
          ['desktop','mobile','Desktop'][1 + CAST(hash(j, 6) % 3 AS BIGINT)] AS device,
          ['demo','contact','newsletter'][1 + CAST(hash(j, 7) % 3 AS BIGINT)] AS form,
          ['ebook','whitepaper'][1 + CAST(hash(j, 8) % 2 AS BIGINT)] AS asset,
          ['intro','deep-dive'][1 + CAST(hash(j, 9) % 2 AS BIGINT)] AS name,
          hash(j, 10) % 2 = 0 AS attended,
          ['nurture-1','nurture-2'][1 + CAST(hash(j, 11) % 2 AS BIGINT)] AS campaign
        FROM range({n * 20}) t(j)
        """
    )
    con.execute(f"COPY g_leads TO '{leads_pq}' (FORMAT PARQUET)")
    con.execute(f"COPY g_events TO '{events_pq}' (FORMAT PARQUET)")
    if not ndjson:
        con.execute("DROP TABLE g_leads")
        con.execute("DROP TABLE g_events")
        return leads_pq, events_pq
    # the leads with their events nested (decoded on every core by mql eval)
    ev = EVENT_JSON.replace("'{\"lead_id\":' || lead_id || ',\"type\"", "'{\"type\"")
    con.execute(
        f"""COPY (
              SELECT json_merge_patch(to_json(l), json_object('events', COALESCE(e.evs, '[]'::JSON))) AS line
              FROM (SELECT id, email, job_title, seniority, company_size, industry, country, tags, budget_confirmed,
                      unsubscribed, stage, strftime(stage_since, '%Y-%m-%dT%H:%M:%SZ') AS stage_since FROM g_leads) AS l
              LEFT JOIN (SELECT lead_id, to_json(list(({ev})::JSON)) AS evs FROM g_events GROUP BY lead_id) AS e
                ON e.lead_id = l.id)
            TO '{os.path.join(out, f"nested_{n}.ndjson")}' (FORMAT CSV, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')"""
    )
    con.execute("DROP TABLE g_leads")
    con.execute("DROP TABLE g_events")
    return leads_pq, events_pq


EVENT_JSON = """'{"lead_id":' || lead_id || ',"type":"' || type || '","at":"' || strftime("at", '%Y-%m-%dT%H:%M:%SZ') || '"' ||
        CASE type
          WHEN 'page_view' THEN ',"url":' || to_json(url) || ',"seconds":' || seconds || ',"device":' || to_json(device)
          WHEN 'form_submit' THEN ',"form":' || to_json(form)
          WHEN 'content_download' THEN ',"asset":' || to_json(asset)
          WHEN 'webinar' THEN ',"name":' || to_json(name) || ',"attended":' || attended
          ELSE ',"campaign":' || to_json(campaign) END || '}'"""


def run_query(mql, out, n, cores, threads, repeat):
    leads_pq = os.path.join(out, f"leads_{n}.parquet")
    events_pq = os.path.join(out, f"events_{n}.parquet")
    sql = subprocess.run(
        [mql, "compile", os.path.join(HERE, "model.mql"), "--emit", "sql", "--as-of", AS_OF,
         "--leads-table", f"read_parquet('{leads_pq}')", "--events-table", f"read_parquet('{events_pq}')"],
        check=True, capture_output=True, text=True,
    ).stdout
    code = f"""
import duckdb, sys, time
con = duckdb.connect()
con.execute("SET threads = {threads}")
con.execute("SET preserve_insertion_order = false")
con.execute("SET enable_progress_bar = false")
sql = sys.stdin.read()
t = time.time()
c = time.process_time()
con.execute("CREATE TEMP TABLE r AS " + sql)
print(time.time() - t, time.process_time() - c)
print(con.execute("SELECT count(*), count(error), sum(engagement) FROM r").fetchone())
"""
    times = []
    cpus = []
    for _ in range(repeat):
        r = subprocess.run(
            ["taskset", "-c", cores, sys.executable, "-c", code], input=sql, check=True,
            capture_output=True, text=True,
        )
        lines = r.stdout.strip().splitlines()
        wall, cpu = (float(x) for x in lines[0].split())
        times.append(wall)
        cpus.append(cpu)
        check = lines[1]
    return statistics.median(times), times, check, statistics.median(cpus)


def run_eval(mql, out, n, cores, repeat):
    import resource

    times = []
    cpus = []
    for _ in range(repeat):
        t = time.time()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            ["taskset", "-c", cores, mql, "eval", os.path.join(HERE, "model.mql"),
             "--leads", os.path.join(out, f"nested_{n}.ndjson"),
             "--as-of", AS_OF, "--format", "ndjson"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        times.append(time.time() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), times, statistics.median(cpus)


def main():
    import duckdb

    ap = argparse.ArgumentParser()
    ap.add_argument("mql")
    ap.add_argument("out")
    ap.add_argument("leads", type=int)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--eval-mql", help="the mql binary timed for eval (default: MQL_BINARY)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    con = duckdb.connect()
    t = time.time()
    generate(con, a.out, a.leads, a.eval)
    print(f"data for {a.leads} leads ready in {time.time() - t:.1f}s", flush=True)
    res = {"leads": a.leads, "duckdb": duckdb.__version__}
    for th in [int(x) for x in a.threads.split(",")]:
        cores = "0" if th == 1 else "0,1"
        med, all_, check, cpu = run_query(a.mql, a.out, a.leads, cores, th, a.repeat)
        res[f"sql_{th}"] = {"median": med, "runs": all_, "check": check, "cpu": cpu}
        print(f"SQL on DuckDB, {th} core(s): {med:.2f}s (CPU {cpu:.2f}s) {all_} {check}", flush=True)
        if a.eval:
            med, all_, cpu = run_eval(a.eval_mql or a.mql, a.out, a.leads, cores, a.repeat)
            res[f"eval_{th}"] = {"median": med, "runs": all_, "cpu": cpu}
            print(f"mql eval, {th} core(s): {med:.2f}s (CPU {cpu:.2f}s) {all_}", flush=True)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
