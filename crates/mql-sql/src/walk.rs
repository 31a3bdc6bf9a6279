//! The stage walk of language.md §8, unrolled: one step per stage at most
//! (every move enters a stage not visited before). Step `k` holds the current
//! stage `w_cur_k` and the transition it fires, `w_t_k`: its number (from 1,
//! in source order), 0 for none, or minus its number when evaluating its
//! condition fails. A transition that would revisit a stage ends the walk and
//! is the lead's `cycle`.

use mql_sema::hir::{Expr, ExprKind};

use crate::build::{Builder, Chain, Step};
use crate::dialect::SqlTy;
use crate::expr::{Cx, Scope, Tis};
use crate::frag::{case, cmp, coalesce, is_null, Frag};
use crate::CompileError;

struct TrCols {
    from: Option<String>,
    to: String,
    start: (String, Option<String>),
    moved: (String, Option<String>),
    /// `"to": "mql", "line": 61}` (and the file of a `use`d model).
    tail: String,
}

pub struct Plan {
    stages: Vec<String>,
    transitions: Vec<TrCols>,
}

pub struct Compiled {
    /// One step per transition, computing its condition.
    pub steps: Vec<Step>,
    pub plan: Option<Plan>,
}

/// What the walk gives the output.
#[derive(Default)]
pub struct Out {
    pub stage: Option<Frag>,
    pub from_stage: Option<Frag>,
    pub path: Option<Frag>,
    pub cycle: Option<Frag>,
    /// The column with the walk's error message.
    pub error: Option<String>,
}

fn mentions_tis(e: &Expr) -> bool {
    let mut found = false;
    visit(e, &mut |x| {
        if matches!(x.kind, ExprKind::TimeInStage) {
            found = true;
        }
    });
    found
}

fn visit(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::Matches(a, _) => visit(a, f),
        ExprKind::Arith(_, a, b)
        | ExprKind::Cmp(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::StrTest(_, a, b) => {
            visit(a, f);
            visit(b, f);
        }
        ExprKind::Between { value, lo, hi } => {
            visit(value, f);
            visit(lo, f);
            visit(hi, f);
        }
        ExprKind::In { value, list, .. } => {
            visit(value, f);
            visit(list, f);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| visit(a, f)),
        ExprKind::Agg { query, arg, .. } => {
            if let Some(x) = &query.filter {
                visit(x, f);
            }
            if let Some(a) = arg {
                visit(a, f);
            }
        }
        _ => {}
    }
}

