//! GraphQL executable documents, as far as this gateway's GraphQL endpoint serves them:
//! operations with variable definitions, fields with aliases, arguments and selection sets, and
//! every kind of value literal. Fragments and directives are refused with a clear error rather
//! than half-supported, and nesting is capped so that no input can exhaust the stack.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Var(String),
    Int(i64),
    Float(f64),
    /// A string or block string, escapes resolved.
    Str(String),
    Bool(bool),
    Null,
    /// A bare name other than true/false/null.
    Enum(String),
    List(Vec<Value>),
    /// Members in source order.
    Object(Vec<(String, Value)>),
}

/// 1-based; `column` counts chars, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug)]
pub struct Field {
    pub alias: Option<String>,
    pub name: String,
    pub args: Vec<(String, Value)>,
    /// Empty when the field has no selection set.
    pub selection: Vec<Field>,
    /// Where the field (its alias, if any) starts.
    pub at: Pos,
}

impl Field {
    /// The response key: the alias, else the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Query,
    Mutation,
    Subscription,
}

#[derive(Debug)]
pub struct VarDef {
    /// Without the `$`.
    pub name: String,
    /// As written, whitespace removed: `String!`, `[Int!]`.
    pub ty: String,
    /// The outermost type is non-null.
    pub required: bool,
    pub default: Option<Value>,
    pub at: Pos,
}

#[derive(Debug)]
pub struct Operation {
    pub kind: OpKind,
    pub name: Option<String>,
    pub vars: Vec<VarDef>,
    pub selection: Vec<Field>,
    pub at: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub at: Pos,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Pos { line, column } = self.at;
        write!(f, "{} at line {line}, column {column}", self.message)
    }
}

impl std::error::Error for ParseError {}

fn fail<T>(at: Pos, message: impl Into<String>) -> Result<T, ParseError> {
    let message = message.into();
    Err(ParseError { message, at })
}

/// Refuses a second `what` called `name`.
fn unique(taken: bool, at: Pos, what: &str, name: &str) -> Result<(), ParseError> {
    match taken {
        true => fail(at, format!("there are two {what} named `{name}`")),
        false => Ok(()),
    }
}

const MAX_DEPTH: u32 = 32;
const FRAGMENTS: &str = "fragments are not supported by this endpoint";
const DIRECTIVES: &str = "directives are not supported by this endpoint";

/// Every operation of the document, in order.
pub fn parse(src: &str) -> Result<Vec<Operation>, ParseError> {
    let mut p = Parser::new(src)?;
    let mut ops: Vec<Operation> = Vec::new();
    while p.tok.tok != Tok::End {
        ops.push(p.operation()?);
    }
    if ops.is_empty() {
        return fail(p.tok.at, "the document holds no operation");
    }
    if let Some(anon) = ops.iter().find(|op| op.name.is_none() && ops.len() > 1) {
        return fail(
            anon.at,
            "an anonymous operation must be the only one in its document",
        );
    }
    for (n, op) in ops.iter().enumerate() {
        if let Some(name) = &op.name {
            let taken = ops.iter().take(n).any(|o| o.name.as_ref() == Some(name));
            unique(taken, op.at, "operations", name)?;
        }
    }
    Ok(ops)
}

/// One constant value literal alone (e.g. `{field: CREATED_AT, direction: DESC}`), surrounding
/// whitespace allowed, nothing else after it. Variables are an error here.
pub fn parse_value(src: &str) -> Result<Value, ParseError> {
    let mut p = Parser::new(src)?;
    let value = p.value(true)?;
    match p.tok.tok {
        Tok::End => Ok(value),
        _ => Err(p.unexpected("the end of the value")),
    }
}

/// A JSON value (a request's `variables`) as a Value; an integer that does not fit i64 becomes
/// a Float, and object members come in the map's order.
pub fn from_json(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(f)) => Value::Float(f),
            // Only with serde_json's arbitrary_precision, for a number no f64 can hold.
            (None, None) => Value::Str(n.to_string()),
        },
        J::String(s) => Value::Str(s.clone()),
        J::Array(items) => Value::List(items.iter().map(from_json).collect()),
        J::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

