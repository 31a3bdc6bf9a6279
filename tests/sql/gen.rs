//! Random models with leads and events, for the SQL differential test: a
//! fixed schema, and lets, criteria, segments, scores, tiers and transitions
//! built from type-directed random expressions over every operator,
//! function, aggregate, decay kind and cap of the language (like the VM's
//! property test against its reference evaluator, but written as `.mql` text
//! so that the whole pipeline is exercised). Leads have missing values, huge
//! integers (overflow), events in the future and on window edges.

use std::fmt::Write as _;
use std::path::Path;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    fn of<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.pick(xs.len())]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum T {
    Bool,
    Int,
    Num,
    Str,
    Time,
    Dur,
    Color,
}

const SCHEMA: &str = "lead {
  n: int
  x: number
  s: string
  t: time
  f: bool
  color: enum { red, green, blue_sky }
  tags: list<string>
  nums: list<int>
  d: duration
}

event visit { secs: int, page: string, kind: enum { web, app }, w: number }
event buy { amount: number, ok: bool, qty: int }

stages s0, s1, s2, s3
";

struct Gen {
    r: Rng,
    /// Declared names by type (lets, criteria, segments, scores).
    names: Vec<(String, T)>,
    /// Inside a query over this event.
    event: Option<&'static str>,
    transition: bool,
}

impl Gen {
    fn lit(&mut self, t: T) -> String {
        let r = &mut self.r;
        match t {
            T::Bool => r.of(&["true", "false"]).into(),
            T::Int => r
                .of(&[
                    "0",
                    "1",
                    "2",
                    "3",
                    "7",
                    "100",
                    "-4",
                    "4611686018427387904",
                    "9223372036854775807",
                ])
                .into(),
            T::Num => r.of(&["0.5", "2.5", "-1.25", "0.1", "10.0", "3.0"]).into(),
            T::Str => r
                .of(&["\"a\"", "\"ab\"", "\"Ab\"", "\"\"", "\"x@y.io\"", "\"/p\""])
                .into(),
            T::Time => r
                .of(&[
                    "@2026-02-20",
                    "@2026-02-28T12:00:00Z",
                    "@2025-12-31T23:59:59.999Z",
                ])
                .into(),
            T::Dur => r.of(&["0d", "1d", "36h", "2w", "30m", "1.5d"]).into(),
            T::Color => r.of(&["red", "green", "blue_sky"]).into(),
        }
    }

    fn query(&mut self, depth: u32) -> (String, &'static str) {
        let ev = if self.r.chance(50) { "visit" } else { "buy" };
        let mut q = ev.to_string();
        if self.r.chance(60) {
            let outer = self.event.replace(ev);
            let c = self.expr(T::Bool, depth.min(2));
            self.event = outer;
            let _ = write!(q, " where {c}");
        }
        if self.r.chance(60) {
            let _ = write!(
                q,
                " within {}",
                self.r.of(&["0d", "7d", "36h", "30d", "1w"])
            );
        }
        (q, ev)
    }

    fn event_field(&mut self, t: T) -> Option<String> {
        let ev = self.event?;
        let f = match (ev, t) {
            ("visit", T::Int) => "secs",
            ("visit", T::Str) => "page",
            ("visit", T::Num) => "w",
            ("buy", T::Num) => "amount",
            ("buy", T::Bool) => "ok",
            ("buy", T::Int) => "qty",
            (_, T::Time) => "at",
            _ => return None,
        };
        Some(f.into())
    }

    fn leaf(&mut self, t: T) -> String {
        if self.event.is_some() && self.r.chance(45) {
            if let Some(f) = self.event_field(t) {
                return f;
            }
        }
        if self.r.chance(25) {
            let cands: Vec<String> = self
                .names
                .iter()
                .filter(|(_, u)| *u == t)
                .map(|(n, _)| n.clone())
                .collect();
            if !cands.is_empty() {
                return cands[self.r.pick(cands.len())].clone();
            }
        }
        if self.r.chance(35) {
            return self.lit(t);
        }
        match t {
            T::Bool => "f".into(),
            T::Int => "n".into(),
            T::Num => "x".into(),
            T::Str => "s".into(),
            T::Time => "t".into(),
            T::Dur => "d".into(),
            T::Color => "color".into(),
        }
    }

    /// A leaf that can stand alone (a bare enum variant needs a partner).
    fn alone(&mut self, t: T) -> String {
        let l = self.leaf(t);
        if t == T::Color && !l.starts_with("color") && !l.starts_with('l') {
            format!("default(color, {l})")
        } else {
            l
        }
    }

