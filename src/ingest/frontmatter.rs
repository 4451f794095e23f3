//! Optional front matter: TOML between `+++` lines or YAML between `---`
//! lines. Pure: takes the file's text, returns metadata fields and where the
//! body starts, or an error with a 1-based line number.

use std::collections::BTreeMap;

/// Front-matter fields as read, before defaults are applied. Serializes to
/// the TOML that [`split`] reads back (unset fields are left out).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FrontMatter {
    /// `id`: the document's slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `kind`: `article`, `source-note`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `source`: the publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `published`: a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// `author`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `language`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `questions`: questions the document answers, offered as examples on
    /// the page's home (a list of strings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
}

/// A front-matter problem, with the 1-based line of the file it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrontMatterError {
    /// Line in the whole file (front matter starts on line 2).
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// The result of splitting a file: metadata and the byte offset of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    /// Parsed fields (all `None` when there is no front matter).
    pub meta: FrontMatter,
    /// Byte offset in the file text where the document body starts.
    pub body_start: usize,
}

/// Which syntax a front-matter block uses.
#[derive(Clone, Copy)]
enum Syntax {
    Toml,
    Yaml,
}

/// Splits front matter off `text`.
pub(crate) fn split(text: &str) -> Result<Split, FrontMatterError> {
    let first_end = text.find('\n').unwrap_or(text.len());
    let syntax = match text[..first_end].trim_end() {
        "+++" => Syntax::Toml,
        "---" => Syntax::Yaml,
        _ => {
            return Ok(Split {
                meta: FrontMatter::default(),
                body_start: 0,
            })
        }
    };
    let fence = if matches!(syntax, Syntax::Toml) {
        "+++"
    } else {
        "---"
    };
    let content_start = (first_end + 1).min(text.len());
    let mut pos = content_start;
    let mut close = None;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if text[pos..end].trim_end() == fence {
            close = Some((pos, (end + 1).min(text.len())));
            break;
        }
        pos = end + 1;
    }
    let Some((content_end, body_start)) = close else {
        return Err(FrontMatterError {
            line: Some(1),
            message: format!("front matter opened with `{fence}` is never closed"),
        });
    };
    let content = &text[content_start..content_end];
    let line_of = |byte: usize| {
        2 + content.as_bytes()[..byte.min(content.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    let fields: BTreeMap<String, Value> = match syntax {
        Syntax::Toml => {
            let table: toml::Table = toml::from_str(content).map_err(|e| FrontMatterError {
                line: e.span().map(|s| line_of(s.start)),
                message: format!("malformed TOML front matter: {}", e.message()),
            })?;
            table
                .into_iter()
                .map(|(k, v)| (k, Value::from_toml(v)))
                .collect()
        }
        Syntax::Yaml => {
            if content.trim().is_empty() {
                BTreeMap::new()
            } else {
                let v: serde_yaml_ng::Value =
                    serde_yaml_ng::from_str(content).map_err(|e| FrontMatterError {
                        // YAML counts a lone `\r` as a line break; files count `\n`.
                        line: e.location().map(|l| line_of(l.index())),
                        message: format!("malformed YAML front matter: {e}"),
                    })?;
                match v {
                    serde_yaml_ng::Value::Mapping(m) => m
                        .into_iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), Value::from_yaml(v))))
                        .collect(),
                    serde_yaml_ng::Value::Null => BTreeMap::new(),
                    _ => {
                        return Err(FrontMatterError {
                            line: Some(2),
                            message: "YAML front matter must be a mapping of `key: value` lines"
                                .into(),
                        })
                    }
                }
            }
        }
    };
    let key_line = |key: &str| {
        content
            .lines()
            .position(|l| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with(['=', ':']))
            })
            .map(|i| i + 2)
    };
    let mut meta = FrontMatter::default();
    for (key, slot) in [
        ("id", &mut meta.id),
        ("title", &mut meta.title),
        ("kind", &mut meta.kind),
        ("source", &mut meta.source),
        ("url", &mut meta.url),
        ("published", &mut meta.published),
        ("author", &mut meta.author),
        ("language", &mut meta.language),
    ] {
        match fields.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Text(s)) => *slot = Some(s.clone()),
            Some(Value::Other | Value::List(_)) => {
                return Err(FrontMatterError {
                    line: key_line(key),
                    message: format!("front matter field `{key}` must be a string"),
                })
            }
        }
    }
    match fields.get("questions") {
        None | Some(Value::Null) => {}
        Some(Value::List(items)) => meta.questions = items.clone(),
        Some(_) => {
            return Err(FrontMatterError {
                line: key_line("questions"),
                message: "front matter field `questions` must be a list of strings".into(),
            })
        }
    }
    Ok(Split { meta, body_start })
}

