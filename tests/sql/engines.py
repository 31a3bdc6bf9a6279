"""Runs mql's compiled SQL on real engines for the differential test.

Reads a manifest (JSON) of cases: the tables to load (columns with types,
rows as JSON values, times in milliseconds since 1970) and one query per
engine. Loads each case's tables into every engine named in the manifest,
runs its query, and writes every row back as JSON. One Spark session serves
all cases. Sessions run in a time zone other than UTC, so that a query that
depended on it would be caught.

Spark (its analyser spends seconds on each large query, on one core) runs in
this process while a forked child runs DuckDB, PostgreSQL and the sqlglot
parses, so the machine's second core is used. Spark runs in local mode on two
threads with whole-stage code generation and adaptive execution off and the
JIT limited to its quick tier: for many small queries over tiny tables,
compiling code costs more than it saves.

usage: engines.py MANIFEST RESULTS
"""

import concurrent.futures
import datetime as dt
import decimal
import json
import multiprocessing
import os
import sys
import tempfile
import time

ZONE = "America/New_York"
UTC = dt.timezone.utc


def to_time(ms, aware):
    if ms is None:
        return None
    t = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=ms)
    return t if aware else t.replace(tzinfo=None)


def cell(value, ty, aware_naive=True):
    if value is None:
        return None
    if ty == "timestamptz":
        return to_time(value, True)
    if ty == "timestamp":
        return to_time(value, not aware_naive)
    if ty == "double":
        return float(value)
    return value


def jsonable(v):
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


class DuckDb:
    name = "duckdb"

    def __init__(self, cfg):
        import duckdb

        self.con = duckdb.connect(config={"threads": 1})
        self.con.execute(f"SET TimeZone = '{ZONE}'")
        self.version = duckdb.__version__

    TYPES = {
        "int": "BIGINT",
        "duration": "BIGINT",
        "double": "DOUBLE",
        "text": "VARCHAR",
        "bool": "BOOLEAN",
        "timestamp": "TIMESTAMP",
        "timestamptz": "TIMESTAMPTZ",
        "int[]": "BIGINT[]",
        "double[]": "DOUBLE[]",
        "text[]": "VARCHAR[]",
    }

    def load(self, table):
        cols = ", ".join(f'"{c}" {self.TYPES[t]}' for c, t in table["columns"])
        self.con.execute(f'CREATE OR REPLACE TABLE {table["name"]} ({cols})')
        types = [t for _, t in table["columns"]]
        rows = [[cell(v, t) for v, t in zip(r, types)] for r in table["rows"]]
        # one statement per 200 rows: executemany runs one per row
        marks = "(" + ", ".join("?" for _ in types) + ")"
        for at in range(0, len(rows), 200):
            part = rows[at : at + 200]
            values = ", ".join(marks for _ in part)
            flat = [v for r in part for v in r]
            self.con.execute(f'INSERT INTO {table["name"]} VALUES {values}', flat)

    def query(self, sql):
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def drop(self, table):
        self.con.execute(f'DROP TABLE IF EXISTS {table["name"]}')

    def close(self):
        self.con.close()


class Postgres:
    name = "postgres"

    def __init__(self, cfg):
        import psycopg

        self.con = psycopg.connect(cfg["pg_dsn"], autocommit=True)
        self.con.execute(f"SET TIME ZONE '{ZONE}'")
        self.version = self.con.execute("SHOW server_version").fetchone()[0]

    TYPES = {
        "int": "bigint",
        "duration": "bigint",
        "double": "double precision",
        "text": "text",
        "bool": "boolean",
        "timestamp": "timestamp",
        "timestamptz": "timestamptz",
        "int[]": "bigint[]",
        "double[]": "double precision[]",
        "text[]": "text[]",
    }

    def load(self, table):
        cols = ", ".join(f'"{c}" {self.TYPES[t]}' for c, t in table["columns"])
        self.con.execute(f'DROP TABLE IF EXISTS {table["name"]}')
        self.con.execute(f'CREATE TABLE {table["name"]} ({cols})')
        types = [t for _, t in table["columns"]]
        rows = [[cell(v, t) for v, t in zip(r, types)] for r in table["rows"]]
        if rows:
            marks = ", ".join("%s" for _ in types)
            with self.con.cursor() as c:
                c.executemany(f'INSERT INTO {table["name"]} VALUES ({marks})', rows)

    def query(self, sql):
        with self.con.cursor() as c:
            c.execute(sql)
            names = [d.name for d in c.description]
            return [dict(zip(names, r)) for r in c.fetchall()]

    def drop(self, table):
        self.con.execute(f'DROP TABLE IF EXISTS {table["name"]}')

    def close(self):
        self.con.close()


