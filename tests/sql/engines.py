"""Runs mql's compiled SQL on real engines for the differential test.

Reads a manifest (JSON) of cases: the tables to load (columns with types,
rows as JSON values, times in milliseconds since 1970) and one query per
engine. Loads each case's tables into every engine named in the manifest,
runs its query, and writes every row back as JSON. One Spark session serves
all cases. Sessions run in a time zone other than UTC, so that a query that
depended on it would be caught.

usage: engines.py MANIFEST RESULTS
"""

import datetime as dt
import decimal
import json
import sys
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

        self.con = duckdb.connect()
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
        if rows:
            marks = ", ".join("?" for _ in types)
            self.con.executemany(f'INSERT INTO {table["name"]} VALUES ({marks})', rows)

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


def main():
    manifest = json.load(open(sys.argv[1]))
    out = {"engines": {}, "cases": {}}
    engines = []
    for name in manifest["engines"]:
        t = time.time()
        try:
            e = ENGINES[name](manifest)
            engines.append(e)
            out["engines"][name] = {"version": e.version, "start_seconds": time.time() - t}
        except Exception as ex:  # reported, and the Rust side decides
            out["engines"][name] = {"error": f"{type(ex).__name__}: {ex}"}
    for case in manifest["cases"]:
        res = {}
        for e in engines:
            sql = case["queries"].get(e.name)
            if sql is None:
                continue
            t = time.time()
            try:
                for table in case["tables"]:
                    e.load(table)
                rows = e.query(sql)
                res[e.name] = {
                    "rows": [{k: jsonable(v) for k, v in r.items()} for r in rows],
                    "seconds": time.time() - t,
                }
                check = case.get("data_errors", {}).get(e.name)
                if check is not None:
                    try:
                        res[e.name]["data_errors"] = [
                            {k: jsonable(v) for k, v in r.items()} for r in e.query(check)
                        ]
                    except Exception as ex:
                        msg = str(ex).strip().splitlines()[0][:500] if str(ex).strip() else ""
                        res[e.name]["data_errors_failed"] = f"{type(ex).__name__}: {msg}"
            except Exception as ex:
                res[e.name] = {
                    "error": f"{type(ex).__name__}: {str(ex).strip().splitlines()[0][:500] if str(ex).strip() else ''}",
                    "seconds": time.time() - t,
                }
            finally:
                for table in case["tables"]:
                    try:
                        e.drop(table)
                    except Exception:
                        pass
        parsed = {}
        for dialect, sql in case.get("parse", {}).items():
            try:
                import sqlglot

                sqlglot.parse_one(sql, read=dialect)
                parsed[dialect] = {"ok": True}
            except Exception as ex:
                parsed[dialect] = {"error": f"{type(ex).__name__}: {str(ex)[:500]}"}
        res["parse"] = parsed
        out["cases"][case["name"]] = res
    for e in engines:
        try:
            e.close()
        except Exception:
            pass
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