/// A front-matter value reduced to what the fields accept.
enum Value {
    /// A string, or a scalar that reads naturally as one (a date, a number).
    Text(String),
    /// An explicit null.
    Null,
    /// A list of strings (only `questions` takes one).
    List(Vec<String>),
    /// A table or another list: never valid for a metadata field.
    Other,
}

impl Value {
    fn from_toml(v: toml::Value) -> Self {
        match v {
            toml::Value::String(s) => Value::Text(s),
            toml::Value::Datetime(d) => Value::Text(d.to_string()),
            toml::Value::Integer(i) => Value::Text(i.to_string()),
            toml::Value::Float(f) => Value::Text(f.to_string()),
            toml::Value::Boolean(b) => Value::Text(b.to_string()),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    toml::Value::String(s) => Some(s),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>()
                .map_or(Value::Other, Value::List),
            _ => Value::Other,
        }
    }

    fn from_yaml(v: serde_yaml_ng::Value) -> Self {
        match v {
            serde_yaml_ng::Value::String(s) => Value::Text(s),
            serde_yaml_ng::Value::Number(n) => Value::Text(n.to_string()),
            serde_yaml_ng::Value::Bool(b) => Value::Text(b.to_string()),
            serde_yaml_ng::Value::Null => Value::Null,
            serde_yaml_ng::Value::Sequence(items) => items
                .into_iter()
                .map(|v| match v {
                    serde_yaml_ng::Value::String(s) => Some(s),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>()
                .map_or(Value::Other, Value::List),
            _ => Value::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_yaml() {
        let s = split("+++\nid = \"a\"\ntitle = \"T\"\npublished = 2026-04-01\n+++\nBody").unwrap();
        assert_eq!(s.meta.id.as_deref(), Some("a"));
        assert_eq!(s.meta.published.as_deref(), Some("2026-04-01"));
        assert_eq!(
            &"+++\nid = \"a\"\ntitle = \"T\"\npublished = 2026-04-01\n+++\nBody"[s.body_start..],
            "Body"
        );
        let y = split("---\nid: b\nkind: note\n---\nText").unwrap();
        assert_eq!(y.meta.kind.as_deref(), Some("note"));
        assert_eq!(split("No front matter").unwrap().body_start, 0);
        let q = split("+++\nquestions = [\"Who?\", \"When?\"]\n+++\n").unwrap();
        assert_eq!(q.meta.questions, ["Who?", "When?"]);
        let q = split("---\nquestions:\n  - Who?\n---\n").unwrap();
        assert_eq!(q.meta.questions, ["Who?"]);
        let e = split("+++\nquestions = \"Who?\"\n+++\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e:?}");
    }

    #[test]
    fn errors_name_the_line() {
        let e = split("+++\nid = \"a\"\ntitle = = 3\n+++\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e:?}");
        let e = split("---\nid: a\ntitle: [unclosed\n---\n").unwrap_err();
        assert!(e.line.is_some_and(|l| l >= 3), "{e:?}");
        let e = split("+++\nid = \"a\"\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = split("+++\nid = \"a\"\ntitle = [1, 2]\n+++\n").unwrap_err();
        assert_eq!(e.line, Some(3));
    }
}
