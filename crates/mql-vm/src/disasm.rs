//! The bytecode listing of `mql compile --emit bytecode`: every block with the
//! source line it comes from, then the evaluation plan.

use std::fmt::Write as _;

use mql_core::Value;
use mql_sema::hir::{AggKind, CmpOp, Decay, StrOp};

use crate::describe::agg_name;
use crate::program::{Block, Instr, Program, QueryCode, RuleCode, Src, Step};

fn cmp_word(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "eq",
        CmpOp::Ne => "ne",
        CmpOp::Lt => "lt",
        CmpOp::Le => "le",
        CmpOp::Gt => "gt",
        CmpOp::Ge => "ge",
    }
}

fn str_word(op: StrOp) -> &'static str {
    match op {
        StrOp::Contains => "contains",
        StrOp::StartsWith => "starts_with",
        StrOp::EndsWith => "ends_with",
    }
}

fn lower_debug<T: std::fmt::Debug>(x: T) -> String {
    let s = format!("{x:?}");
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Program {
    fn sym(&self, s: mql_core::Sym) -> &str {
        self.names
            .symbols
            .get(s.0 as usize)
            .map_or("?", |x| x.as_str())
    }

    fn value_text(&self, v: &Value) -> String {
        match v {
            Value::Enum(s) => self.sym(*s).to_string(),
            Value::List(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.value_text(i)).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Str(s) => format!("{s:?}"),
            Value::Number(n) => mql_core::number::format_number(*n),
            Value::Time(t) => format!("@{}", mql_core::time::format_time(*t)),
            Value::Duration(d) => crate::describe::duration_text(*d),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Unknown => "unknown".to_string(),
        }
    }

    fn src_text(&self, src: Src, event: Option<u32>) -> String {
        match src {
            Src::Field(i) => format!(
                "field {}",
                self.names
                    .fields
                    .get(i as usize)
                    .map_or("?", |f| f.as_str())
            ),
            Src::Event(i) => format!(
                "event_field {}",
                event
                    .and_then(|e| self.names.events.get(e as usize))
                    .and_then(|e| e.1.get(i as usize))
                    .map_or("?", |f| f.as_str())
            ),
        }
    }

    fn query_text(&self, q: &QueryCode) -> String {
        let mut s = self
            .names
            .events
            .get(q.event as usize)
            .map_or("?".to_string(), |e| e.0.clone());
        if let Some(f) = q.filter {
            let _ = write!(s, " where @{}", f.0);
        }
        if let Some(w) = q.within {
            let _ = write!(s, " within {}", crate::describe::duration_text(w));
        }
        s
    }

    fn instr_text(&self, ins: Instr, pc: usize, event: Option<u32>) -> String {
        let n = &self.names;
        let name =
            |v: &Vec<String>, i: u32| v.get(i as usize).cloned().unwrap_or_else(|| "?".into());
        match ins {
            Instr::Const(i) => format!("push {}", self.value_text(&self.consts[i as usize])),
            Instr::Field(i) => format!("field {}", name(&n.fields, i)),
            Instr::EventField(i) => {
                let f = event
                    .and_then(|e| n.events.get(e as usize))
                    .and_then(|e| e.1.get(i as usize))
                    .cloned()
                    .unwrap_or_else(|| format!("#{i}"));
                format!("event_field {f}")
            }
            Instr::EventAt => "event_at".into(),
            Instr::Id => "id".into(),
            Instr::Now => "now".into(),
            Instr::TimeInStage => "time_in_stage".into(),
            Instr::Stage => "stage".into(),
            Instr::Load(i) => format!("load {}", name(&n.values, i)),
            Instr::LoadScore(i) => format!("load_score {}", name(&n.scores, i)),
            Instr::LoadTier(i) => format!("load_tier {}", name(&n.tiers, i)),
            Instr::Neg(k) => format!("neg.{}", lower_debug(k)),
            Instr::Not => "not".into(),
            Instr::Arith(k) => lower_debug(k),
            Instr::Cmp(k, op) => format!("{}.{}", cmp_word(op), lower_debug(k)),
            Instr::AndJump(o) => format!("and_jump -> {:04}", pc + o as usize + 1),
            Instr::AndEnd => "and".into(),
            Instr::OrJump(o) => format!("or_jump -> {:04}", pc + o as usize + 1),
            Instr::OrEnd => "or".into(),
            Instr::BetweenLo(k, o) => {
                format!(
                    "between_low.{} (false -> {:04})",
                    lower_debug(k),
                    pc + o as usize + 1
                )
            }
            Instr::BetweenHi(k) => format!("between_high.{}", lower_debug(k)),
            Instr::FieldCmpConst(src, k, op, c) => format!(
                "{} {}.{} {}",
                self.src_text(src, event),
                cmp_word(op),
                lower_debug(k),
                self.value_text(&self.consts[c as usize])
            ),
            Instr::FieldInConst(src, negated, c) => format!(
                "{} {} {}",
                self.src_text(src, event),
                if negated { "not_in" } else { "in" },
                self.value_text(&self.consts[c as usize])
            ),
            Instr::FieldStrConst(src, op, c) => format!(
                "{} {} {}",
                self.src_text(src, event),
                str_word(op),
                self.value_text(&self.consts[c as usize])
            ),
            Instr::CmpConst(k, op, c) => format!(
                "{}.{} {}",
                cmp_word(op),
                lower_debug(k),
                self.value_text(&self.consts[c as usize])
            ),
            Instr::InConst { negated, list } => format!(
                "{} {}",
                if negated { "not_in" } else { "in" },
                self.value_text(&self.consts[list as usize])
            ),
            Instr::StrConst(op, c) => format!(
                "{} {}",
                str_word(op),
                self.value_text(&self.consts[c as usize])
            ),
            Instr::In { negated: false } => "in".into(),
            Instr::In { negated: true } => "not_in".into(),
            Instr::Str(op) => str_word(op).into(),
            Instr::Matches(i) => format!("matches {:?}", self.regexes[i as usize].as_str()),
            Instr::Func(k) => format!("call {}", lower_debug(k)),
            Instr::Agg(i) => {
                let a = &self.aggs[i as usize];
                let mut s = format!("{} {}", agg_name(a.kind), self.query_text(&a.query));
                if let Some(b) = a.arg {
                    let _ = write!(s, " of @{}", b.0);
                }
                if a.kind == AggKind::Sum && a.arg_int {
                    s.push_str(" (whole numbers)");
                }
                s
            }
            Instr::End => "end".into(),
        }
    }

    /// The event whose fields a block sees, if it is a query's filter or argument.
    fn block_event(&self, b: Block) -> Option<u32> {
        let from_query = |q: &QueryCode| (q.filter == Some(b)).then_some(q.event);
        for a in &self.aggs {
            if let Some(e) = from_query(&a.query) {
                return Some(e);
            }
            if a.arg == Some(b) {
                return Some(a.query.event);
            }
        }
        for s in &self.steps {
            if let Step::Score { rules, .. } = s {
                for r in rules {
                    if let RuleCode::Each(q) | RuleCode::Latest(q) = &r.code {
                        if let Some(e) = from_query(q) {
                            return Some(e);
                        }
                    }
                }
            }
        }
        None
    }

    /// A readable listing of the program; `source_line(file, line)` gives the
    /// text of a source line to show next to the code it became.
    pub fn disassemble(&self, source_line: &dyn Fn(u32, u32) -> Option<String>) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "; {} instructions, {} constants, {} queries",
            self.code.len(),
            self.consts.len(),
            self.aggs.len()
        );
        let mut origins: Vec<&(Block, u32, u32, String)> = self.block_origins.iter().collect();
        origins.sort_by_key(|o| o.0 .0);
        origins.dedup_by_key(|o| o.0 .0);
        let mut pc = 0usize;
        let mut oi = 0usize;
        let mut event = None;
        while pc < self.code.len() {
            if oi < origins.len() && origins[oi].0 .0 as usize == pc {
                let (b, file, line, label) = origins[oi];
                let _ = writeln!(o, "\n; {label}");
                if let Some(src) = source_line(*file, *line) {
                    let _ = writeln!(o, ";   {line} | {}", src.trim_end());
                }
                event = self.block_event(*b);
                oi += 1;
            } else if pc == 0 || matches!(self.code[pc - 1], Instr::End) {
                let _ = writeln!(o);
                event = self.block_event(Block(pc as u32));
            }
            let _ = writeln!(o, "{pc:04}  {}", self.instr_text(self.code[pc], pc, event));
            pc += 1;
        }
        let _ = writeln!(o, "\n; evaluation order");
        for (step, place) in self.steps.iter().zip(&self.step_where) {
            match step {
                Step::Value { block, .. } => {
                    let _ = writeln!(o, "{place}: @{}", block.0);
                }
                Step::Score {
                    decay,
                    range,
                    rules,
                    ..
                } => {
                    let d = match decay {
                        Decay::None => "no decay".to_string(),
                        Decay::HalfLife(h) => {
                            format!("half_life {}", crate::describe::duration_text(*h as i64))
                        }
                        Decay::Linear(t) => {
                            format!("linear {}", crate::describe::duration_text(*t as i64))
                        }
                        Decay::Step { percent, every } => {
                            format!(
                                "{percent}% every {}",
                                crate::describe::duration_text(*every as i64)
                            )
                        }
                    };
                    let r = range.map_or(String::new(), |(lo, hi)| format!(", range {lo} to {hi}"));
                    let _ = writeln!(o, "{place}: {d}{r}");
                    for rule in rules {
                        let what = match &rule.code {
                            RuleCode::Cond(b) => format!("when @{}", b.0),
                            RuleCode::Each(q) => format!("each {}", self.query_text(q)),
                            RuleCode::Latest(q) => format!("latest {}", self.query_text(q)),
                        };
                        let cap = rule.cap.map_or(String::new(), |c| format!(" up to {c}"));
                        let _ = writeln!(o, "  {what} => {}{cap}", rule.points);
                    }
                }
                Step::Tier { arms, .. } => {
                    let _ = writeln!(o, "{place}:");
                    for (label, b) in arms {
                        match b {
                            Some(b) => {
                                let _ = writeln!(o, "  {} when @{}", self.sym(*label), b.0);
                            }
                            None => {
                                let _ = writeln!(o, "  {} otherwise", self.sym(*label));
                            }
                        }
                    }
                }
            }
        }
        if !self.transitions.is_empty() {
            let _ = writeln!(
                o,
                "\n; stage walk, first stage {}",
                self.first_stage.map_or("-", |s| self.sym(s))
            );
            for (t, place) in self.transitions.iter().zip(&self.transition_where) {
                let _ = writeln!(o, "{place}: when @{}", t.cond.0);
            }
        }
        o
    }
}