impl Value {
    /// Whether two (variable-free) values are the same. Enum and Str compare by text because a
    /// variable of an enum type arrives in JSON as a string; Int and Float compare by number;
    /// objects compare as sets of members.
    pub fn same(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Str(a) | Enum(a), Str(b) | Enum(b)) | (Var(a), Var(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => *a as f64 == *b,
            (Float(a), Float(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Null, Null) => true,
            (List(a), List(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)),
            // Keys are unique on both sides (literals refuse duplicates, JSON maps have none),
            // so equal length plus "every member found" is set equality.
            (Object(a), Object(b)) => {
                let found =
                    |(k, v): &(String, Value)| b.iter().any(|(k2, v2)| k == k2 && v.same(v2));
                a.len() == b.len() && a.iter().all(found)
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Punct(char),
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    End,
}

#[derive(Debug)]
struct Token {
    tok: Tok,
    /// The source text, for error messages; empty for strings, which may be long or multi-line.
    raw: String,
    at: Pos,
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// The source as chars, so that columns count chars and no index can split one.
struct Lexer {
    chars: Vec<char>,
    i: usize,
    pos: Pos,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn looking_at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(n, c)| self.chars.get(self.i + n) == Some(&c))
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        // CR LF is one line terminator: the CR only moves the column, the LF the line.
        if c == '\n' || (c == '\r' && self.peek() != Some('\n')) {
            self.pos.line = self.pos.line.saturating_add(1);
            self.pos.column = 1;
        } else {
            self.pos.column = self.pos.column.saturating_add(1);
        }
        Some(c)
    }

    fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }

    /// Takes the next char into `text` if it passes `ok`.
    fn take(&mut self, text: &mut String, ok: impl Fn(char) -> bool) -> bool {
        match self.peek().filter(|c| ok(*c)) {
            Some(c) => {
                text.push(c);
                self.bump();
                true
            }
            None => false,
        }
    }

    fn skip_ignored(&mut self) {
        let mut comment = false;
        while let Some(c) = self.peek() {
            match c {
                '\n' | '\r' => comment = false,
                '#' => comment = true,
                ' ' | '\t' | ',' | '\u{feff}' => {}
                _ if comment => {}
                _ => return,
            }
            self.bump();
        }
    }

    fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_ignored();
        let at = self.pos;
        let token = |tok: Tok, raw: String| Ok(Token { tok, raw, at });
        let Some(c) = self.peek() else {
            return token(Tok::End, String::new());
        };
        match c {
            '!' | '$' | '&' | '(' | ')' | ':' | '=' | '[' | ']' | '{' | '}' | '|' => {
                self.bump();
                token(Tok::Punct(c), c.to_string())
            }
            // Outside strings, "@" and "..." only ever start a directive or a fragment spread.
            '@' => fail(at, DIRECTIVES),
            '.' if self.looking_at("...") => fail(at, FRAGMENTS),
            '"' if self.looking_at("\"\"\"") => {
                token(Tok::Str(self.block_string(at)?), String::new())
            }
            '"' => token(Tok::Str(self.string(at)?), String::new()),
            '-' | '0'..='9' => self.number(at),
            '_' | 'a'..='z' | 'A'..='Z' => {
                let mut name = String::new();
                while self.take(&mut name, is_name_char) {}
                token(Tok::Name(name.clone()), name)
            }
            _ => fail(at, format!("unexpected character \"{}\"", c.escape_debug())),
        }
    }

    fn digits(&mut self, text: &mut String) -> usize {
        let mut n = 0;
        while self.take(text, |c| c.is_ascii_digit()) {
            n += 1;
        }
        n
    }

    fn number(&mut self, at: Pos) -> Result<Token, ParseError> {
        let mut text = String::new();
        self.take(&mut text, |c| c == '-');
        let int_digits = self.digits(&mut text);
        let leading_zero = int_digits > 1 && text.trim_start_matches('-').starts_with('0');
        let mut ok = int_digits > 0 && !leading_zero;
        let mut float = false;
        if ok && self.take(&mut text, |c| c == '.') {
            float = true;
            ok = self.digits(&mut text) > 0;
        }
        if ok && self.take(&mut text, |c| c == 'e' || c == 'E') {
            float = true;
            self.take(&mut text, |c| c == '+' || c == '-');
            ok = self.digits(&mut text) > 0;
        }
        // "1.2.3" and "12abc" would otherwise split silently into two tokens.
        if !ok || self.take(&mut text, |c| c == '.' || is_name_char(c)) {
            return fail(at, format!("invalid number \"{text}\""));
        }
        let out_of_range = format!("the number {text} is out of range");
        let tok = match text.parse::<f64>() {
            Ok(f) if float && f.is_finite() => Tok::Float(f),
            _ if float => return fail(at, out_of_range),
            _ => match text.parse() {
                Ok(i) => Tok::Int(i),
                Err(_) => return fail(at, out_of_range),
            },
        };
        Ok(Token { tok, raw: text, at })
    }

    fn string(&mut self, at: Pos) -> Result<String, ParseError> {
        self.bump();
        let mut out = String::new();
        loop {
            let escape_at = self.pos;
            let c = match self.bump() {
                None | Some('\n' | '\r') => return fail(at, "unterminated string"),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    None => return fail(at, "unterminated string"),
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    Some('u') => self.unicode_escape(escape_at)?,
                    Some(c @ ('"' | '\\' | '/')) => c,
                    Some(c) => {
                        let msg = format!("invalid escape sequence \"\\{}\"", c.escape_debug());
                        return fail(escape_at, msg);
                    }
                },
                Some(c) => c,
            };
            out.push(c);
        }
    }

