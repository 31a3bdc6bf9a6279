//! The IDE layer's plain data to LSP types and back: byte offsets to UTF-16
//! positions (per file, through [`Files`]), kinds to the protocol's kinds,
//! hover parts to Markdown, edits to workspace edits.

use std::collections::HashMap;
use std::sync::Arc;

use mql_ide::{
    Analysis, Cancellable, CompletionKind, FileDiagnostic, FileRange, HighlightKind, Markup,
    Severity, SourceChange, Span, SymbolKind,
};
use tower_lsp_server::ls_types::{
    self as lsp, CompletionItemKind, DiagnosticRelatedInformation, DiagnosticSeverity,
    Documentation, Location, MarkupContent, MarkupKind, NumberOrString, Position, Range,
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend, Uri,
    WorkspaceEdit,
};

use crate::position::Lines;
use crate::uri::path_to_uri;

/// One file's text and line table.
pub struct FileLines {
    pub text: Arc<str>,
    pub lines: Lines,
}

impl FileLines {
    pub fn new(text: Arc<str>) -> FileLines {
        let lines = Lines::new(&text);
        FileLines { text, lines }
    }

    pub fn range(&self, span: Span) -> Range {
        self.lines.range(&self.text, span)
    }

    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }

    pub fn offset(&self, pos: Position) -> usize {
        self.lines.offset(&self.text, pos)
    }

    pub fn span(&self, range: Range) -> Span {
        self.lines.span(&self.text, range)
    }
}

/// The line tables of the files one answer needs, read once each.
pub struct Files<'a> {
    analysis: &'a Analysis,
    files: HashMap<Arc<str>, FileLines>,
}

impl<'a> Files<'a> {
    pub fn new(analysis: &'a Analysis) -> Files<'a> {
        Files {
            analysis,
            files: HashMap::new(),
        }
    }

    pub fn get(&mut self, path: &str) -> Cancellable<&FileLines> {
        if !self.files.contains_key(path) {
            let text = self.analysis.file_text(path)?;
            self.files.insert(Arc::from(path), FileLines::new(text));
        }
        Ok(&self.files[path])
    }

    pub fn location(&mut self, r: &FileRange) -> Cancellable<Option<Location>> {
        let range = self.get(&r.path)?.range(r.span);
        Ok(path_to_uri(&r.path).map(|uri| Location::new(uri, range)))
    }

    pub fn workspace_edit(&mut self, change: &SourceChange) -> Cancellable<WorkspaceEdit> {
        let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for (path, edits) in &change.edits {
            let Some(uri) = path_to_uri(path) else {
                continue;
            };
            let f = self.get(path)?;
            changes.insert(
                uri,
                edits
                    .iter()
                    .map(|e| lsp::TextEdit::new(f.range(e.span), e.new_text.clone()))
                    .collect(),
            );
        }
        Ok(WorkspaceEdit::new(changes))
    }

    /// A diagnostic shown in `path`.
    pub fn diagnostic(&mut self, path: &str, d: &FileDiagnostic) -> Cancellable<lsp::Diagnostic> {
        let range = self.get(path)?.range(d.span);
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let mut related = Vec::new();
        for r in &d.related {
            if let Some(location) = self.location(&r.range)? {
                related.push(DiagnosticRelatedInformation {
                    location,
                    message: r.message.clone(),
                });
            }
        }
        Ok(lsp::Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: d.code.clone().map(NumberOrString::String),
            source: Some(if d.code.is_some() { "mql" } else { "mql test" }.into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..lsp::Diagnostic::default()
        })
    }
}

/// Hover parts as Markdown: code in fenced blocks, text as paragraphs.
pub fn markdown(parts: &[Markup]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Markup::Code(c) => format!("```mql\n{c}\n```"),
            Markup::Text(t) => t.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub fn markdown_doc(text: &str) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value: text.to_string(),
    })
}

pub fn completion_kind(k: CompletionKind) -> CompletionItemKind {
    match k {
        CompletionKind::Keyword => CompletionItemKind::KEYWORD,
        CompletionKind::Field => CompletionItemKind::FIELD,
        CompletionKind::Event => CompletionItemKind::EVENT,
        CompletionKind::Constant => CompletionItemKind::CONSTANT,
        CompletionKind::Variable => CompletionItemKind::VARIABLE,
        CompletionKind::Enum => CompletionItemKind::ENUM,
        CompletionKind::EnumMember => CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Function => CompletionItemKind::FUNCTION,
        CompletionKind::Module => CompletionItemKind::MODULE,
    }
}