    fn expr(&mut self, t: T, depth: u32) -> String {
        if depth == 0 || self.r.chance(25) {
            return self.alone(t);
        }
        let d = depth - 1;
        let in_event = self.event.is_some();
        match t {
            T::Bool => match self.r.pick(15) {
                0 => format!("{} and {}", self.expr(T::Bool, d), self.expr(T::Bool, d)),
                1 => format!("({} or {})", self.expr(T::Bool, d), self.expr(T::Bool, d)),
                2 => format!("not ({})", self.expr(T::Bool, d)),
                3 => {
                    let u = [T::Int, T::Num, T::Str, T::Time, T::Dur][self.r.pick(5)];
                    let op = self.r.of(&["==", "!=", "<", "<=", ">", ">="]);
                    format!("{} {op} {}", self.expr(u, d), self.expr(u, d))
                }
                4 => {
                    let u = if self.r.chance(50) { T::Int } else { T::Num };
                    format!(
                        "{} between {} and {}",
                        self.expr(u, d),
                        self.leaf(u),
                        self.leaf(u)
                    )
                }
                5 => format!(
                    "color {} [{}, {}]",
                    self.r.of(&["in", "not in"]),
                    self.lit(T::Color),
                    self.lit(T::Color)
                ),
                6 => format!("{} in nums", self.expr(T::Int, d)),
                7 => format!("tags contains {}", self.expr(T::Str, d)),
                8 => {
                    let op = self.r.of(&["contains", "starts_with", "ends_with"]);
                    format!("{} {op} {}", self.expr(T::Str, d), self.expr(T::Str, d))
                }
                9 => format!(
                    "{} matches \"{}\"",
                    self.expr(T::Str, d),
                    self.r.of(&["^a", "(?i)b$", "x|@", "^[a-c]+$", "a.?b"])
                ),
                10 => {
                    let u = [T::Int, T::Num, T::Str, T::Time, T::Color][self.r.pick(5)];
                    format!("known({})", self.expr(u, d))
                }
                11 if !in_event => format!("exists({})", self.query(d).0),
                12 => format!("color == {}", self.lit(T::Color)),
                13 => format!("tags == [{}]", self.lit(T::Str)),
                _ => format!("default({}, {})", self.expr(T::Bool, d), self.lit(T::Bool)),
            },
            T::Int => match self.r.pick(12) {
                0 => format!("({} + {})", self.expr(T::Int, d), self.expr(T::Int, d)),
                1 => format!("({} - {})", self.expr(T::Int, d), self.expr(T::Int, d)),
                2 => format!("({} * {})", self.expr(T::Int, d), self.expr(T::Int, d)),
                3 => format!("-({})", self.expr(T::Int, d)),
                4 => format!("length({})", self.expr(T::Str, d)),
                5 if !in_event => format!("count({})", self.query(d).0),
                6 if !in_event => {
                    let (q, ev) = self.query(d);
                    format!("sum({q}, {})", if ev == "visit" { "secs" } else { "qty" })
                }
                7 if !in_event => {
                    let (q, ev) = self.query(d);
                    let arg = self.r.of(if ev == "visit" {
                        &["page", "kind", "secs", "day(at)"]
                    } else {
                        &["ok", "qty", "amount"]
                    });
                    format!("distinct({q}, {arg})")
                }
                8 => format!(
                    "{}({})",
                    self.r.of(&["hour", "weekday"]),
                    self.expr(T::Time, d)
                ),
                9 => format!(
                    "{}({}, {})",
                    self.r.of(&["min", "max"]),
                    self.expr(T::Int, d),
                    self.expr(T::Int, d)
                ),
                10 => format!("abs({})", self.expr(T::Int, d)),
                _ => "length(tags) + length(nums)".to_string(),
            },
            T::Num => match self.r.pick(11) {
                0 => format!("({} + {})", self.expr(T::Num, d), self.expr(T::Int, d)),
                1 => format!("({} * {})", self.expr(T::Num, d), self.expr(T::Num, d)),
                2 => format!("({} / {})", self.expr(T::Int, d), self.expr(T::Int, d)),
                3 => format!("({} / {})", self.expr(T::Num, d), self.expr(T::Num, d)),
                4 if !in_event => {
                    let (q, ev) = self.query(d);
                    format!(
                        "{}({q}, {})",
                        self.r.of(&["avg", "sum", "min", "max"]),
                        if ev == "visit" { "w" } else { "amount" }
                    )
                }
                5 => format!("days({})", self.expr(T::Dur, d)),
                6 => format!(
                    "round({}, {})",
                    self.expr(T::Num, d),
                    self.r.of(&["0", "2", "-1"])
                ),
                7 => format!(
                    "{}({}, {})",
                    self.r.of(&["min", "max"]),
                    self.expr(T::Num, d),
                    self.expr(T::Int, d)
                ),
                8 => format!("abs({})", self.expr(T::Num, d)),
                9 => format!("({} / {})", self.expr(T::Dur, d), self.expr(T::Dur, d)),
                _ => format!("-{}", self.leaf(T::Num)),
            },
            T::Str => match self.r.pick(6) {
                0 => format!("lower({})", self.expr(T::Str, d)),
                1 => format!("upper({})", self.expr(T::Str, d)),
                2 => format!("trim({})", self.expr(T::Str, d)),
                3 => format!("domain({})", self.expr(T::Str, d)),
                4 => format!("default({}, {})", self.expr(T::Str, d), self.lit(T::Str)),
                _ => self.leaf(T::Str),
            },
            T::Time => match self.r.pick(6) {
                0 => format!("({} + {})", self.expr(T::Time, d), self.expr(T::Dur, d)),
                1 => format!("({} - {})", self.expr(T::Time, d), self.expr(T::Dur, d)),
                2 => format!("day({})", self.expr(T::Time, d)),
                3 if !in_event => format!("{}({})", self.r.of(&["first", "last"]), self.query(d).0),
                4 if !in_event => format!("max({}, at)", self.query(d).0),
                _ => format!("default({}, now)", self.expr(T::Time, d)),
            },
            T::Dur => match self.r.pick(8) {
                0 => format!("since({})", self.expr(T::Time, d)),
                1 => format!("({} - {})", self.expr(T::Time, d), self.expr(T::Time, d)),
                2 => format!("({} * {})", self.expr(T::Dur, d), self.expr(T::Num, d)),
                3 => format!("({} / {})", self.expr(T::Dur, d), self.leaf(T::Num)),
                4 => format!("({} + {})", self.expr(T::Dur, d), self.expr(T::Dur, d)),
                5 => format!("-({})", self.expr(T::Dur, d)),
                6 if self.transition && !in_event => "time_in_stage".into(),
                _ => self.leaf(T::Dur),
            },
            T::Color => format!("default(color, {})", self.lit(T::Color)),
        }
    }