    /// After `\u`: one code point, joining a surrogate pair written as two escapes.
    fn unicode_escape(&mut self, at: Pos) -> Result<char, ParseError> {
        let first = self.hex_code(at)?;
        let mut code = Some(first);
        if (0xD800..0xDC00).contains(&first) {
            code = None;
            if self.looking_at("\\u") {
                self.skip(2);
                let second = self.hex_code(at)?;
                if (0xDC00..0xE000).contains(&second) {
                    code = Some(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
                }
            }
        }
        match code.and_then(char::from_u32) {
            Some(c) => Ok(c),
            None => fail(at, "invalid Unicode escape sequence"),
        }
    }

    /// `XXXX`, or `{X…}` as the October 2021 spec also allows.
    fn hex_code(&mut self, at: Pos) -> Result<u32, ParseError> {
        let braced = self.peek() == Some('{');
        if braced {
            self.bump();
        }
        let mut code: u32 = 0;
        for n in 0.. {
            if (braced && n > 0 && self.looking_at("}")) || (!braced && n == 4) {
                break;
            }
            let digit = self.bump().and_then(|c| c.to_digit(16));
            // The bound keeps a long run of digits from overflowing.
            match digit
                .zip(code.checked_mul(16))
                .filter(|(_, c)| *c <= 0x10FFFF)
            {
                Some((d, c)) => code = c + d,
                None => return fail(at, "invalid Unicode escape sequence"),
            }
        }
        if braced {
            self.bump();
        }
        Ok(code)
    }

    fn block_string(&mut self, at: Pos) -> Result<String, ParseError> {
        self.skip(3);
        let mut raw = String::new();
        loop {
            if self.looking_at("\"\"\"") {
                self.skip(3);
                return Ok(block_string_value(&raw));
            } else if self.looking_at("\\\"\"\"") {
                self.skip(4);
                raw.push_str("\"\"\"");
            } else if !self.take(&mut raw, |_| true) {
                return fail(at, "unterminated block string");
            }
        }
    }
}

/// The spec's BlockStringValue: common indentation removed, blank first and last lines dropped.
fn block_string_value(raw: &str) -> String {
    let normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
    let indent = |l: &str| l.chars().take_while(|c| *c == ' ' || *c == '\t').count();
    let blank = |l: &&str| l.chars().all(|c| c == ' ' || c == '\t');
    let lines: Vec<&str> = normalized.split('\n').collect();
    let common = lines
        .iter()
        .skip(1)
        .filter(|l| !blank(l))
        .map(|l| indent(l))
        .min();
    // The prefix removed is spaces and tabs, so its char count is its byte length.
    let lines: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(n, l)| match common {
            Some(common) if n > 0 => l.get(common.min(indent(l))..).unwrap_or(""),
            _ => l,
        })
        .collect();
    let first = lines.iter().position(|l| !blank(l)).unwrap_or(lines.len());
    let last = lines
        .iter()
        .rposition(|l| !blank(l))
        .map_or(first, |n| n + 1);
    lines.get(first..last).unwrap_or_default().join("\n")
}

struct Parser {
    lex: Lexer,
    /// The current token: the lexer always runs one ahead.
    tok: Token,
    /// Selection sets, lists, objects and type brackets open around the current token.
    depth: u32,
}

impl Parser {
    fn new(src: &str) -> Result<Self, ParseError> {
        let pos = Pos { line: 1, column: 1 };
        let mut lex = Lexer {
            chars: src.chars().collect(),
            i: 0,
            pos,
        };
        let tok = lex.next_token()?;
        Ok(Parser { lex, tok, depth: 0 })
    }

    fn advance(&mut self) -> Result<(), ParseError> {
        self.tok = self.lex.next_token()?;
        Ok(())
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        let message = match self.tok.tok {
            Tok::End => format!("unexpected end of the document, expected {expected}"),
            Tok::Str(_) => format!("expected {expected}, found a string"),
            _ => format!("expected {expected}, found \"{}\"", self.tok.raw),
        };
        self.error(message)
    }

