//! Reading raw CRM exports (language.md §3.1, cli-and-data.md v1.1): source
//! names, value labels, placeholders, stage labels, and the warning about a
//! declared field that nothing fills — in JSON, NDJSON, CSV and events files.

use std::sync::Arc;

use mql_core::{EnumTy, EventDef, FieldDef, LeadRecord, Schema, Symbols, Ty, Value};
use mql_data::{read_events, DataIssue, Issues, LeadReader, ReadOptions, Source};

/// An enum whose variants are `name` or `name=Label|Label`.
fn enum_ty(symbols: &mut Symbols, variants: &[&str]) -> Arc<EnumTy> {
    let mut names = Vec::new();
    let mut labels = Vec::new();
    for v in variants {
        let (name, ls) = v.split_once('=').unwrap_or((v, ""));
        names.push(name.to_string());
        labels.push(
            ls.split('|')
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        );
    }
    let syms = names.iter().map(|n| symbols.intern(n)).collect();
    let mut e = EnumTy::new(names, syms);
    e.labels = labels;
    Arc::new(e)
}

fn field(name: &str, ty: Ty, source: Option<&str>, missing: &[&str]) -> FieldDef {
    let mut f = FieldDef::new(name, ty);
    f.source = source.map(str::to_string);
    f.missing = missing.iter().map(|m| m.to_string()).collect();
    f
}

const BLOCK: &[&str] = &["Select", "N/A"];

/// A CRM-shaped schema: `lead { missing "Select", "N/A" … }`.
fn schema() -> Schema {
    let mut symbols = Symbols::default();
    let seniority = enum_ty(
        &mut symbols,
        &["intern", "manager", "vp=Vice President|VP", "cxo=C-Level"],
    );
    let tags = enum_ty(&mut symbols, &["ai=Artificial Intelligence", "cloud"]);
    let device = enum_ty(&mut symbols, &["desktop=Desktop PC", "mobile"]);
    let stages = enum_ty(
        &mut symbols,
        &["prospect", "lead=Lead", "mql=Marketing Qualified Lead|MQL"],
    );
    Schema {
        lead: vec![
            field("total_visits", Ty::Int, Some("TotalVisits"), BLOCK),
            field(
                "occupation",
                Ty::String,
                Some("What is your current occupation"),
                BLOCK,
            ),
            field("seniority", Ty::Enum(seniority), None, BLOCK),
            field("revenue", Ty::Number, None, &["Select", "N/A", "-"]),
            field("vip", Ty::Bool, Some("Is VIP?"), BLOCK),
            field("signup_at", Ty::Time, None, BLOCK),
            field(
                "interests",
                Ty::List(Box::new(Ty::Enum(tags))),
                None,
                &["Select", "N/A", "none"],
            ),
            field(
                "scores",
                Ty::List(Box::new(Ty::Int)),
                None,
                &["Select", "N/A", "-"],
            ),
            // A placeholder spelled like a label: the placeholder wins.
            field(
                "level",
                Ty::Enum(enum_ty(&mut symbols, &["low", "other=Other"])),
                None,
                &["other"],
            ),
        ],
        events: vec![EventDef {
            name: "page_view".into(),
            fields: vec![
                field("url", Ty::String, Some("Page URL"), &["n/a"]),
                field("seconds", Ty::Int, Some("Time On Page"), &["n/a"]),
                field("device", Ty::Enum(device), None, &["n/a"]),
            ],
        }],
        stages: Some(stages),
        symbols,
    }
}

struct Read {
    leads: Vec<LeadRecord>,
    issues: Vec<DataIssue>,
}