    fn model(&mut self) -> String {
        let mut m = String::from("model random\n\n");
        m.push_str(SCHEMA);
        m.push('\n');
        let types = [T::Bool, T::Int, T::Num, T::Str, T::Time, T::Dur, T::Color];
        for i in 0..(2 + self.r.pick(5)) {
            let t = types[self.r.pick(types.len())];
            let e = self.expr(t, 3);
            let _ = writeln!(m, "let l{i} = {e}");
            self.names.push((format!("l{i}"), t));
        }
        for i in 0..(1 + self.r.pick(3)) {
            let e = self.expr(T::Bool, 3);
            let kind = if self.r.chance(50) {
                "criterion c"
            } else {
                "segment g"
            };
            let _ = writeln!(m, "{kind}{i} = {e}");
            self.names
                .push((format!("{}{i}", &kind[kind.len() - 1..]), T::Bool));
        }
        for i in 0..(1 + self.r.pick(3)) {
            let _ = writeln!(m, "score sc{i} {{");
            match self.r.pick(4) {
                0 => {}
                1 => {
                    let _ = writeln!(m, "  decay half_life {}", self.r.of(&["1d", "12h", "7d"]));
                }
                2 => {
                    let _ = writeln!(m, "  decay linear {}", self.r.of(&["3d", "10d"]));
                }
                _ => {
                    let _ = writeln!(
                        m,
                        "  decay {} every {}",
                        self.r.of(&["50%", "10%", "100%"]),
                        self.r.of(&["1d", "2d"])
                    );
                }
            }
            if self.r.chance(40) {
                let _ = writeln!(m, "  range -20 to 30");
            }
            for _ in 0..(1 + self.r.pick(4)) {
                let pts = self.r.of(&["+25", "-30", "12.5", "3", "-0.5"]);
                let cap = if self.r.chance(30) {
                    format!(" up to {}", self.r.of(&["1", "15", "40"]))
                } else {
                    String::new()
                };
                match self.r.pick(3) {
                    0 => {
                        let c = self.expr(T::Bool, 2);
                        let _ = writeln!(m, "  {c} => {pts}");
                    }
                    1 => {
                        let q = self.query(2).0;
                        let _ = writeln!(m, "  each {q} => {pts}{cap}");
                    }
                    _ => {
                        let q = self.query(2).0;
                        let _ = writeln!(m, "  latest {q} => {pts}");
                    }
                }
            }
            m.push_str("}\n");
            self.names.push((format!("sc{i}"), T::Num));
        }
        if self.r.chance(70) {
            let _ = writeln!(
                m,
                "tier grade {{\n  A when {}\n  B when {}",
                self.expr(T::Bool, 2),
                self.expr(T::Bool, 2)
            );
            if self.r.chance(50) {
                m.push_str("  C otherwise\n");
            }
            m.push_str("}\n");
        }
        self.transition = true;
        for _ in 0..self.r.pick(6) {
            let from = self.r.of(&["s0", "s1", "s2", "s3", "any"]);
            let to = self.r.of(&["s0", "s1", "s2", "s3"]);
            let c = self.expr(T::Bool, 2);
            let _ = writeln!(m, "transition {from} -> {to} when {c}");
        }
        self.transition = false;
        m
    }