pub fn symbol_kind(k: SymbolKind) -> lsp::SymbolKind {
    match k {
        SymbolKind::Module => lsp::SymbolKind::MODULE,
        SymbolKind::File => lsp::SymbolKind::FILE,
        SymbolKind::Struct => lsp::SymbolKind::STRUCT,
        SymbolKind::Event => lsp::SymbolKind::EVENT,
        SymbolKind::Field => lsp::SymbolKind::FIELD,
        SymbolKind::Constant => lsp::SymbolKind::CONSTANT,
        SymbolKind::Variable => lsp::SymbolKind::VARIABLE,
        SymbolKind::Boolean => lsp::SymbolKind::BOOLEAN,
        SymbolKind::Number => lsp::SymbolKind::NUMBER,
        SymbolKind::Enum => lsp::SymbolKind::ENUM,
        SymbolKind::EnumMember => lsp::SymbolKind::ENUM_MEMBER,
        SymbolKind::Operator => lsp::SymbolKind::OPERATOR,
        SymbolKind::Method => lsp::SymbolKind::METHOD,
    }
}

/// The call hierarchy's kinds, as symbol kinds.
pub fn call_kind(k: mql_ide::CallKind) -> lsp::SymbolKind {
    use mql_ide::{CallKind, DefKind};
    match k {
        CallKind::Transition => lsp::SymbolKind::OPERATOR,
        CallKind::Test => lsp::SymbolKind::METHOD,
        CallKind::Def(d) => match d {
            DefKind::Model => lsp::SymbolKind::MODULE,
            DefKind::LeadField | DefKind::EventField => lsp::SymbolKind::FIELD,
            DefKind::Event => lsp::SymbolKind::EVENT,
            DefKind::Const => lsp::SymbolKind::CONSTANT,
            DefKind::Let => lsp::SymbolKind::VARIABLE,
            DefKind::Criterion | DefKind::Segment => lsp::SymbolKind::BOOLEAN,
            DefKind::Score => lsp::SymbolKind::NUMBER,
            DefKind::Tier => lsp::SymbolKind::ENUM,
            DefKind::Stage | DefKind::TierLabel | DefKind::Variant => lsp::SymbolKind::ENUM_MEMBER,
        },
    }
}

const TOKEN_TYPES: &[(HighlightKind, SemanticTokenType)] = &[
    (HighlightKind::Keyword, SemanticTokenType::KEYWORD),
    (HighlightKind::Comment, SemanticTokenType::COMMENT),
    (HighlightKind::String, SemanticTokenType::STRING),
    (HighlightKind::Number, SemanticTokenType::NUMBER),
    (HighlightKind::Operator, SemanticTokenType::OPERATOR),
    (HighlightKind::Variable, SemanticTokenType::VARIABLE),
    (HighlightKind::Property, SemanticTokenType::PROPERTY),
    (HighlightKind::Function, SemanticTokenType::FUNCTION),
    (HighlightKind::Type, SemanticTokenType::TYPE),
    (HighlightKind::EnumMember, SemanticTokenType::ENUM_MEMBER),
    (HighlightKind::Event, SemanticTokenType::EVENT),
    (HighlightKind::Namespace, SemanticTokenType::NAMESPACE),
];

const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::READONLY,
    SemanticTokenModifier::DOCUMENTATION,
    SemanticTokenModifier::DEFAULT_LIBRARY,
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TOKEN_TYPES.iter().map(|(_, t)| t.clone()).collect(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// Highlights as the protocol's relative token list.
pub fn semantic_tokens(f: &FileLines, highlights: &[mql_ide::Highlight]) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(highlights.len());
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for h in highlights {
        let p = f.position(h.span.start as usize);
        let len: usize = f
            .text
            .get(h.span.range())
            .unwrap_or("")
            .chars()
            .map(char::len_utf16)
            .sum();
        let Some(ty) = TOKEN_TYPES.iter().position(|(k, _)| *k == h.kind) else {
            continue;
        };
        let mods = u32::from(h.mods.declaration)
            | u32::from(h.mods.readonly) << 1
            | u32::from(h.mods.documentation) << 2
            | u32::from(h.mods.default_library) << 3;
        let delta_line = p.line.saturating_sub(prev_line);
        let delta_start = if delta_line == 0 {
            p.character.saturating_sub(prev_col)
        } else {
            p.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: len as u32,
            token_type: ty as u32,
            token_modifiers_bitset: mods,
        });
        prev_line = p.line;
        prev_col = p.character;
    }
    out
}