fn json_text(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Compile every transition's condition (twice when it reads `time_in_stage`).
pub fn compile(b: &mut Builder) -> Result<Compiled, CompileError> {
    let model = b.model;
    let Some(stages) = &model.schema.stages else {
        return Ok(Compiled {
            steps: Vec::new(),
            plan: None,
        });
    };
    b.stage_col();
    let mut steps = Vec::new();
    let mut trs = Vec::new();
    for (i, t) in model.transitions.iter().enumerate() {
        let from = t.from.map(|s| model.stage_name(s).to_string());
        let to = model.stage_name(t.to).to_string();
        let from_word = from.clone().unwrap_or_else(|| "any".into());
        let at = if t.origin.file == 0 {
            format!("line {}", t.origin.line)
        } else {
            format!("{}, line {}", model.file(&t.origin), t.origin.line)
        };
        let where_ = format!("transition {from_word} -> {to} ({at})");
        let base = b.names.fresh(&format!("tr{}", i + 1));
        let mut cols = Vec::new();
        let mut temps = Vec::new();
        let mut aggs = std::collections::BTreeSet::new();
        let mut one = |b: &mut Builder,
                       tis: Tis,
                       suffix: &str|
         -> Result<(String, Option<String>), CompileError> {
            let mut cx = Cx::new(b, Scope::Lead, tis, where_.clone());
            let c = cx.expr(&t.cond)?;
            let t_temps = std::mem::take(&mut cx.temps);
            aggs.extend(std::mem::take(&mut cx.aggs));
            for (k, layer) in t_temps.into_iter().enumerate() {
                while temps.len() <= k {
                    temps.push(Vec::new());
                }
                temps[k].extend(layer);
            }
            let name = format!("{base}{suffix}");
            b.names.reserve(&name);
            cols.push((name.clone(), c.v, SqlTy::Bool));
            let err = match c.e {
                Some(e) => {
                    let n = format!("{name}_error");
                    b.names.reserve(&n);
                    let msg = b.d.concat(&[
                        e,
                        Frag::simple(b.d.text(&format!(" in {where_}")).unwrap_or_default()),
                    ]);
                    cols.push((n.clone(), msg, SqlTy::Text));
                    Some(n)
                }
                None => None,
            };
            Ok((name, err))
        };
        let (start, moved) = if mentions_tis(&t.cond) {
            let s = one(b, Tis::Start, "_at_start")?;
            let m = one(b, Tis::Moved, "_after_move")?;
            (s, m)
        } else {
            let s = one(b, Tis::Start, "")?;
            (s.clone(), s)
        };
        let mut tail = format!("\"to\": {}, \"line\": {}", json_text(&to), t.origin.line);
        if t.origin.file != 0 {
            tail.push_str(&format!(", \"file\": {}", json_text(model.file(&t.origin))));
        }
        tail.push('}');
        let mut comment = vec![format!("{at}: transition {from_word} -> {to} when …")];
        if let Some(doc) = &t.doc {
            comment.push(format!("  {}", doc.lines().next().unwrap_or("")));
        }
        let name = format!("transition_{from_word}_{to}");
        steps.push(Step {
            name,
            comment,
            temps,
            cols,
            aggs,
            decl: None,
            err_col: None,
        });
        trs.push(TrCols {
            from,
            to,
            start,
            moved,
            tail,
        });
    }
    Ok(Compiled {
        steps,
        plan: Some(Plan {
            stages: stages.variants.clone(),
            transitions: trs,
        }),
    })
}

/// The walk's steps, and the output columns they give.
pub fn emit(b: &mut Builder, chain: &mut Chain, plan: &Option<Plan>) -> Out {
    let Some(plan) = plan else {
        return Out::default();
    };
    let d = b.d;
    let text = |s: &str| Frag::simple(d.text(s).unwrap_or_default());
    let n = plan.stages.len().max(1);
    let first = plan.stages.first().cloned().unwrap_or_default();
    let stage_col = Frag::simple(b.stage_col());
    let cur = |k: usize| format!("w_cur_{k}");
    let fired = |k: usize| format!("w_t_{k}");
    for k in 0..n {
        b.names.reserve(&cur(k));
        b.names.reserve(&fired(k));
    }
    for k in 0..n {
        // the current stage
        let cur_k = if k == 0 {
            coalesce(&[stage_col.clone(), text(&first)])
        } else {
            let visited: Vec<String> = (0..k).map(cur).collect();
            let arms: Vec<(Frag, Frag)> = plan
                .transitions
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let seen = Frag::with_prec(
                        format!("{} IN ({})", text(&t.to).s(), visited.join(", ")),
                        crate::frag::P_CMP,
                    );
                    (
                        cmp(&Frag::simple(fired(k - 1)), "=", &d.int(i as i64 + 1)),
                        case(&[(seen, Frag::simple("NULL"))], Some(&text(&t.to))),
                    )
                })
                .collect();
            if arms.is_empty() {
                d.null(&SqlTy::Text)
            } else {
                case(&arms, None)
            }
        };
        // the transition it fires
        let mut out = format!("CASE {}", cur_k.s());
        for s in &plan.stages {
            let mut arms: Vec<(Frag, Frag)> = Vec::new();
            for (i, t) in plan.transitions.iter().enumerate() {
                let applies = match &t.from {
                    Some(f) => f == s,
                    None => &t.to != s,
                };
                if !applies {
                    continue;
                }
                let (c, e) = if k == 0 { &t.start } else { &t.moved };
                if let Some(e) = e {
                    arms.push((
                        is_null(&Frag::simple(e.clone()), true),
                        d.int(-(i as i64 + 1)),
                    ));
                }
                arms.push((Frag::simple(c.clone()), d.int(i as i64 + 1)));
            }
            let branch = if arms.is_empty() {
                d.int(0)
            } else {
                case(&arms, Some(&d.int(0)))
            };
            out.push_str(&format!(" WHEN {} THEN {}", text(s).s(), branch.s()));
        }
        out.push_str(" END");
        let comment = if k == 0 {
            vec!["the stage walk: the starting stage and the first transition that fires".into()]
        } else {
            vec![format!("the stage walk, move {}", k + 1)]
        };
        chain.project(
            b,
            &format!("walk_{}", k + 1),
            comment,
            &[(cur(k), cur_k), (fired(k), Frag::atom(out))],
            Some(&[(cur(k), SqlTy::Text), (fired(k), SqlTy::Int)]),
        );
    }
    // the results of the walk
    let tail_of = |k: usize| -> Frag {
        let arms: Vec<(Frag, Frag)> = plan
            .transitions
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    cmp(&Frag::simple(fired(k)), "=", &d.int(i as i64 + 1)),
                    text(&t.tail),
                )
            })
            .collect();
        case(&arms, None)
    };
    let step_json = |k: usize| -> Frag {
        d.concat(&[
            text("{\"from\": \""),
            Frag::simple(cur(k)),
            text("\", "),
            tail_of(k),
        ])
    };
    let mut path_parts = vec![text("[")];
    for k in 0..n.saturating_sub(1) {
        let seg = case(
            &[(is_null(&Frag::simple(cur(k + 1)), true), step_json(k))],
            None,
        );
        let seg = if k == 0 {
            seg
        } else {
            d.concat(&[text(", "), seg])
        };
        path_parts.push(coalesce(&[seg, text("")]));
    }
    path_parts.push(text("]"));
    let path = d.concat(&path_parts);
    let mut cycles = Vec::new();
    let mut errors = Vec::new();
    for k in 0..n {
        let mut cond = cmp(&Frag::simple(fired(k)), ">", &d.int(0));
        if k + 1 < n {
            cond = crate::frag::and_all(&[cond, is_null(&Frag::simple(cur(k + 1)), false)]);
        }
        cycles.push(case(&[(cond, step_json(k))], None));
        let arms: Vec<(Frag, Frag)> = plan
            .transitions
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let e = if k == 0 { &t.start.1 } else { &t.moved.1 };
                e.as_ref().map(|e| {
                    (
                        cmp(&Frag::simple(fired(k)), "=", &d.int(-(i as i64 + 1))),
                        Frag::simple(e.clone()),
                    )
                })
            })
            .collect();
        if !arms.is_empty() {
            errors.push(case(&arms, None));
        }
    }
    let stage = coalesce(
        &(0..n)
            .rev()
            .map(|k| Frag::simple(cur(k)))
            .collect::<Vec<_>>(),
    );
    let mut o = Out {
        stage: Some(stage),
        from_stage: Some(Frag::simple(cur(0))),
        path: Some(path),
        cycle: Some(coalesce(&cycles)),
        error: None,
    };
    if !errors.is_empty() {
        let name = b.names.fresh("walk_error");
        chain.project(
            b,
            "walk_errors",
            vec!["an evaluation error in a transition the walk tried".into()],
            &[(name.clone(), coalesce(&errors))],
            Some(&[(name.clone(), SqlTy::Text)]),
        );
        o.error = Some(name);
    }
    o
}