    fn value(&mut self, t: &str) -> String {
        let r = &mut self.r;
        if r.chance(15) {
            return "null".into();
        }
        match t {
            "n" => r
                .of(&[
                    "0",
                    "3",
                    "-2",
                    "250",
                    "4611686018427387904",
                    "-9223372036854775808",
                    "9223372036854775807",
                ])
                .into(),
            "x" => r.of(&["0.0", "2.5", "-7.25", "1e3", "0.1"]).into(),
            "s" => r
                .of(&[
                    "\"ab\"",
                    "\"Ab@Shop.COM\"",
                    "\" a \"",
                    "\"\"",
                    "\"x@y.io\"",
                    "\"/pricing\"",
                ])
                .into(),
            "t" => r
                .of(&[
                    "\"2026-02-27T10:00:00Z\"",
                    "\"2026-01-01\"",
                    "\"2025-06-30 23:59:59\"",
                    "\"2026-03-05T00:00:00Z\"",
                ])
                .into(),
            "f" => r.of(&["true", "false"]).into(),
            "color" => r
                .of(&["\"red\"", "\"GREEN\"", "\"blue sky\"", "\"purple\""])
                .into(),
            "tags" => r.of(&["[]", "[\"a\"]", "[\"ab\", \"a\"]"]).into(),
            "nums" => r.of(&["[]", "[1, 2]", "[3, 100]"]).into(),
            "d" => r.of(&["\"1d\"", "\"0d\"", "\"36h\"", "\"2w\""]).into(),
            _ => "null".into(),
        }
    }

    fn leads(&mut self) -> String {
        const NOW: i64 = 1_772_323_200_000; // 2026-03-01T00:00:00Z
        let mut out = String::new();
        for i in 0..12 {
            let mut fields = vec![format!("\"id\": \"r{i}\"")];
            for f in ["n", "x", "s", "t", "f", "color", "tags", "nums", "d"] {
                let v = self.value(f);
                fields.push(format!("\"{f}\": {v}"));
            }
            if self.r.chance(60) {
                fields.push(format!(
                    "\"stage\": \"{}\"",
                    self.r.of(&["s0", "s1", "S2", "s3"])
                ));
            }
            if self.r.chance(50) {
                fields.push(format!(
                    "\"stage_since\": \"{}\"",
                    self.r.of(&["2026-02-27T00:00:00Z", "2026-02-01"])
                ));
            }
            let mut events = Vec::new();
            let mut used = std::collections::HashSet::new();
            for _ in 0..self.r.pick(9) {
                // distinct times (ties would leave the order of an overflow open)
                let mut at = NOW - (self.r.pick(40) as i64) * 43_200_000 + 86_400_000;
                if self.r.chance(30) {
                    at -= self.r.pick(3_600_000) as i64 + 1;
                }
                while !used.insert(at) {
                    at -= 1;
                }
                let time = mql_core::time::format_time(at);
                if self.r.chance(55) {
                    events.push(format!(
                        "{{\"type\": \"visit\", \"at\": \"{time}\", \"secs\": {}, \"page\": {}, \"kind\": {}, \"w\": {}}}",
                        self.r.of(&["1", "30", "-5", "null"]),
                        self.r.of(&["\"/p\"", "\"a\"", "null"]),
                        self.r.of(&["\"web\"", "\"APP\"", "null"]),
                        self.r.of(&["0.5", "2.0", "null"])
                    ));
                } else {
                    events.push(format!(
                        "{{\"type\": \"buy\", \"at\": \"{time}\", \"amount\": {}, \"ok\": {}, \"qty\": {}}}",
                        self.r.of(&["10.0", "0.25", "-3.5", "null"]),
                        self.r.of(&["true", "false", "null"]),
                        self.r.of(&["1", "2", "null"])
                    ));
                }
            }
            fields.push(format!("\"events\": [{}]", events.join(", ")));
            let _ = writeln!(out, "{{{}}}", fields.join(", "));
        }
        out
    }
}

/// Write `model.mql`, `leads.ndjson` and `as_of.txt` of random case `seed`.
pub fn write_case(dir: &Path, seed: u64) -> std::io::Result<()> {
    let mut g = Gen {
        r: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        names: Vec::new(),
        event: None,
        transition: false,
    };
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("model.mql"), g.model())?;
    std::fs::write(dir.join("leads.ndjson"), g.leads())?;
    std::fs::write(dir.join("as_of.txt"), "2026-03-01T00:00:00Z\n")
}