impl Read {
    fn lines(&self, warnings: bool) -> String {
        self.issues
            .iter()
            .filter(|i| i.is_warning() == warnings)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn read(schema: &Schema, name: &str, text: &str, events: Option<(&str, &str)>) -> Read {
    let mut got = Vec::new();
    let leads = {
        let mut issues = Issues::collect(&mut got);
        let options = ReadOptions::default();
        let index = events.map(|(n, t)| {
            read_events(schema, Source::from_text(n, t), &options, &mut issues).unwrap()
        });
        let mut reader =
            LeadReader::new(schema, Source::from_text(name, text), &options, issues).unwrap();
        if let Some(index) = index {
            reader = reader.with_events(index);
        }
        reader.read_all().unwrap().0
    };
    Read { leads, issues: got }
}

fn sym(s: &Schema, name: &str) -> Value {
    Value::Enum(s.symbols.get(name).expect("a variant"))
}

#[test]
fn source_names_labels_and_placeholders_in_csv() {
    let s = schema();
    let csv = "\
id,TotalVisits,What is your current occupation,Seniority,revenue,IS VIP?,Signup At,interests,scores,level,stage
1,5,Working Professional, vice president ,2500.5,yes,2026-05-01,artificial intelligence; CLOUD,1;2,low,marketing qualified lead
2,select,n/a ,VP,-,Select,N/A,none,-,Other,lead
3,N/A,Select,c-level,N/A,N/A,select,AI;none;Select;cloud,3;-;4,other, MQL
4, 7 ,Student,Vice Pres,12,no,2026-01-02,,,,LEAD
";
    let r = read(&s, "leads.csv", csv, None);
    insta::assert_snapshot!(r.lines(false), @"data error: leads.csv:5:4: lead 4: field `seniority`: \"Vice Pres\" is not one of intern, manager, vp (\"Vice President\", \"VP\"), cxo (\"C-Level\") (treated as unknown)");
    assert_eq!(r.lines(true), "", "every field is filled");
    let l = &r.leads;
    // Source names: exact ("TotalVisits") and normalised ("is-vip" is `Is VIP?`).
    assert_eq!(l[0].fields[0], Value::Int(5));
    assert_eq!(l[0].fields[1], Value::Str("Working Professional".into()));
    assert_eq!(
        l[0].fields[2],
        sym(&s, "vp"),
        "a label in another case and spacing"
    );
    assert_eq!(
        l[2].fields[2],
        sym(&s, "cxo"),
        "`c-level` is the label `C-Level`"
    );
    assert_eq!(l[0].fields[4], Value::Bool(true));
    assert_eq!(
        l[0].fields[6],
        Value::List(vec![sym(&s, "ai"), sym(&s, "cloud")].into())
    );
    assert_eq!(l[0].stage, s.symbols.get("mql"), "a stage by its label");
    // Placeholders: any type, trimmed and in any case, never a data error.
    for (i, v) in l[1].fields.iter().enumerate() {
        let want = if i == 2 {
            sym(&s, "vp")
        } else {
            Value::Unknown
        };
        assert_eq!(*v, want, "field {i} of {:?}", l[1].fields);
    }
    assert_eq!(
        l[1].fields[8],
        Value::Unknown,
        "the placeholder wins over the label `Other`"
    );
    assert_eq!(l[1].stage, s.symbols.get("lead"));
    assert_eq!(l[2].fields[2], sym(&s, "cxo"));
    // List items that are placeholders are dropped; a whole cell makes it unknown.
    assert_eq!(
        l[2].fields[6],
        Value::List(vec![sym(&s, "ai"), sym(&s, "cloud")].into())
    );
    assert_eq!(
        l[2].fields[7],
        Value::List(vec![Value::Int(3), Value::Int(4)].into())
    );
    assert_eq!(l[1].fields[7], Value::Unknown);
    assert_eq!(l[2].stage, s.symbols.get("mql"));
    assert_eq!(l[3].fields[0], Value::Int(7));
    assert_eq!(l[3].stage, s.symbols.get("lead"));
}

#[test]
fn placeholders_compare_only_text_in_json() {
    let s = schema();
    let mut symbols = Symbols::default();
    let _ = &mut symbols;
    // `revenue` treats "-" as no value; the number 0 is never a placeholder,
    // even where "0" would be one.
    let mut s2 = s.clone();
    s2.lead[0].missing = vec!["0".into()];
    let text = r#"{"id": "a", "TotalVisits": "0", "revenue": "-", "seniority": " Vice President ", "interests": ["none", "AI", "N/A"], "scores": ["-", 5, "select"], "level": "OTHER", "stage": "Marketing Qualified Lead"}
{"id": "b", "TotalVisits": 0, "revenue": " n/a ", "seniority": "Select", "interests": "N/A", "scores": "-", "level": "low"}
"#;
    let r = read(&s2, "leads.ndjson", text, None);
    assert_eq!(r.lines(false), "");
    let (a, b) = (&r.leads[0], &r.leads[1]);
    assert_eq!(
        a.fields[0],
        Value::Unknown,
        "the text \"0\" is a placeholder"
    );
    assert_eq!(b.fields[0], Value::Int(0), "the number 0 is not");
    assert_eq!(a.fields[3], Value::Unknown);
    assert_eq!(b.fields[3], Value::Unknown);
    assert_eq!(a.fields[2], sym(&s, "vp"));
    assert_eq!(b.fields[2], Value::Unknown);
    assert_eq!(a.fields[6], Value::List(vec![sym(&s, "ai")].into()));
    assert_eq!(b.fields[6], Value::Unknown);
    assert_eq!(a.fields[7], Value::List(vec![Value::Int(5)].into()));
    assert_eq!(b.fields[7], Value::Unknown);
    assert_eq!(
        a.fields[8],
        Value::Unknown,
        "a placeholder wins over a label"
    );
    assert_eq!(b.fields[8], sym(&s, "low"));
    assert_eq!(a.stage, s.symbols.get("mql"));
    // The key of the field's own name does not fill a field read `from` another.
    let r = read(&s, "leads.ndjson", "{\"total_visits\": 3}\n", None);
    assert_eq!(r.leads[0].fields[0], Value::Unknown);
    assert!(r
        .lines(false)
        .contains("key `total_visits` is not declared by the model"));
}

#[test]
fn events_read_by_source_names_labels_and_placeholders() {
    let s = schema();
    let events = "\
lead_id,type,at,page url,Time On Page,Device
a,page_view,2026-05-01,/pricing,30,desktop pc
a,page_view,2026-05-02,N/A,n/a,n/a
";
    let leads = r#"{"id": "a", "TotalVisits": 1, "events": [{"type": "page_view", "at": "2026-05-03", "Page URL": "/", "time on page": "N/A", "device": "MOBILE"}]}"#;
    let r = read(&s, "leads.ndjson", leads, Some(("events.csv", events)));
    assert_eq!(r.lines(false), "");
    let views = &r.leads[0].events[0];
    assert_eq!(views.len(), 3);
    assert_eq!(
        views[0].fields.to_vec(),
        vec![
            Value::Str("/pricing".into()),
            Value::Int(30),
            sym(&s, "desktop")
        ]
    );
    assert_eq!(views[1].fields.to_vec(), vec![Value::Unknown; 3]);
    assert_eq!(
        views[2].fields.to_vec(),
        vec![Value::Str("/".into()), Value::Unknown, sym(&s, "mobile")]
    );
}

#[test]
fn unfilled_fields_are_warned_about_at_a_csv_header() {
    let s = schema();
    let csv = "id,Total Visits,Occupation,Seniority Level,Revenue ($),Is VIP?,signup_at,interests,scores,level\n1,3,x,vp,1,yes,2026-01-01,,,\n";
    let r = read(&s, "leads.csv", csv, None);
    insta::assert_snapshot!(r.lines(true), @r#"
    warning: field `total_visits` (from "TotalVisits") is not filled by any column of leads.csv; the column `Total Visits` looks like it: write `total_visits: int from "Total Visits"`
    warning: field `occupation` (from "What is your current occupation") is not filled by any column of leads.csv; the column `Occupation` looks like it: write `occupation: string from "Occupation"`
    warning: field `seniority` is not filled by any column of leads.csv; the column `Seniority Level` looks like it: write `seniority: enum { … } from "Seniority Level"`
    warning: field `revenue` is not filled by any column of leads.csv; the column `Revenue ($)` looks like it: write `revenue: number from "Revenue ($)"`
    "#);
    let w = r.issues.iter().find(|i| i.is_warning()).expect("a warning");
    assert_eq!(
        (w.line, w.field.as_deref(), w.lead.as_ref()),
        (1, Some("total_visits"), None)
    );
    assert_eq!(r.leads[0].fields[0], Value::Unknown);
}

#[test]
fn unfilled_fields_are_warned_about_once_at_the_end_of_json() {
    let s = schema();
    // `TotalVisit` (a typo) fills nothing; `scores` is null in one record,
    // which counts as having the key; `level` and `signup_at` are never there.
    let text = r#"{"id": 1, "TotalVisit": 3, "What is your current occupation": "x", "seniority": "vp", "revenue": 1, "Is VIP?": true, "interests": [], "scores": null, "events": [{"type": "page_view", "at": "2026-01-01", "Page URL": "/", "secs": 4}]}
{"id": 2, "TotalVisit": 4}
"#;
    let r = read(&s, "leads.ndjson", text, None);
    insta::assert_snapshot!(r.lines(true), @r#"
    warning: field `total_visits` (from "TotalVisits") is not filled by any key of leads.ndjson; the key `TotalVisit` looks like it: write `total_visits: int from "TotalVisit"`
    warning: field `signup_at` is not filled by any key of leads.ndjson, so it is unknown everywhere; if the data holds it under another name, write `signup_at: time from "…"` with that name
    warning: field `level` is not filled by any key of leads.ndjson, so it is unknown everywhere; if the data holds it under another name, write `level: enum { … } from "…"` with that name
    warning: field `seconds` of event `page_view` (from "Time On Page") is not filled by any key of the `page_view` events in leads.ndjson, so it is unknown everywhere; if the data holds it under another name, write `seconds: int from "…"` with that name
    warning: field `device` of event `page_view` is not filled by any key of the `page_view` events in leads.ndjson, so it is unknown everywhere; if the data holds it under another name, write `device: enum { … } from "…"` with that name
    "#);
    // Warnings come after every record's issues, and each field once.
    assert!(r.issues.last().is_some_and(DataIssue::is_warning));
    // An empty file fills nothing and is not warned about.
    let r = read(&s, "leads.ndjson", "\n", None);
    assert_eq!(r.lines(true), "");
}

#[test]
fn an_events_csv_header_is_checked_per_event_type() {
    let s = schema();
    let events = "lead_id,type,at,URL,Time On Page\n1,page_view,2026-01-01,/,3\n";
    let r = read(
        &s,
        "leads.csv",
        "id,TotalVisits,What is your current occupation,seniority,revenue,Is VIP?,signup_at,interests,scores,level\n1,,,,,,,,,\n",
        Some(("events.csv", events)),
    );
    insta::assert_snapshot!(r.lines(true), @r#"
    warning: field `url` of event `page_view` (from "Page URL") is not filled by any column of events.csv; the column `URL` looks like it: write `url: string from "URL"`
    warning: field `device` of event `page_view` is not filled by any column of events.csv, so it is unknown everywhere; if the data holds it under another name, write `device: enum { … } from "…"` with that name
    "#);
}

/// Lines decoded on several threads warn exactly like lines read one by one:
/// what each thread saw of the keys is merged before the end.
#[test]
fn warnings_do_not_depend_on_threads() {
    let s = schema();
    let mut text = String::new();
    for i in 0..500 {
        // Only one line, far into the file, has `signup_at`; another `level`.
        let extra = match i {
            377 => ", \"signup_at\": \"2026-01-01\"",
            41 => ", \"level\": \"low\"",
            _ => "",
        };
        text.push_str(&format!(
            "{{\"id\": {i}, \"TotalVisits\": {i}, \"Secs\": 1{extra}}}\n"
        ));
    }
    let sequential = read(&s, "leads.ndjson", &text, None).lines(true);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .expect("a thread pool");
    let mut got = Vec::new();
    pool.install(|| {
        let mut reader = LeadReader::new(
            &s,
            Source::from_text("leads.ndjson", &text),
            &ReadOptions::default(),
            Issues::collect(&mut got),
        )
        .unwrap();
        while !reader.next_chunk(128).unwrap().is_empty() {}
    });
    let parallel: Vec<String> = got
        .iter()
        .filter(|i| i.is_warning())
        .map(|i| i.to_string())
        .collect();
    assert_eq!(parallel.join("\n"), sequential);
    assert!(!sequential.contains("`signup_at`"), "{sequential}");
    assert!(!sequential.contains("`level`"), "{sequential}");
    assert!(sequential.contains("`occupation`"), "{sequential}");
}

/// A workbook as a CRM exports it, built here: a notes sheet first, then the
/// leads (typed cells, labels, placeholders, a header not in row 1), then
/// the events.
fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let notes = book.add_worksheet().set_name("Notes").unwrap();
    notes.write_string(0, 0, "exported from the CRM").unwrap();
    let leads = book.add_worksheet().set_name("Leads").unwrap();
    // Rows 1-2 are empty: the header is row 3, so lead 1 is on line 4.
    let header = [
        "Id",
        "TotalVisits",
        "What is your current occupation",
        "Seniority",
        "revenue",
        "Is VIP?",
        "signup_at",
        "interests",
        "scores",
        "level",
        "Stage",
    ];
    for (c, h) in header.iter().enumerate() {
        leads.write_string(2, c as u16, *h).unwrap();
    }
    let signup = ExcelDateTime::from_ymd(2026, 5, 1)
        .unwrap()
        .and_hms(9, 30, 0)
        .unwrap();
    // Lead 1: typed cells.
    leads.write_number(3, 0, 1001.0).unwrap();
    leads.write_number(3, 1, 12.0).unwrap();
    leads.write_string(3, 2, "Student").unwrap();
    leads.write_string(3, 3, "Vice President").unwrap();
    leads.write_number(3, 4, 2500.5).unwrap();
    leads.write_boolean(3, 5, true).unwrap();
    leads
        .write_datetime_with_format(3, 6, &signup, &date)
        .unwrap();
    leads.write_string(3, 7, "AI; cloud").unwrap();
    leads.write_number(3, 8, 7.0).unwrap();
    leads.write_string(3, 9, "low").unwrap();
    leads.write_string(3, 10, "MQL").unwrap();
    // Lead 2: placeholders in text cells, a bad number.
    leads.write_string(4, 0, "L-2").unwrap();
    leads.write_string(4, 1, "Select").unwrap();
    leads.write_string(4, 2, "N/A").unwrap();
    leads.write_string(4, 3, "select").unwrap();
    leads.write_number(4, 4, 0.0).unwrap();
    leads.write_string(4, 5, "no").unwrap();
    leads.write_string(4, 6, "2026-01-02").unwrap();
    leads.write_string(4, 7, "none").unwrap();
    leads.write_string(4, 8, "1;-;2").unwrap();
    leads.write_number(4, 9, 3.0).unwrap();
    // Row 6 is blank; lead 3 is on line 7 with a date where a number belongs.
    leads.write_number(6, 0, 3.0).unwrap();
    leads
        .write_datetime_with_format(6, 1, &signup, &date)
        .unwrap();
    let events = book.add_worksheet().set_name("Events").unwrap();
    for (c, h) in [
        "lead_id",
        "type",
        "at",
        "Page URL",
        "Time On Page",
        "device",
    ]
    .iter()
    .enumerate()
    {
        events.write_string(0, c as u16, *h).unwrap();
    }
    events.write_number(1, 0, 1001.0).unwrap();
    events.write_string(1, 1, "page_view").unwrap();
    events
        .write_datetime_with_format(1, 2, &signup, &date)
        .unwrap();
    events.write_string(1, 3, "/pricing").unwrap();
    events.write_number(1, 4, 45.0).unwrap();
    events.write_string(1, 5, "Desktop PC").unwrap();
    book.save_to_buffer().expect("a workbook")
}

#[test]
fn workbooks_are_read_like_csv_with_typed_cells() {
    let s = schema();
    let bytes = workbook();
    let mut got = Vec::new();
    let leads = {
        let mut issues = Issues::collect(&mut got);
        let events = read_events(
            &s,
            Source::new("crm.xlsx", Box::new(std::io::Cursor::new(bytes.clone()))),
            &ReadOptions {
                sheet: Some("events".into()),
                ..Default::default()
            },
            &mut issues,
        )
        .unwrap();
        let options = ReadOptions {
            sheet: Some("Leads".into()),
            ..Default::default()
        };
        let source = Source::new("crm.xlsx", Box::new(std::io::Cursor::new(bytes)));
        let reader = LeadReader::new(&s, source, &options, issues).unwrap();
        reader.with_events(events).read_all().unwrap().0
    };
    let r = Read { leads, issues: got };
    insta::assert_snapshot!(r.lines(false), @r#"
    data error: crm.xlsx:5:10: lead L-2: field `level`: expected one of low, other ("Other"), found the number 3 (treated as unknown)
    data error: crm.xlsx:7:2: lead 3: field `total_visits`: expected a whole number, found the date 2026-05-01T09:30:00Z (treated as unknown)
    "#);
    assert_eq!(r.lines(true), "");
    let l = &r.leads;
    assert_eq!(l.len(), 3);
    assert_eq!(
        l[0].id,
        mql_core::LeadId::Str("1001".into()),
        "a number cell id, as text"
    );
    assert_eq!(l[0].fields[0], Value::Int(12));
    assert_eq!(l[0].fields[2], sym(&s, "vp"));
    assert_eq!(l[0].fields[3], Value::Number(2500.5));
    assert_eq!(l[0].fields[4], Value::Bool(true));
    let signup =
        mql_core::time::parse_time("2026-05-01T09:30:00Z", mql_core::time::TimeSyntax::Data)
            .unwrap();
    assert_eq!(l[0].fields[5], Value::Time(signup));
    assert_eq!(
        l[0].fields[6],
        Value::List(vec![sym(&s, "ai"), sym(&s, "cloud")].into())
    );
    assert_eq!(l[0].fields[7], Value::List(vec![Value::Int(7)].into()));
    assert_eq!(l[0].stage, s.symbols.get("mql"));
    // The events sheet joined by the id's text.
    let views = &l[0].events[0];
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].at, signup);
    assert_eq!(
        views[0].fields.to_vec(),
        vec![
            Value::Str("/pricing".into()),
            Value::Int(45),
            sym(&s, "desktop")
        ]
    );
    // Placeholders in text cells; a number cell is never one.
    assert_eq!(l[1].fields[0], Value::Unknown);
    assert_eq!(l[1].fields[1], Value::Unknown);
    assert_eq!(l[1].fields[2], Value::Unknown);
    assert_eq!(l[1].fields[3], Value::Number(0.0));
    assert_eq!(l[1].fields[4], Value::Bool(false));
    assert_eq!(l[1].fields[6], Value::Unknown);
    assert_eq!(
        l[1].fields[7],
        Value::List(vec![Value::Int(1), Value::Int(2)].into())
    );
    assert_eq!(l[2].id, mql_core::LeadId::Str("3".into()));
}

#[test]
fn a_missing_sheet_or_a_file_that_is_no_workbook_stops_the_read() {
    let s = schema();
    let options = ReadOptions {
        sheet: Some("Contacts".into()),
        ..Default::default()
    };
    let source = Source::new("crm.xlsx", Box::new(std::io::Cursor::new(workbook())));
    let err = LeadReader::new(&s, source, &options, Issues::ignore())
        .err()
        .expect("an error");
    assert_eq!(
        err.to_string(),
        "`crm.xlsx` has no sheet named `Contacts`; its sheets are `Notes`, `Leads`, `Events`"
    );
    let source = Source::from_text("crm.xlsx", "id,name\n1,x\n");
    let err = LeadReader::new(&s, source, &ReadOptions::default(), Issues::ignore())
        .err()
        .expect("an error");
    assert!(
        err.to_string()
            .starts_with("`crm.xlsx` cannot be read as an Excel workbook (.xlsx): "),
        "{err}"
    );
    // The first sheet by default: the notes have no field, every field is warned about.
    let source = Source::new("crm.xlsx", Box::new(std::io::Cursor::new(workbook())));
    let mut got = Vec::new();
    let reader = LeadReader::new(
        &s,
        source,
        &ReadOptions::default(),
        Issues::collect(&mut got),
    )
    .unwrap();
    assert_eq!(reader.read_all().unwrap().0.len(), 0);
    assert!(got.iter().any(|i| i.is_warning()));
}