    fn error(&self, message: String) -> ParseError {
        ParseError {
            message,
            at: self.tok.at,
        }
    }

    fn at_punct(&self, c: char) -> bool {
        self.tok.tok == Tok::Punct(c)
    }

    fn eat(&mut self, c: char) -> Result<bool, ParseError> {
        let here = self.at_punct(c);
        if here {
            self.advance()?;
        }
        Ok(here)
    }

    fn expect(&mut self, c: char) -> Result<(), ParseError> {
        match self.eat(c)? {
            true => Ok(()),
            false => Err(self.unexpected(&format!("\"{c}\""))),
        }
    }

    /// Opens a bracket that nests: the cap on depth is what keeps the recursion bounded.
    fn open(&mut self, c: char) -> Result<(), ParseError> {
        if !self.at_punct(c) {
            return Err(self.unexpected(&format!("\"{c}\"")));
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        self.advance()
    }

    /// Whether the list ends here (taking `c`, and closing a level unless it is a parenthesis).
    fn close(&mut self, c: char) -> Result<bool, ParseError> {
        if self.tok.tok == Tok::End {
            return Err(self.unexpected(&format!("\"{c}\"")));
        }
        let closed = self.eat(c)?;
        if closed && c != ')' {
            self.depth -= 1;
        }
        Ok(closed)
    }

    fn name(&mut self, expected: &str) -> Result<(String, Pos), ParseError> {
        let Tok::Name(name) = &self.tok.tok else {
            return Err(self.unexpected(expected));
        };
        let found = (name.clone(), self.tok.at);
        self.advance()?;
        Ok(found)
    }

    fn operation(&mut self) -> Result<Operation, ParseError> {
        let at = self.tok.at;
        let (mut kind, mut name, mut vars) = (OpKind::Query, None, Vec::new());
        if !self.at_punct('{') {
            kind = match &self.tok.tok {
                Tok::Name(n) if n == "query" => OpKind::Query,
                Tok::Name(n) if n == "mutation" => OpKind::Mutation,
                Tok::Name(n) if n == "subscription" => OpKind::Subscription,
                Tok::Name(n) if n == "fragment" => return fail(at, FRAGMENTS),
                _ => {
                    return Err(
                        self.unexpected("\"query\", \"mutation\", \"subscription\" or \"{\"")
                    )
                }
            };
            self.advance()?;
            if matches!(self.tok.tok, Tok::Name(_)) {
                name = Some(self.name("a name")?.0);
            }
            if self.eat('(')? {
                vars = self.var_defs()?;
            }
        }
        let selection = self.selection_set()?;
        Ok(Operation {
            kind,
            name,
            vars,
            selection,
            at,
        })
    }

    fn var_defs(&mut self) -> Result<Vec<VarDef>, ParseError> {
        let mut vars: Vec<VarDef> = Vec::new();
        loop {
            let at = self.tok.at;
            self.expect('$')?;
            let name = self.name("a variable name")?.0;
            unique(
                vars.iter().any(|v| v.name == name),
                at,
                "variables",
                &format!("${name}"),
            )?;
            self.expect(':')?;
            let mut ty = String::new();
            let required = self.ty(&mut ty)?;
            let default = if self.eat('=')? {
                Some(self.value(true)?)
            } else {
                None
            };
            vars.push(VarDef {
                name,
                ty,
                required,
                default,
                at,
            });
            if self.close(')')? {
                return Ok(vars);
            }
        }
    }

    /// Appends the type's text to `out`; returns whether its outermost layer is non-null.
    fn ty(&mut self, out: &mut String) -> Result<bool, ParseError> {
        if self.at_punct('[') {
            self.open('[')?;
            out.push('[');
            self.ty(out)?;
            if !self.close(']')? {
                return Err(self.unexpected("\"]\""));
            }
            out.push(']');
        } else {
            out.push_str(&self.name("a type")?.0);
        }
        let required = self.eat('!')?;
        if required {
            out.push('!');
        }
        Ok(required)
    }

    fn selection_set(&mut self) -> Result<Vec<Field>, ParseError> {
        self.open('{')?;
        let mut fields = vec![self.field()?];
        while !self.close('}')? {
            fields.push(self.field()?);
        }
        Ok(fields)
    }

    fn field(&mut self) -> Result<Field, ParseError> {
        let (first, at) = self.name("a name")?;
        let (alias, name) = match self.eat(':')? {
            true => (Some(first), self.name("a name")?.0),
            false => (None, first),
        };
        let mut args: Vec<(String, Value)> = Vec::new();
        if self.eat('(')? {
            loop {
                let (name, at) = self.name("an argument name")?;
                unique(args.iter().any(|(n, _)| *n == name), at, "arguments", &name)?;
                self.expect(':')?;
                args.push((name, self.value(false)?));
                if self.close(')')? {
                    break;
                }
            }
        }
        let mut selection = Vec::new();
        if self.at_punct('{') {
            selection = self.selection_set()?;
        }
        Ok(Field {
            alias,
            name,
            args,
            selection,
            at,
        })
    }

    /// A value literal; `constant` refuses variables, as defaults and `parse_value` require.
    fn value(&mut self, constant: bool) -> Result<Value, ParseError> {
        if self.at_punct('$') {
            if constant {
                return fail(self.tok.at, "a variable is not allowed in a constant value");
            }
            self.advance()?;
            return Ok(Value::Var(self.name("a variable name")?.0));
        }
        if self.at_punct('[') {
            self.open('[')?;
            let mut items = Vec::new();
            while !self.close(']')? {
                items.push(self.value(constant)?);
            }
            return Ok(Value::List(items));
        }
        if self.at_punct('{') {
            self.open('{')?;
            let mut members: Vec<(String, Value)> = Vec::new();
            while !self.close('}')? {
                let (key, at) = self.name("a name")?;
                unique(members.iter().any(|(k, _)| *k == key), at, "members", &key)?;
                self.expect(':')?;
                members.push((key, self.value(constant)?));
            }
            return Ok(Value::Object(members));
        }
        let value = match &self.tok.tok {
            Tok::Name(n) if n == "true" => Value::Bool(true),
            Tok::Name(n) if n == "false" => Value::Bool(false),
            Tok::Name(n) if n == "null" => Value::Null,
            Tok::Name(n) => Value::Enum(n.clone()),
            Tok::Int(i) => Value::Int(*i),
            Tok::Float(f) => Value::Float(*f),
            Tok::Str(s) => Value::Str(s.clone()),
            _ => return Err(self.unexpected("a value")),
        };
        self.advance()?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    fn perr(message: &str, line: u32, column: u32) -> ParseError {
        ParseError {
            message: message.to_string(),
            at: pos(line, column),
        }
    }

    fn err(src: &str) -> ParseError {
        parse(src).unwrap_err()
    }

    fn names(fields: &[Field]) -> Vec<&str> {
        fields.iter().map(|f| f.name.as_str()).collect()
    }

    fn vars(op: &Operation) -> Vec<(&str, &str, bool)> {
        op.vars
            .iter()
            .map(|v| (v.name.as_str(), v.ty.as_str(), v.required))
            .collect()
    }

    fn var(n: &str) -> Value {
        Value::Var(n.to_string())
    }

    fn s(text: &str) -> Value {
        Value::Str(text.to_string())
    }

    fn e(text: &str) -> Value {
        Value::Enum(text.to_string())
    }

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn args(members: &[(&str, Value)]) -> Vec<(String, Value)> {
        members
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn gh_release_list() {
        let src = "query RepositoryReleaseList($endCursor:String$name:String!$owner:String!$perPage:Int!){repository(owner: $owner, name: $name){releases(first: $perPage, orderBy: {field: CREATED_AT, direction: DESC}, after: $endCursor){nodes{name,tagName,isDraft,isLatest,isPrerelease,createdAt,publishedAt},pageInfo{hasNextPage,endCursor}}}}";
        let ops = parse(src).unwrap();
        assert_eq!(ops.len(), 1);
        let op = &ops[0];
        assert_eq!(
            (op.kind, op.name.as_deref()),
            (OpKind::Query, Some("RepositoryReleaseList"))
        );
        let want = [
            ("endCursor", "String", false),
            ("name", "String!", true),
            ("owner", "String!", true),
            ("perPage", "Int!", true),
        ];
        assert_eq!(vars(op), want);
        assert!(op.vars.iter().all(|v| v.default.is_none()));
        assert_eq!((op.at, op.vars[1].at), (pos(1, 1), pos(1, 46)));
        let repo = &op.selection[0];
        assert_eq!((repo.key(), repo.alias.as_deref()), ("repository", None));
        assert_eq!(
            repo.args,
            args(&[("owner", var("owner")), ("name", var("name"))])
        );
        let releases = &repo.selection[0];
        assert_eq!(releases.name, "releases");
        let order = obj(&[("field", e("CREATED_AT")), ("direction", e("DESC"))]);
        let want = args(&[
            ("first", var("perPage")),
            ("orderBy", order),
            ("after", var("endCursor")),
        ]);
        assert_eq!(releases.args, want);
        assert_eq!(names(&releases.selection), ["nodes", "pageInfo"]);
        let nodes = &releases.selection[0].selection;
        let want = [
            "name",
            "tagName",
            "isDraft",
            "isLatest",
            "isPrerelease",
            "createdAt",
            "publishedAt",
        ];
        assert_eq!(names(nodes), want);
        assert!(nodes
            .iter()
            .all(|f| f.selection.is_empty() && f.args.is_empty() && f.alias.is_none()));
        assert_eq!(
            names(&releases.selection[1].selection),
            ["hasNextPage", "endCursor"]
        );
    }

    #[test]
    fn gh_release_by_tag() {
        let src = "query RepositoryReleaseByTag($name:String!$owner:String!$tagName:String!){repository(owner: $owner, name: $name){release(tagName: $tagName){databaseId,isDraft}}}";
        let op = parse(src).unwrap().pop().unwrap();
        assert_eq!(op.name.as_deref(), Some("RepositoryReleaseByTag"));
        let want = [
            ("name", "String!", true),
            ("owner", "String!", true),
            ("tagName", "String!", true),
        ];
        assert_eq!(vars(&op), want);
        assert_eq!(names(&op.selection), ["repository"]);
        let release = &op.selection[0].selection[0];
        assert_eq!(
            (release.name.as_str(), release.alias.as_deref()),
            ("release", None)
        );
        assert_eq!(release.args, args(&[("tagName", var("tagName"))]));
        assert_eq!(names(&release.selection), ["databaseId", "isDraft"]);
    }

    #[test]
    fn anonymous_with_alias() {
        let src = r#"{ a: repository(owner: "o", name: "r") { __typename } }"#;
        let op = parse(src).unwrap().pop().unwrap();
        assert_eq!(
            (op.kind, op.name.as_deref(), op.vars.len()),
            (OpKind::Query, None, 0)
        );
        let f = &op.selection[0];
        assert_eq!(
            (f.alias.as_deref(), f.name.as_str(), f.key()),
            (Some("a"), "repository", "a")
        );
        assert_eq!(f.args, args(&[("owner", s("o")), ("name", s("r"))]));
        assert_eq!(names(&f.selection), ["__typename"]);
        assert_eq!((f.at, f.selection[0].at), (pos(1, 3), pos(1, 42)));
    }

    #[test]
    fn kinds_types_and_defaults() {
        let src = "mutation M($a: [Int!]! = [1, 2], $b : [ [ String ] ] = null) { x }\nsubscription S { y }";
        let ops = parse(src).unwrap();
        assert_eq!(
            (ops[0].kind, ops[1].kind, ops[1].at),
            (OpKind::Mutation, OpKind::Subscription, pos(2, 1))
        );
        assert_eq!(
            vars(&ops[0]),
            [("a", "[Int!]!", true), ("b", "[[String]]", false)]
        );
        assert_eq!(
            ops[0].vars[0].default,
            Some(Value::List(vec![Value::Int(1), Value::Int(2)]))
        );
        assert_eq!(ops[0].vars[1].default, Some(Value::Null));
        // Keywords are ordinary names wherever a name is expected.
        let op = parse("query query { query(null: null) }")
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(op.name.as_deref(), Some("query"));
        assert_eq!(op.selection[0].args, args(&[("null", Value::Null)]));
    }

    #[test]
    #[rustfmt::skip]
    fn values() {
        let cases = [
            ("42", Value::Int(42)),
            ("-7", Value::Int(-7)),
            ("-0", Value::Int(0)),
            ("-9223372036854775808", Value::Int(i64::MIN)),
            ("1.5", Value::Float(1.5)),
            ("-1.5e3", Value::Float(-1500.0)),
            ("2E-2", Value::Float(0.02)),
            ("0.5e+1", Value::Float(5.0)),
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
            ("DESC", e("DESC")),
            ("  \"hi\"  ", s("hi")),
            ("[]", Value::List(vec![])),
            ("{}", obj(&[])),
            ("[1 \"a\" [B]]", Value::List(vec![Value::Int(1), s("a"), Value::List(vec![e("B")])])),
            ("{b: 1, a: {c: null}}", obj(&[("b", Value::Int(1)), ("a", obj(&[("c", Value::Null)]))])),
        ];
        for (src, want) in cases {
            assert_eq!(parse_value(src).unwrap(), want, "{src}");
        }
        let op = parse("{ f(a: $x, b: [$y], c: {d: $ z}) }").unwrap().pop().unwrap();
        let want = [("a", var("x")), ("b", Value::List(vec![var("y")])), ("c", obj(&[("d", var("z"))]))];
        assert_eq!(op.selection[0].args, args(&want));
    }

    #[test]
    #[rustfmt::skip]
    fn strings() {
        let cases = [
            (r#""plain""#, "plain"),
            (r#""""#, ""),
            (r#""q\" b\\ s\/ \b\f\n\r\t""#, "q\" b\\ s/ \u{8}\u{c}\n\r\t"),
            (r#""\u00e9\u0041""#, "éA"),
            (r#""\uD83D\uDE00""#, "😀"),
            (r#""\u{1F600}""#, "😀"),
            ("\"naïve ☃\"", "naïve ☃"),
            ("\"\"\"\n    first\n      indented\n    last\n  \"\"\"", "first\n  indented\nlast"),
            ("\"\"\"  keep  \n  a\n\n   b\n\n\"\"\"", "  keep  \na\n\n b"),
            ("\"\"\"a \\\"\"\" \"q\" \\n\"\"\"", "a \"\"\" \"q\" \\n"),
            ("\"\"\"\r\n\tx\r\n\ty\r\n\"\"\"", "x\ny"),
            ("\"\"\" \n \n\"\"\"", ""),
        ];
        for (src, want) in cases {
            assert_eq!(parse_value(src).unwrap(), s(want), "{src}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn errors() {
        let lone = "an anonymous operation must be the only one in its document";
        let cases = [
            ("", "the document holds no operation", 1, 1),
            ("  # only a comment\n", "the document holds no operation", 2, 1),
            ("{}", "expected a name, found \"}\"", 1, 2),
            ("{ a", "unexpected end of the document, expected \"}\"", 1, 4),
            ("query Q", "unexpected end of the document, expected \"{\"", 1, 8),
            ("{ a(b: 1 }", "expected an argument name, found \"}\"", 1, 10),
            ("{ a() }", "expected an argument name, found \")\"", 1, 5),
            ("{ a(b: 1, b: 2) }", "there are two arguments named `b`", 1, 11),
            ("{ a(b: {c: 1, c: 2}) }", "there are two members named `c`", 1, 15),
            ("{ a(b: ) }", "expected a value, found \")\"", 1, 8),
            ("{ a(b: \"x) }", "unterminated string", 1, 8),
            ("{ a(b: \"x\ny\") }", "unterminated string", 1, 8),
            ("{ a(b: \"\"\"x) }", "unterminated block string", 1, 8),
            ("{ a(b: \"\\q\") }", "invalid escape sequence \"\\q\"", 1, 9),
            ("{ a(b: \"\\uD83D\") }", "invalid Unicode escape sequence", 1, 9),
            ("{ a(b: \"\\uDE00\") }", "invalid Unicode escape sequence", 1, 9),
            ("{ a(b: \"\\u12G4\") }", "invalid Unicode escape sequence", 1, 9),
            ("{ a(b: \"\\u{110000}\") }", "invalid Unicode escape sequence", 1, 9),
            ("{ a(b: 9223372036854775808) }", "the number 9223372036854775808 is out of range", 1, 8),
            ("{ a(b: 1e999) }", "the number 1e999 is out of range", 1, 8),
            ("{ a(b: 007) }", "invalid number \"007\"", 1, 8),
            ("{ a(b: 1.) }", "invalid number \"1.\"", 1, 8),
            ("{ a(b: 1.2.3) }", "invalid number \"1.2.\"", 1, 8),
            ("{ a(b: 12abc) }", "invalid number \"12a\"", 1, 8),
            ("{ a(b: -x) }", "invalid number \"-\"", 1, 8),
            ("{ a % }", "unexpected character \"%\"", 1, 5),
            ("fragment F on R { a }", FRAGMENTS, 1, 1),
            ("{ ...F }", FRAGMENTS, 1, 3),
            ("{ ... on R { a } }", FRAGMENTS, 1, 3),
            ("{ a @include(if: true) }", DIRECTIVES, 1, 5),
            ("query Q @live { a }", DIRECTIVES, 1, 9),
            ("query A { a } query A { b }", "there are two operations named `A`", 1, 15),
            ("{ a } query B { b }", lone, 1, 1),
            ("query B { b } query { a }", lone, 1, 15),
            ("type T { a }", "expected \"query\", \"mutation\", \"subscription\" or \"{\", found \"type\"", 1, 1),
            ("query ($a: Int, $a: Int) { a }", "there are two variables named `$a`", 1, 17),
            ("query ($a: Int = $b) { a }", "a variable is not allowed in a constant value", 1, 18),
            ("query ($a) { a }", "expected \":\", found \")\"", 1, 10),
            ("query () { a }", "expected \"$\", found \")\"", 1, 8),
            ("query ($a: [Int) { a }", "expected \"]\", found \")\"", 1, 16),
            ("query ($a: ) { a }", "expected a type, found \")\"", 1, 12),
        ];
        for (src, message, line, column) in cases {
            assert_eq!(err(src), perr(message, line, column), "{src}");
        }
    }

    #[test]
    fn error_positions_across_lines() {
        let src = "query Q(\r\n  $a: Int # comment, with } in it\n) {\n  a(x: 1, y: ?)\n}";
        assert_eq!(err(src), perr("unexpected character \"?\"", 4, 14));
        let e = err("\u{feff}{\n  ok\n  \"s\"\n}");
        assert_eq!(
            e.to_string(),
            "expected a name, found a string at line 3, column 3"
        );
        // Columns count chars, so the two-byte "é" counts once.
        assert_eq!(err("{ a(b: \"é\" c: @) }").at, pos(1, 15));
    }

    #[test]
    fn parse_value_and_same() {
        let v = parse_value(" {field: CREATED_AT, direction: DESC} ").unwrap();
        assert_eq!(
            v,
            obj(&[("field", e("CREATED_AT")), ("direction", e("DESC"))])
        );
        let order = |field: &str, dir: &str| obj(&[("direction", s(dir)), ("field", s(field))]);
        assert!(v.same(&order("CREATED_AT", "DESC")));
        assert!(!v.same(&order("CREATED_AT", "ASC")));
        assert!(!v.same(&obj(&[("field", s("CREATED_AT"))])));
        assert!(!v.same(&obj(&[("field", s("CREATED_AT")), ("other", s("DESC"))])));
        assert!(Value::Int(2).same(&Value::Float(2.0)));
        assert!(!Value::Int(2).same(&s("2")));
        assert!(Value::List(vec![e("A")]).same(&Value::List(vec![s("A")])));
        assert!(!Value::List(vec![e("A")]).same(&Value::List(vec![s("A"), s("B")])));
        assert!(!Value::Null.same(&Value::Bool(false)));
        let constant = "a variable is not allowed in a constant value";
        assert_eq!(parse_value("{a: [$x]}").unwrap_err(), perr(constant, 1, 6));
        let trailing = "expected the end of the value, found \"2\"";
        assert_eq!(parse_value("1 2").unwrap_err(), perr(trailing, 1, 3));
        let open = "unexpected end of the document, expected \"]\"";
        assert_eq!(parse_value("[1").unwrap_err(), perr(open, 1, 3));
    }

    #[test]
    fn json_values() {
        let j = serde_json::json!({"s": "x", "i": -3, "f": 1.5, "big": u64::MAX, "b": true, "n": null, "l": [1]});
        let Value::Object(members) = from_json(&j) else {
            panic!("not an object")
        };
        let get = |k: &str| {
            members
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("s"), s("x"));
        assert_eq!(get("i"), Value::Int(-3));
        assert_eq!(get("f"), Value::Float(1.5));
        assert_eq!(get("big"), Value::Float(u64::MAX as f64));
        assert_eq!(get("b"), Value::Bool(true));
        assert_eq!(get("n"), Value::Null);
        assert_eq!(get("l"), Value::List(vec![Value::Int(1)]));
        assert!(
            from_json(&serde_json::json!({"direction": "DESC", "field": "CREATED_AT"}))
                .same(&parse_value("{field: CREATED_AT, direction: DESC}").unwrap())
        );
    }

    #[test]
    fn nesting_is_capped() {
        let nested = |n: usize| format!("{}{}", "{a".repeat(n), "}".repeat(n));
        assert_eq!(parse(&nested(32)).unwrap().len(), 1);
        let too_deep = perr("nested deeper than 32 levels", 1, 65);
        assert_eq!(err(&nested(33)), too_deep);
        assert_eq!(err(&"{a".repeat(10_000)), too_deep);
        assert_eq!(
            parse_value(&"[".repeat(10_000)).unwrap_err().message,
            too_deep.message
        );
        assert_eq!(
            parse_value(&"{a:".repeat(10_000)).unwrap_err().message,
            too_deep.message
        );
        let ty = format!(
            "query ($a: {}Int{}) {{ a }}",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert_eq!(err(&ty).message, too_deep.message);
        // Selection sets and the lists in their arguments count together.
        let mixed = format!("{}{{ f(x: [[[1]]]) }}{}", "{a".repeat(30), "}".repeat(30));
        assert_eq!(err(&mixed).message, too_deep.message);
    }
}
