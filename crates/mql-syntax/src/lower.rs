//! Lowering of pest's parse tree for one declaration to the owned AST, with
//! byte spans shifted to file offsets. Literal errors (an integer that
//! overflows, a bad escape, an impossible time) are reported here; the
//! declaration is kept with the literal marked invalid.

use mql_core::time::{parse_duration, parse_time, TimeSyntax};
use mql_core::{Diagnostic, Span};
use pest::iterators::Pair;

use crate::ast::*;
use crate::codes;
use crate::grammar::Rule;

pub struct Lowerer {
    /// File offset of the chunk's first byte.
    pub base: usize,
    pub diags: Vec<Diagnostic>,
}

type P<'i> = Pair<'i, Rule>;

impl Lowerer {
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    fn ident(&self, p: P) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    /// Lower a declaration pair (`model_decl`, …).
    pub fn decl(&mut self, p: P) -> Option<Decl> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        let kw = inner.next()?;
        let keyword = self.span(&kw);
        let kind = match rule {
            Rule::model_decl => DeclKind::Model(self.ident(inner.next()?)),
            Rule::use_decl => DeclKind::Use(self.string(inner.next()?)),
            Rule::lead_decl => DeclKind::Lead(self.fields(inner)),
            Rule::event_decl => {
                let name = self.ident(inner.next()?);
                DeclKind::Event {
                    name,
                    fields: self.fields(inner),
                }
            }
            Rule::const_decl | Rule::let_decl | Rule::criterion_decl | Rule::segment_decl => {
                let name = self.ident(inner.next()?);
                let value = self.expr(inner.find(|q| q.as_rule() == Rule::expr)?);
                let ne = NamedExpr { name, value };
                match rule {
                    Rule::const_decl => DeclKind::Const(ne),
                    Rule::let_decl => DeclKind::Let(ne),
                    Rule::criterion_decl => DeclKind::Criterion(ne),
                    _ => DeclKind::Segment(ne),
                }
            }
            Rule::score_decl => DeclKind::Score(self.score(inner)?),
            Rule::tier_decl => {
                let name = self.ident(inner.next()?);
                let arms = inner
                    .filter(|q| q.as_rule() == Rule::tier_arm)
                    .filter_map(|q| self.tier_arm(q))
                    .collect();
                DeclKind::Tier(TierDecl { name, arms })
            }
            Rule::stages_decl => DeclKind::Stages(
                inner
                    .filter(|q| q.as_rule() == Rule::variant)
                    .filter_map(|q| self.variant(q))
                    .collect(),
            ),
            Rule::transition_decl => {
                let from = inner.next()?;
                let (from, any_span) = if from.as_rule() == Rule::kw_any {
                    (None, Some(self.span(&from)))
                } else {
                    (Some(self.ident(from)), None)
                };
                let _arrow = inner.next()?;
                let to = self.ident(inner.next()?);
                let cond = self.expr(inner.find(|q| q.as_rule() == Rule::expr)?);
                DeclKind::Transition(TransitionDecl {
                    from,
                    any_span,
                    to,
                    cond,
                })
            }
            Rule::test_decl => {
                let name = self.string(inner.next()?);
                let items = inner.filter_map(|q| self.test_item(q)).collect();
                DeclKind::Test(TestDecl { name, items })
            }
            _ => return None,
        };
        Some(Decl {
            kind,
            span,
            keyword,
            doc: None,
        })
    }

    /// The inside of a lead or event block: its `missing` item and its fields.
    fn fields(&mut self, inner: pest::iterators::Pairs<Rule>) -> FieldBlock {
        let mut block = FieldBlock::default();
        for q in inner {
            match q.as_rule() {
                Rule::block_missing => block.missing = Some(self.missing(q)),
                Rule::field_decl => {
                    if let Some(f) = self.field(q) {
                        block.fields.push(f);
                    }
                }
                _ => {}
            }
        }
        block
    }

    fn field(&mut self, q: P) -> Option<FieldDecl> {
        let span = self.span(&q);
        let mut it = q.into_inner();
        let name = self.ident(it.next()?);
        let mut ty = None;
        let mut source = None;
        let mut missing = None;
        for p in it {
            match p.as_rule() {
                Rule::type_expr => ty = self.type_expr(p),
                Rule::field_from => {
                    let s = p.into_inner().find(|q| q.as_rule() == Rule::string)?;
                    source = Some(self.string(s));
                }
                Rule::field_missing => missing = Some(self.missing(p)),
                _ => {}
            }
        }
        Some(FieldDecl {
            name,
            ty: ty?,
            source,
            missing,
            span,
        })
    }

    /// `missing "A", "B"` (a block's or a field's), with its span from the
    /// word `missing` to the last text.
    fn missing(&mut self, p: P) -> Missing {
        let mut span = self.span(&p);
        let mut texts = Vec::new();
        for q in p.into_inner() {
            if q.as_rule() == Rule::missing_texts {
                for s in q.into_inner().filter(|s| s.as_rule() == Rule::string) {
                    texts.push(self.string(s));
                }
            }
        }
        // A block's `missing` may end with the `,` before the first field.
        let end = texts.last().map_or(span.start + 7, |t| t.span.end);
        span.end = end;
        Missing { texts, span }
    }

    fn variant(&mut self, p: P) -> Option<Variant> {
        let mut it = p.into_inner();
        let name = self.ident(it.next()?);
        let labels = it
            .filter(|q| q.as_rule() == Rule::string)
            .map(|q| self.string(q))
            .collect();
        Some(Variant { name, labels })
    }

    fn type_expr(&mut self, p: P) -> Option<TypeExpr> {
        let span = self.span(&p);
        let t = p.into_inner().next()?;
        let kind = match t.as_rule() {
            Rule::t_int => TypeKind::Int,
            Rule::t_number => TypeKind::Number,
            Rule::t_bool => TypeKind::Bool,
            Rule::t_string => TypeKind::String,
            Rule::t_time => TypeKind::Time,
            Rule::t_duration => TypeKind::Duration,
            Rule::t_enum => TypeKind::Enum(
                t.into_inner()
                    .filter(|q| q.as_rule() == Rule::variant)
                    .filter_map(|q| self.variant(q))
                    .collect(),
            ),
            Rule::t_list => {
                let inner = t.into_inner().find(|q| q.as_rule() == Rule::type_expr)?;
                TypeKind::List(Box::new(self.type_expr(inner)?))
            }
            _ => return None,
        };
        Some(TypeExpr { kind, span })
    }

    fn score(&mut self, mut inner: pest::iterators::Pairs<Rule>) -> Option<ScoreDecl> {
        let name = self.ident(inner.next()?);
        let mut options = Vec::new();
        let mut rules = Vec::new();
        for q in inner {
            match q.as_rule() {
                Rule::score_option => {
                    let span = self.span(&q);
                    let opt = q.into_inner().next()?;
                    let kind = match opt.as_rule() {
                        Rule::decay_opt => {
                            let d = opt.into_inner().nth(1)?;
                            let rule = d.as_rule();
                            let mut it = d.into_inner();
                            let decay = match rule {
                                Rule::decay_none => Decay::None,
                                Rule::decay_half => Decay::HalfLife(self.dur_arg(it.nth(1)?)?),
                                Rule::decay_linear => Decay::Linear(self.dur_arg(it.nth(1)?)?),
                                Rule::decay_step => {
                                    let first = it.next()?;
                                    let percent = if first.as_rule() == Rule::percent {
                                        self.percent(first)
                                    } else {
                                        let id = self.ident(first);
                                        let sign = it.next()?;
                                        let span = id.span.to(self.span(&sign));
                                        Expr {
                                            kind: ExprKind::Name(id),
                                            span,
                                        }
                                    };
                                    let every = it.find(|q| q.as_rule() == Rule::dur_arg)?;
                                    Decay::Step {
                                        percent,
                                        every: self.dur_arg(every)?,
                                    }
                                }
                                _ => return None,
                            };
                            ScoreOptionKind::Decay(decay)
                        }
                        Rule::range_opt => {
                            let mut it =
                                opt.into_inner().filter(|q| q.as_rule() == Rule::signed_arg);
                            let lo = self.signed(it.next()?)?;
                            let hi = self.signed(it.next()?)?;
                            ScoreOptionKind::Range { lo, hi }
                        }
                        _ => return None,
                    };
                    options.push(ScoreOption { kind, span });
                }
                Rule::score_rule => {
                    if let Some(r) = self.rule(q) {
                        rules.push(r);
                    }
                }
                _ => {}
            }
        }
        Some(ScoreDecl {
            name,
            options,
            rules,
        })
    }

    fn rule(&mut self, p: P) -> Option<Rule_> {
        let span = self.span(&p);
        let r = p.into_inner().next()?;
        let rule = r.as_rule();
        let mut kind = None;
        let mut points = None;
        let mut cap = None;
        let mut cap_span = None;
        for q in r.into_inner() {
            match q.as_rule() {
                Rule::query => kind = Some(self.query(q)?),
                Rule::expr => kind = Some(QueryOrExpr::Expr(self.expr(q))),
                Rule::points => points = Some(self.signed(q.into_inner().next()?)?),
                Rule::cap => {
                    cap_span = Some(self.span(&q));
                    let v = q.into_inner().find(|q| q.as_rule() == Rule::signed_arg)?;
                    cap = Some(self.signed(v)?);
                }
                _ => {}
            }
        }
        let kind = match (rule, kind?) {
            (Rule::each_rule, QueryOrExpr::Query(q)) => RuleKind::Each(q),
            (Rule::latest_rule, QueryOrExpr::Query(q)) => RuleKind::Latest(q),
            (_, QueryOrExpr::Expr(e)) => RuleKind::Cond(e),
            _ => return None,
        };
        if let (Some(cs), false) = (cap_span, matches!(kind, RuleKind::Each(_))) {
            self.diags.push(
                Diagnostic::error(
                    codes::CAP_NOT_EACH,
                    "`up to` can only limit an `each` rule",
                    cs,
                )
                .with_label("this rule gives its points at most once")
                .with_help("remove `up to …`, or count every matching event with `each`")
                .with_suggestion(cs, "", "remove `up to …`"),
            );
            cap = None;
        }
        Some(Rule_ {
            kind,
            points: points?,
            cap,
            span,
        })
    }

    fn query(&mut self, p: P) -> Option<QueryOrExpr> {
        Some(QueryOrExpr::Query(self.query_parts(p)?))
    }

    /// `EVENT [where COND] [within D]` (a `query` or a `query_arg`).
    fn query_parts(&mut self, p: P) -> Option<Query> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let event = self.ident(it.next()?);
        let mut filter = None;
        let mut within = None;
        for q in it {
            match q.as_rule() {
                Rule::expr => filter = Some(Box::new(self.expr(q))),
                Rule::dur_arg => within = Some(Box::new(self.dur_arg(q)?)),
                _ => {}
            }
        }
        Some(Query {
            event,
            filter,
            within,
            span,
        })
    }

    fn tier_arm(&mut self, p: P) -> Option<TierArm> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let label = self.ident(it.next()?);
        let cond = it.find(|q| q.as_rule() == Rule::expr).map(|q| self.expr(q));
        Some(TierArm { label, cond, span })
    }

    fn test_item(&mut self, p: P) -> Option<TestItem> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner();
        let kind = match rule {
            Rule::as_of_item => {
                let v = it.nth(1)?;
                TestItemKind::AsOf(self.time_or_name(v))
            }
            Rule::test_lead => TestItemKind::Lead(self.lit_fields(it)),
            Rule::test_events => TestItemKind::Events(
                it.filter(|q| q.as_rule() == Rule::event_lit)
                    .filter_map(|q| self.event_lit(q))
                    .collect(),
            ),
            Rule::expect_item => {
                TestItemKind::Expect(self.expr(it.find(|q| q.as_rule() == Rule::expr)?))
            }
            _ => return None,
        };
        Some(TestItem { kind, span })
    }

    fn time_or_name(&mut self, v: P) -> Expr {
        if v.as_rule() == Rule::time {
            self.time(v)
        } else {
            let id = self.ident(v);
            Expr {
                span: id.span,
                kind: ExprKind::Name(id),
            }
        }
    }

    fn event_lit(&mut self, p: P) -> Option<EventLit> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let event = self.ident(it.next()?);
        let mut fields = Vec::new();
        let mut when = None;
        for q in it {
            match q.as_rule() {
                Rule::lit_field => fields.extend(self.lit_field(q)),
                Rule::at_when => {
                    let v = q.into_inner().nth(1)?;
                    when = Some(EventWhen::At(self.time_or_name(v)));
                }
                Rule::ago_when => {
                    let v = q.into_inner().next()?;
                    let e = if v.as_rule() == Rule::duration {
                        self.duration(v)
                    } else {
                        let id = self.ident(v);
                        Expr {
                            span: id.span,
                            kind: ExprKind::Name(id),
                        }
                    };
                    when = Some(EventWhen::Ago(e));
                }
                _ => {}
            }
        }
        Some(EventLit {
            event,
            fields,
            when: when?,
            span,
        })
    }

    fn lit_fields(&mut self, it: pest::iterators::Pairs<Rule>) -> Vec<LitField> {
        it.filter(|q| q.as_rule() == Rule::lit_field)
            .filter_map(|q| self.lit_field(q))
            .collect()
    }

    fn lit_field(&mut self, p: P) -> Option<LitField> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.ident(it.next()?);
        let value = self.lit_value(it.find(|q| q.as_rule() == Rule::lit_value)?)?;
        Some(LitField { name, value, span })
    }

    fn lit_value(&mut self, p: P) -> Option<Expr> {
        let span = self.span(&p);
        let v = p.into_inner().next()?;
        Some(match v.as_rule() {
            Rule::signed_lit => {
                let mut it = v.into_inner();
                let first = it.next()?;
                if first.as_rule() == Rule::sign {
                    let op = if first.as_str() == "-" {
                        UnaryOp::Neg
                    } else {
                        UnaryOp::Plus
                    };
                    let inner = self.atom(it.next()?)?;
                    Expr {
                        kind: ExprKind::Unary(op, Box::new(inner)),
                        span,
                    }
                } else {
                    self.atom(first)?
                }
            }
            Rule::lit_list => {
                let items = v
                    .into_inner()
                    .filter(|q| q.as_rule() == Rule::lit_value)
                    .filter_map(|q| self.lit_value(q))
                    .collect();
                Expr {
                    kind: ExprKind::List(items),
                    span,
                }
            }
            _ => self.atom(v)?,
        })
    }

    /// `sign? (number | int | ident)`
    fn signed(&mut self, p: P) -> Option<Expr> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let first = it.next()?;
        if first.as_rule() == Rule::sign {
            let op = if first.as_str() == "-" {
                UnaryOp::Neg
            } else {
                UnaryOp::Plus
            };
            let inner = self.atom(it.next()?)?;
            Some(Expr {
                kind: ExprKind::Unary(op, Box::new(inner)),
                span,
            })
        } else {
            self.atom(first)
        }
    }

    fn dur_arg(&mut self, p: P) -> Option<Expr> {
        let v = p.into_inner().next()?;
        self.atom(v)
    }

    /// Literals and names.
    fn atom(&mut self, p: P) -> Option<Expr> {
        Some(match p.as_rule() {
            Rule::int => self.int(p),
            Rule::number => {
                let span = self.span(&p);
                Expr {
                    kind: ExprKind::Number(p.as_str().parse().unwrap_or(f64::NAN)),
                    span,
                }
            }
            Rule::duration => self.duration(p),
            Rule::time => self.time(p),
            Rule::percent => self.percent(p),
            Rule::string => {
                let s = self.string(p);
                Expr {
                    kind: ExprKind::Str(s.value),
                    span: s.span,
                }
            }
            Rule::bool_lit => {
                let span = self.span(&p);
                Expr {
                    kind: ExprKind::Bool(p.as_str() == "true"),
                    span,
                }
            }
            Rule::ident | Rule::name => {
                let id = if p.as_rule() == Rule::name {
                    self.ident(p.into_inner().next()?)
                } else {
                    self.ident(p)
                };
                Expr {
                    span: id.span,
                    kind: ExprKind::Name(id),
                }
            }
            _ => return None,
        })
    }

    fn int(&mut self, p: P) -> Expr {
        let span = self.span(&p);
        let text = p.as_str();
        let v = text.parse::<i64>().ok();
        if v.is_none() {
            self.diags.push(
                Diagnostic::error(
                    codes::INT_OVERFLOW,
                    format!("`{text}` is too large for a whole number"),
                    span,
                )
                .with_label("too large")
                .with_help("whole numbers go up to 9223372036854775807; write a decimal number like `99999999999999999999.0` if you need a larger value"),
            );
        }
        Expr {
            kind: ExprKind::Int(v),
            span,
        }
    }

    fn duration(&mut self, p: P) -> Expr {
        let span = self.span(&p);
        let v = parse_duration(p.as_str());
        if v.is_none() {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_DURATION,
                    format!("`{}` is too long to be a duration", p.as_str()),
                    span,
                )
                .with_label("out of range"),
            );
        }
        Expr {
            kind: ExprKind::Duration(v),
            span,
        }
    }

    fn percent(&mut self, p: P) -> Expr {
        let span = self.span(&p);
        let num = p.as_str().trim_end_matches('%');
        Expr {
            kind: ExprKind::Percent(num.parse().unwrap_or(f64::NAN)),
            span,
        }
    }

    fn time(&mut self, p: P) -> Expr {
        let span = self.span(&p);
        let text = p.as_str();
        let body = text.strip_prefix('@').unwrap_or(text);
        let v = parse_time(body, TimeSyntax::Literal);
        if v.is_none() {
            let help = time_help(body);
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_TIME,
                    format!("`{text}` is not a valid time"),
                    span,
                )
                .with_label("not a real date and time")
                .with_help(help),
            );
        }
        Expr {
            kind: ExprKind::Time(v),
            span,
        }
    }

    fn string(&mut self, p: P) -> StrLit {
        let span = self.span(&p);
        let body = p.as_str();
        let body = body
            .strip_prefix('"')
            .and_then(|b| b.strip_suffix('"'))
            .unwrap_or(body);
        let value = self.unescape(body, span.start as usize + 1);
        StrLit { value, span }
    }

    /// Decode `\" \\ \n \t \u{…}`; report any other escape.
    fn unescape(&mut self, body: &str, at: usize) -> String {
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((j, e)) = chars.next() else {
                break;
            };
            match e {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let rest = &body[j + 1..];
                    let decoded = rest.strip_prefix('{').and_then(|r| {
                        let close = r.find('}')?;
                        let hex = &r[..close];
                        if hex.is_empty() || hex.len() > 6 {
                            return None;
                        }
                        let n = u32::from_str_radix(hex, 16).ok()?;
                        Some((char::from_u32(n)?, close + 2))
                    });
                    match decoded {
                        Some((ch, used)) => {
                            out.push(ch);
                            // skip the `{…}` characters
                            let stop = j + 1 + used;
                            while chars.peek().is_some_and(|(k, _)| *k < stop) {
                                chars.next();
                            }
                        }
                        None => {
                            let span = Span::new(at + i, at + j + 1);
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_ESCAPE,
                                    "`\\u` must be followed by a character code in braces",
                                    span,
                                )
                                .with_label("invalid character code")
                                .with_help("write the code in hexadecimal, e.g. `\\u{1F600}`"),
                            );
                        }
                    }
                }
                other => {
                    let span = Span::new(at + i, at + j + other.len_utf8());
                    let esc = format!("\\{other}");
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_ESCAPE,
                            format!("`{esc}` is not a known escape in a string"),
                            span,
                        )
                        .with_label("unknown escape")
                        .with_help(
                            "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{…}`; for a backslash write `\\\\`",
                        )
                        .with_suggestion(span, format!("\\\\{other}"), "write the backslash as `\\\\`"),
                    );
                    out.push(other);
                }
            }
        }
        out
    }

    // ------------------------------------------------------------ expressions

    pub fn expr(&mut self, p: P) -> Expr {
        let span = self.span(&p);
        match p.into_inner().next() {
            Some(q) => self.node(q),
            None => Expr {
                kind: ExprKind::Bool(false),
                span,
            },
        }
    }

    fn node(&mut self, p: P) -> Expr {
        let span = self.span(&p);
        let rule = p.as_rule();
        let fallback = Expr {
            kind: ExprKind::Bool(false),
            span,
        };
        match rule {
            Rule::expr => self.expr(p),
            Rule::or_expr | Rule::and_expr | Rule::add_expr | Rule::mul_expr => {
                let mut it = p.into_inner();
                let Some(first) = it.next() else {
                    return fallback;
                };
                let mut acc = self.node(first);
                while let Some(op) = it.next() {
                    let Some(rhs) = it.next() else { break };
                    let bop = match (rule, op.as_str()) {
                        (Rule::or_expr, _) => BinaryOp::Or,
                        (Rule::and_expr, _) => BinaryOp::And,
                        (_, "+") => BinaryOp::Add,
                        (_, "-") => BinaryOp::Sub,
                        (_, "*") => BinaryOp::Mul,
                        _ => BinaryOp::Div,
                    };
                    let rhs = self.node(rhs);
                    let span = acc.span.to(rhs.span);
                    acc = Expr {
                        kind: ExprKind::Binary(bop, Box::new(acc), Box::new(rhs)),
                        span,
                    };
                }
                acc
            }
            Rule::not_expr | Rule::unary_expr => {
                let mut ops = Vec::new();
                let mut operand = None;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::kw_not | Rule::neg_op => ops.push(self.span(&q)),
                        _ => operand = Some(self.node(q)),
                    }
                }
                let Some(mut acc) = operand else {
                    return fallback;
                };
                let op = if rule == Rule::not_expr {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                for s in ops.into_iter().rev() {
                    let span = s.to(acc.span);
                    acc = Expr {
                        kind: ExprKind::Unary(op, Box::new(acc)),
                        span,
                    };
                }
                acc
            }
            Rule::cmp_expr => {
                let mut it = p.into_inner();
                let Some(first) = it.next() else {
                    return fallback;
                };
                let lhs = self.node(first);
                let Some(tail) = it.next() else {
                    return lhs;
                };
                let trule = tail.as_rule();
                let mut parts = tail.into_inner();
                match trule {
                    Rule::between_tail => {
                        let mut adds = parts.filter(|q| q.as_rule() == Rule::add_expr);
                        let (Some(lo), Some(hi)) = (adds.next(), adds.next()) else {
                            return lhs;
                        };
                        let lo = self.node(lo);
                        let hi = self.node(hi);
                        Expr {
                            kind: ExprKind::Between {
                                value: Box::new(lhs),
                                lo: Box::new(lo),
                                hi: Box::new(hi),
                            },
                            span,
                        }
                    }
                    Rule::not_in_tail => {
                        let Some(rhs) = parts.find(|q| q.as_rule() == Rule::add_expr) else {
                            return lhs;
                        };
                        let rhs = self.node(rhs);
                        Expr {
                            kind: ExprKind::Binary(BinaryOp::NotIn, Box::new(lhs), Box::new(rhs)),
                            span,
                        }
                    }
                    _ => {
                        let (Some(op), Some(rhs)) = (parts.next(), parts.next()) else {
                            return lhs;
                        };
                        let bop = match op.as_str() {
                            "==" => BinaryOp::Eq,
                            "!=" => BinaryOp::Ne,
                            "<" => BinaryOp::Lt,
                            "<=" => BinaryOp::Le,
                            ">" => BinaryOp::Gt,
                            ">=" => BinaryOp::Ge,
                            "in" => BinaryOp::In,
                            "contains" => BinaryOp::Contains,
                            "starts_with" => BinaryOp::StartsWith,
                            "ends_with" => BinaryOp::EndsWith,
                            _ => BinaryOp::Matches,
                        };
                        let rhs = self.node(rhs);
                        Expr {
                            kind: ExprKind::Binary(bop, Box::new(lhs), Box::new(rhs)),
                            span,
                        }
                    }
                }
            }
            Rule::paren => match p.into_inner().find(|q| q.as_rule() == Rule::expr) {
                Some(e) => Expr {
                    kind: ExprKind::Paren(Box::new(self.expr(e))),
                    span,
                },
                None => fallback,
            },
            Rule::list => {
                let items = p
                    .into_inner()
                    .filter(|q| q.as_rule() == Rule::expr)
                    .map(|q| self.expr(q))
                    .collect();
                Expr {
                    kind: ExprKind::List(items),
                    span,
                }
            }
            Rule::call => {
                let mut it = p.into_inner();
                let Some(f) = it.next() else {
                    return fallback;
                };
                let func = self.ident(f);
                let mut args = Vec::new();
                for q in it {
                    match q.as_rule() {
                        Rule::expr => args.push(self.expr(q)),
                        Rule::query_arg => {
                            let qspan = self.span(&q);
                            if let Some(query) = self.query_parts(q) {
                                args.push(Expr {
                                    kind: ExprKind::Query(Box::new(query)),
                                    span: qspan,
                                });
                            }
                        }
                        _ => {}
                    }
                }
                Expr {
                    kind: ExprKind::Call { func, args },
                    span,
                }
            }
            _ => self.atom(p).unwrap_or(fallback),
        }
    }
}

/// A rule's first part: a query (`each`, `latest`) or a condition.
enum QueryOrExpr {
    Query(Query),
    Expr(Expr),
}

type Rule_ = crate::ast::Rule;

/// Explain what is wrong with the text of an `@` time.
pub fn time_help(body: &str) -> String {
    let example = "write a date like `@2026-11-01` or an instant like `@2026-11-01T09:30:00Z`";
    if let Some((_, clock)) = body.split_once(['T', 't']) {
        let hm: String = clock
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        if hm.matches(':').count() < 2 {
            return format!(
                "an instant needs seconds and a time zone offset, e.g. `@{}:00Z`",
                body.trim_end_matches(['Z', 'z'])
            );
        }
        if !clock.contains(['Z', 'z', '+']) && !clock[hm.len()..].contains('-') {
            return format!("an instant needs a time zone offset, e.g. `@{body}Z` for UTC");
        }
    }
    format!("the month must be 01–12 and the day must exist in that month; {example}")
}
