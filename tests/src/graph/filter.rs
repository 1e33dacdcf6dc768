//! The OData `$filter` clauses Graph supports on the directory objects the simulator holds
//! (Graph "Use the $filter query parameter": `eq`, `startswith`, `any` on collections, joined
//! by `and`): `appId eq '…'`, `displayName eq '…'`, `startswith(displayName,'…')`,
//! `servicePrincipalNames/any(c:c eq '…')`, `identifierUris/any(s:s eq '…')`. Quotes inside a
//! value are doubled (`''`). Anything else is 400 `Request_UnsupportedQuery`, as Graph answers
//! a filter on a property it does not index.

/// One clause of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// `property eq 'value'`.
    Eq(String, String),
    /// `startswith(property,'value')`.
    StartsWith(String, String),
    /// `collection/any(x:x eq 'value')`.
    Any(String, String),
}

fn quoted(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

fn clause(text: &str) -> Option<Clause> {
    let text = text.trim();
    if let Some(args) = text
        .strip_prefix("startswith(")
        .or_else(|| text.strip_prefix("startsWith("))
        .and_then(|r| r.strip_suffix(')'))
    {
        let (property, value) = args.split_once(',')?;
        return Some(Clause::StartsWith(
            property.trim().to_string(),
            quoted(value)?,
        ));
    }
    if let Some((collection, rest)) = text.split_once("/any(") {
        let body = rest.strip_suffix(')')?;
        let (var, cond) = body.split_once(':')?;
        let (lhs, value) = cond.split_once(" eq ")?;
        if lhs.trim() != var.trim() {
            return None;
        }
        return Some(Clause::Any(collection.trim().to_string(), quoted(value)?));
    }
    let (property, value) = text.split_once(" eq ")?;
    let property = property.trim();
    if property.is_empty() || !property.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(Clause::Eq(property.to_string(), quoted(value)?))
}

/// Splits on ` and ` outside quotes.
fn split_and(filter: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut rest = filter;
    while !rest.is_empty() {
        if !in_quote && rest.starts_with(" and ") {
            parts.push(std::mem::take(&mut current));
            rest = &rest[5..];
            continue;
        }
        let c = rest.chars().next().expect("not empty");
        if c == '\'' {
            in_quote = !in_quote;
        }
        current.push(c);
        rest = &rest[c.len_utf8()..];
    }
    parts.push(current);
    parts
}

/// A filter Graph would not run: a clause it does not parse, or a property it does not filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Parses a filter whose clauses all name properties in `supported`.
pub fn parse(filter: &str, supported: &[&str]) -> Result<Vec<Clause>, Unsupported> {
    split_and(filter)
        .iter()
        .map(|part| {
            let c = clause(part).ok_or(Unsupported)?;
            let property = match &c {
                Clause::Eq(p, _) | Clause::StartsWith(p, _) | Clause::Any(p, _) => p,
            };
            supported
                .iter()
                .any(|s| s.eq_ignore_ascii_case(property))
                .then_some(c)
                .ok_or(Unsupported)
        })
        .collect()
}

/// Whether an object matches every clause: `value(property)` gives a property's values (one for
/// a single-valued property).
pub fn matches(clauses: &[Clause], value: impl Fn(&str) -> Vec<String>) -> bool {
    clauses.iter().all(|c| match c {
        // Graph compares these string properties case-insensitively.
        Clause::Eq(p, v) => value(p).iter().any(|x| x.eq_ignore_ascii_case(v)),
        Clause::StartsWith(p, v) => value(p)
            .iter()
            .any(|x| x.to_lowercase().starts_with(&v.to_lowercase())),
        Clause::Any(p, v) => value(p).iter().any(|x| x.eq_ignore_ascii_case(v)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_clauses_graph_supports() {
        let supported = ["appId", "displayName", "servicePrincipalNames"];
        assert_eq!(
            parse("appId eq 'x'", &supported),
            Ok(vec![Clause::Eq("appId".into(), "x".into())])
        );
        assert_eq!(
            parse(
                "startswith(displayName,'Con''toso') and appId eq 'a'",
                &supported
            ),
            Ok(vec![
                Clause::StartsWith("displayName".into(), "Con'toso".into()),
                Clause::Eq("appId".into(), "a".into())
            ])
        );
        assert_eq!(
            parse(
                "servicePrincipalNames/any(c:c eq 'api://x and y')",
                &supported
            ),
            Ok(vec![Clause::Any(
                "servicePrincipalNames".into(),
                "api://x and y".into()
            )])
        );
        assert_eq!(parse("notes eq 'x'", &supported), Err(Unsupported));
        assert_eq!(parse("appId ne 'x'", &supported), Err(Unsupported));
        let c = parse("startswith(displayName,'con')", &supported).unwrap();
        assert!(matches(&c, |_| vec!["Contoso CMK".into()]));
        assert!(!matches(&c, |_| vec!["Fabrikam".into()]));
    }
}