class Spark:
    name = "spark"

    def __init__(self, cfg):
        from pyspark.sql import SparkSession
        import pyspark.sql.types as T

        self.T = T
        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("mql-sql-differential")
            .config("spark.sql.session.timeZone", ZONE)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.version = self.spark.version

    def ty(self, t):
        T = self.T
        return {
            "int": T.LongType(),
            "duration": T.LongType(),
            "double": T.DoubleType(),
            "text": T.StringType(),
            "bool": T.BooleanType(),
            "timestamp": T.TimestampType(),
            "timestamptz": T.TimestampType(),
            "int[]": T.ArrayType(T.LongType()),
            "double[]": T.ArrayType(T.DoubleType()),
            "text[]": T.ArrayType(T.StringType()),
        }[t]

    def load(self, table):
        T = self.T
        schema = T.StructType([T.StructField(c, self.ty(t), True) for c, t in table["columns"]])
        types = [t for _, t in table["columns"]]
        # Spark's TIMESTAMP is an instant: give it aware times
        rows = [[cell(v, t, aware_naive=False) for v, t in zip(r, types)] for r in table["rows"]]
        df = self.spark.createDataFrame(rows, schema)
        df.createOrReplaceTempView(table["name"])

    def query(self, sql):
        df = self.spark.sql(sql)
        return [r.asDict() for r in df.collect()]

    def drop(self, table):
        self.spark.catalog.dropTempView(table["name"])

    def close(self):
        self.spark.stop()


ENGINES = {"duckdb": DuckDb, "postgres": Postgres, "spark": Spark}


def run_engines(names, manifest):
    """Every case on the engines `names`: (engines info, {case: {engine: result}})."""
    info, engines, out = {}, [], {}
    for name in names:
        t = time.time()
        try:
            e = ENGINES[name](manifest)
            engines.append(e)
            info[name] = {"version": e.version, "start_seconds": time.time() - t}
        except Exception as ex:  # reported, and the Rust side decides
            info[name] = {"error": f"{type(ex).__name__}: {ex}"}

    def one(case):
        res = {}
        for e in engines:
            sql = case["queries"].get(e.name)
            if sql is not None:
                res[e.name] = run_case(e, case, sql)
        return case["name"], res

    # Spark analyses one query per thread: two threads keep both cores busy
    # once the other engines are done; the tables of each case have names
    # of their own
    threads = 2 if names == ["spark"] else 1
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for name, res in pool.map(one, manifest["cases"]):
            out[name] = res
    for e in engines:
        try:
            e.close()
        except Exception:
            pass
    return info, out


def run_case(e, case, sql):
    """Load one case's tables into engine `e`, run its query and its data-errors query."""
    t = time.time()
    try:
        for table in case["tables"]:
            e.load(table)
        rows = e.query(sql)
        res = {
            "rows": [{k: jsonable(v) for k, v in r.items()} for r in rows],
            "seconds": time.time() - t,
        }
        check = case.get("data_errors", {}).get(e.name)
        if check is not None:
            try:
                res["data_errors"] = [{k: jsonable(v) for k, v in r.items()} for r in e.query(check)]
            except Exception as ex:
                msg = str(ex).strip().splitlines()[0][:500] if str(ex).strip() else ""
                res["data_errors_failed"] = f"{type(ex).__name__}: {msg}"
        return res
    except Exception as ex:
        msg = str(ex).strip().splitlines()[0][:500] if str(ex).strip() else ""
        return {"error": f"{type(ex).__name__}: {msg}", "seconds": time.time() - t}
    finally:
        for table in case["tables"]:
            try:
                e.drop(table)
            except Exception:
                pass


def parse_all(manifest):
    """The BigQuery and Snowflake queries, parsed by sqlglot: {case: {dialect: …}}."""
    out = {}
    for case in manifest["cases"]:
        parsed = {}
        for dialect, sql in case.get("parse", {}).items():
            try:
                import sqlglot

                sqlglot.parse_one(sql, read=dialect)
                parsed[dialect] = {"ok": True}
            except Exception as ex:
                parsed[dialect] = {"error": f"{type(ex).__name__}: {str(ex)[:500]}"}
        out[case["name"]] = parsed
    return out


def others(names, manifest, path):
    """The child: the engines other than Spark and the parses, into `path`."""
    t = time.time()
    info, cases = run_engines(names, manifest)
    parsed = parse_all(manifest)
    with open(path, "w") as f:
        json.dump({"info": info, "cases": cases, "parsed": parsed, "seconds": time.time() - t}, f)


def main():
    manifest = json.load(open(sys.argv[1]))
    started = time.time()
    names = manifest["engines"]
    rest = [n for n in names if n != "spark"]
    fd, side = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    child = multiprocessing.get_context("fork").Process(target=others, args=(rest, manifest, side))
    child.start()
    t = time.time()
    info, cases = run_engines([n for n in names if n == "spark"], manifest)
    spark_seconds = time.time() - t
    child.join()
    try:
        side_out = json.load(open(side))
    except (OSError, ValueError):
        side_out = {"info": {n: {"error": "the engine process failed"} for n in rest}, "cases": {}, "parsed": {}}
    finally:
        os.remove(side)
    info.update(side_out["info"])
    out = {"engines": info, "cases": {}}
    for case in manifest["cases"]:
        res = dict(cases.get(case["name"], {}))
        res.update(side_out["cases"].get(case["name"], {}))
        res["parse"] = side_out["parsed"].get(case["name"], {})
        out["cases"][case["name"]] = res
    out["seconds"] = {
        "all": time.time() - started,
        "spark": spark_seconds,
        "others_and_parse": side_out.get("seconds", 0.0),
    }
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
